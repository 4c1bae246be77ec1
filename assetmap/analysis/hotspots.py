"""Isolation hotspots: Getis-Ord Gi* and local Moran's I with conditional permutation
inference and a Benjamini-Hochberg false discovery rate correction.

Weights are queen contiguity built from the polygons (two areas are neighbours when their
boundaries share at least a point: a shapely STRtree ``intersects`` query), binary and
symmetric; an area with no neighbour is an *island* and is never significant.

Statistics (the same definitions as PySAL esda, matched to 1e-9 in the tests):

* Gi* (``esda.G_Local(y, w, transform="R", star=True)``): self-weight 1 added to the binary
  weights, rows standardised, ``G_i = sum_j w*_ij y_j / sum(y)``, with analytical
  expectation ``card_i / n`` and variance ``card (n - card) / (n - 1) / n^2 * s^2 / ybar^2``;
  ``z = (G - E) / sqrt(V)``. y must have a positive sum: the isolation score is shifted to a
  positive scale first, which leaves Gi* z-scores and permutation p-values unchanged.
* local Moran's I (``esda.Moran_Local(y, w, transformation="r")``): ``z = (y - ybar) / sd(y)``,
  ``I_i = (n - 1) z_i (W z)_i / sum(z^2)`` with rows standardised, and its conditional
  randomisation moments (Sokal et al. 1998).

Inference: conditional permutation as in esda (each area's value held fixed, its neighbours'
values drawn at random without replacement from the other areas, the same draws reused for
every area), ``settings.PERMUTATIONS`` draws with seed ``settings.HOTSPOT_SEED``, folded pseudo
p-value ``(min(#>=, #<=) + 1) / (P + 1)``. Vectorised: each permutation is one random sequence
of ``max_card + 1`` distinct areas whose cumulative sums give every area's random neighbour sum
at once (an area that appears in its own first ``k_i`` draws takes the next one instead), and
since with row-standardised binary weights both statistics are monotone in that sum, one
comparison per area and permutation serves both. Then Benjamini-Hochberg at
``settings.FDR_ALPHA`` over the non-island areas.

Classes: ``hot`` / ``cold`` (significant Gi*, by sign of z) and ``HH`` / ``LL`` / ``HL`` /
``LH`` (significant local Moran, by the signs of the value and its spatial lag), else
``not significant``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from .. import settings

NOT_SIGNIFICANT = "not significant"


# --- weights -------------------------------------------------------------------------------------
def queen_weights(geoms) -> sp.csr_matrix:
    """Binary symmetric queen contiguity (zero diagonal) of polygons."""
    geoms = np.asarray(geoms)
    n = len(geoms)
    if n == 0:
        return sp.csr_matrix((0, 0))
    tree = shapely.STRtree(geoms)
    i, j = tree.query(geoms, predicate="intersects")
    keep = i != j
    i, j = i[keep], j[keep]
    W = sp.csr_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    W = ((W + W.T) > 0).astype(float)
    W.sort_indices()
    return sp.csr_matrix(W)


def row_standardise(W: sp.spmatrix) -> sp.csr_matrix:
    W = sp.csr_matrix(W, dtype=float)
    rs = np.asarray(W.sum(axis=1)).ravel()
    with np.errstate(divide="ignore"):
        inv = np.where(rs != 0, 1.0 / rs, 0.0)
    return sp.csr_matrix(sp.diags(inv) @ W)


def _binary(W: sp.spmatrix) -> sp.csr_matrix:
    W = sp.csr_matrix(W, dtype=float)
    W.setdiag(0)
    W.eliminate_zeros()
    if W.nnz and not np.all(W.data == W.data[0]):
        raise ValueError("local statistics here need binary (contiguity) weights")
    W.data[:] = 1.0
    return W


# --- analytical statistics --------------------------------------------------------------------
def gi_star(y, W) -> dict:
    """Gi* with row-standardised weights and self-weight (esda G_Local star=True, 'R')."""
    y = np.asarray(y, dtype=float)
    B = _binary(W)
    n = len(y)
    k = np.diff(B.indptr)
    rowmax = (k > 0).astype(float)            # binary weights: the row max is 1 (0 for islands)
    Ws = row_standardise(B + sp.diags(rowmax))
    S = y.sum()
    G = (Ws @ y) / S
    card = np.asarray(Ws.sum(axis=1)).ravel()
    mean = S / n
    var = (y ** 2).sum() / n - mean ** 2
    EG = card / n
    VG = card * (n - card) / (n - 1) / n ** 2 * var / mean ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        Z = (G - EG) / np.sqrt(VG)
    return {"G": G, "EG": EG, "VG": VG, "z": Z}


def local_moran(y, W) -> dict:
    """Local Moran's I with row-standardised weights (esda Moran_Local, 'r') and its
    conditional randomisation expectation/variance and z-score."""
    y = np.asarray(y, dtype=float)
    n = len(y)
    sd = y.std()
    z = (y - y.mean()) / sd if sd > 0 else np.zeros(n)
    Wr = row_standardise(_binary(W))
    lag = Wr @ z
    den = (z * z).sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        local_i = (n - 1) * z * lag / den
    m2 = den / n
    wi = np.asarray(Wr.sum(axis=1)).ravel()
    wi2 = np.asarray(Wr.multiply(Wr).sum(axis=1)).ravel()
    with np.errstate(invalid="ignore", divide="ignore"):
        EIc = -(z ** 2 * wi) / ((n - 1) * m2)
        VIc = (z / m2) ** 2 * (n / (n - 2)) * (wi2 - wi ** 2 / (n - 1)) * (m2 - z ** 2 / (n - 1))
        zI = (local_i - EIc) / np.sqrt(VIc)
    return {"I": local_i, "z_value": z, "lag": lag, "EIc": EIc, "VIc": VIc, "z": zI}


# --- inference -----------------------------------------------------------------------------------
def _draws(n: int, kmax: int, permutations: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    size = min(kmax + 1, n)
    return np.stack([rng.choice(n, size=size, replace=False) for _ in range(permutations)])


def permutation_counts(y, W, permutations: int | None = None, seed: int | None = None,
                       chunk: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Conditional permutation counts of random neighbour sums >= and <= the observed one.

    Returns (count_ge, count_le), arrays of length n (islands count 0).
    """
    permutations = settings.PERMUTATIONS if permutations is None else int(permutations)
    seed = settings.HOTSPOT_SEED if seed is None else seed
    y = np.asarray(y, dtype=float)
    B = _binary(W)
    n = len(y)
    k = np.diff(B.indptr).astype(np.int64)
    ge = np.zeros(n, dtype=np.int64)
    le = np.zeros(n, dtype=np.int64)
    if n < 2 or permutations <= 0 or k.max(initial=0) == 0:
        return ge, le
    kmax = int(min(k.max(), n - 1))
    k = np.minimum(k, kmax)
    obs = B @ y
    R = _draws(n, kmax, permutations, seed)                 # (P, kmax+1) distinct ids
    m = R.shape[1]
    C = np.zeros((permutations, m + 1))
    np.cumsum(y[R], axis=1, out=C[:, 1:])
    # where an area i is drawn at position j < k_i of a permutation, it takes sum of first k_i+1
    # draws minus itself instead of the first k_i
    pos = np.broadcast_to(np.arange(m), R.shape)
    hit = pos < k[R]
    hp, hj = np.nonzero(hit)
    hi = R[hp, hj]
    island = k == 0
    kk = np.where(island, 0, k)
    tol = 1e-12 * (np.abs(y).sum() + 1.0)
    for p0 in range(0, permutations, chunk):
        p1 = min(permutations, p0 + chunk)
        sums = C[p0:p1][:, kk]                               # (pc, n)
        sel = (hp >= p0) & (hp < p1)
        pr, ir = hp[sel] - p0, hi[sel]
        sums[pr, ir] = C[p0 + pr, k[ir] + 1] - y[ir]
        ge += (sums >= obs - tol).sum(axis=0)
        le += (sums <= obs + tol).sum(axis=0)
    ge[island] = 0
    le[island] = 0
    return ge, le


