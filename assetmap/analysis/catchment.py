"""Supply versus demand: the enhanced two-step floating catchment area (E2SFCA).

Luo and Qi (2009). Over a sparse travel-time table ``T`` (demand points x supply points, only
pairs within the catchment) and a decay ``W = f(T)``:

* step 1, each supply point's ratio ``R_j = S_j / sum_i D_i W_ij``;
* step 2, each demand point's access ``A_i = sum_j W_ij R_j``.

Both steps are one sparse product each. Decay: ``gaussian`` ``w(t) = exp(-t^2 / (2 beta^2))``
(the PySAL ``access`` package's ``weights.gaussian(sigma=beta)``), or ``stepped`` with
``settings.STEPPED_WEIGHTS`` (``w = weight`` of the first band whose upper bound is >= t); pairs
beyond the catchment are ignored (``t <= catchment`` is kept, as ``access`` does). Supply that
reaches no demand contributes nothing (``R_j = 0``). Equal to ``access``'s
``enhanced_two_stage_fca`` on the same cost table (tested to 1e-9).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .. import settings
from ..errors import InputError


def decay_weights(t: np.ndarray, decay: str | None = None, beta: float | None = None,
                  steps=None) -> np.ndarray:
    decay = settings.DECAY if decay is None else decay
    t = np.asarray(t, dtype=float)
    if decay == "gaussian":
        beta = settings.GAUSSIAN_BETA_MIN if beta is None else float(beta)
        return np.exp(-t * t / (2.0 * beta * beta))
    if decay == "stepped":
        steps = sorted(settings.STEPPED_WEIGHTS if steps is None else steps)
        w = np.zeros_like(t)
        done = np.zeros(t.shape, dtype=bool)
        for upper, weight in steps:
            hit = ~done & (t <= upper)
            w[hit] = weight
            done |= hit
        return w
    if decay == "none":
        return np.ones_like(t)
    raise InputError(f"decay must be 'gaussian', 'stepped' or 'none', not '{decay}'",
                     field="decay")


def weight_matrix(rows, cols, minutes, shape, catchment: float | None = None,
                  decay: str | None = None, beta: float | None = None, steps=None) -> sp.csr_matrix:
    """Sparse decay weights W (demand x supply) for table entries within the catchment."""
    catchment = settings.CATCHMENT_MINUTES if catchment is None else float(catchment)
    minutes = np.asarray(minutes, dtype=float)
    keep = minutes <= catchment
    w = decay_weights(minutes[keep], decay, beta, steps)
    # explicit zeros would vanish from a sparse matrix anyway; they weigh nothing
    return sp.csr_matrix((w, (np.asarray(rows)[keep], np.asarray(cols)[keep])), shape=shape)


def e2sfca(W: sp.spmatrix, demand: np.ndarray, supply: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """E2SFCA from a decay-weight matrix. Returns (access per demand point, ratio per supply
    point). ``supply`` may be 2-D (supply points x several supply kinds) to do many at once."""
    W = sp.csr_matrix(W)
    demand = np.asarray(demand, dtype=float)
    supply = np.asarray(supply, dtype=float)
    weighted_demand = W.T @ demand                      # sum_i D_i W_ij
    with np.errstate(invalid="ignore", divide="ignore"):
        inv = np.where(weighted_demand > 0, 1.0 / weighted_demand, 0.0)
    ratio = supply * (inv[:, None] if supply.ndim == 2 else inv)
    return W @ ratio, ratio