def folded_p(larger: np.ndarray, permutations: int) -> np.ndarray:
    """esda's pseudo p-value: (min(#as large, #as small) + 1) / (P + 1)."""
    larger = np.asarray(larger, dtype=float).copy()
    low = (permutations - larger) < larger
    larger[low] = permutations - larger[low]
    return (larger + 1.0) / (permutations + 1.0)


def fdr_bh(p: np.ndarray, alpha: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Benjamini-Hochberg: (rejected mask, adjusted q-values). NaN p-values are left out."""
    alpha = settings.FDR_ALPHA if alpha is None else float(alpha)
    p = np.asarray(p, dtype=float)
    ok = ~np.isnan(p)
    q = np.full(len(p), np.nan)
    reject = np.zeros(len(p), dtype=bool)
    m = int(ok.sum())
    if m == 0:
        return reject, q
    pv = p[ok]
    order = np.argsort(pv, kind="stable")
    ranked = pv[order] * m / np.arange(1, m + 1)
    qs = np.minimum.accumulate(ranked[::-1])[::-1]
    qq = np.empty(m)
    qq[order] = np.minimum(qs, 1.0)
    q[ok] = qq
    reject[ok] = qq <= alpha
    return reject, q


def hotspots(y, W, permutations: int | None = None, seed: int | None = None,
             alpha: float | None = None) -> pd.DataFrame:
    """Gi* and local Moran's I of ``y`` on binary contiguity ``W``, with permutation
    p-values, FDR q-values and classes. One row per area, in input order."""
    permutations = settings.PERMUTATIONS if permutations is None else int(permutations)
    y = np.asarray(y, dtype=float)
    if np.isnan(y).any():
        y = np.where(np.isnan(y), np.nanmean(y) if (~np.isnan(y)).any() else 0.0, y)
    n = len(y)
    B = _binary(W)
    island = np.diff(B.indptr) == 0
    yg = y - y.min() + 1.0 if n else y                     # Gi* needs a positive scale
    g = gi_star(yg, B)
    lm = local_moran(y, B)
    ge, le = permutation_counts(y, B, permutations, seed)
    p_g = folded_p(ge, permutations)
    zv = lm["z_value"]
    larger_i = np.where(zv > 0, ge, np.where(zv < 0, le, permutations))
    p_i = folded_p(larger_i, permutations)
    p_g[island] = np.nan
    p_i[island] = np.nan
    sig_g, q_g = fdr_bh(p_g, alpha)
    sig_i, q_i = fdr_bh(p_i, alpha)
    gz = g["z"]
    hot = np.where(sig_g & (gz > 0), "hot", np.where(sig_g & (gz < 0), "cold", NOT_SIGNIFICANT))
    lag = lm["lag"]
    quad = np.where(zv > 0, np.where(lag > 0, "HH", "HL"), np.where(lag > 0, "LH", "LL"))
    lisa = np.where(sig_i, quad, NOT_SIGNIFICANT)
    p_g[island] = 1.0
    p_i[island] = 1.0
    return pd.DataFrame({
        "gi_z": gz, "gi_p": p_g, "gi_q": q_g, "gi_class": hot.astype(object),
        "lisa_i": lm["I"], "lisa_z": lm["z"], "lisa_p": p_i, "lisa_q": q_i,
        "lisa_quadrant": quad.astype(object), "lisa_class": lisa.astype(object),
        "island": island, "n_neighbours": np.diff(B.indptr),
    })


# --- the isolation score --------------------------------------------------------------------
def _z(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if np.isnan(x).all():
        return x
    sd = np.nanstd(x)
    return (x - np.nanmean(x)) / sd if sd > 0 else np.zeros_like(x)


def isolation_score(loneliness, social_minutes, weight: float | None = None) -> np.ndarray:
    """``weight`` x z(loneliness risk) + (1 - weight) x z(minutes to the nearest social asset).

    Where one part is missing for an area (or for all), the other stands alone."""
    weight = settings.ISOLATION_LONELINESS_WEIGHT if weight is None else float(weight)
    zl = _z(loneliness)
    za = _z(social_minutes)
    both = ~np.isnan(zl) & ~np.isnan(za)
    return np.where(both, weight * zl + (1 - weight) * za, np.where(np.isnan(zl), za, zl))
