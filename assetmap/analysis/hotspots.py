"""Isolation hotspots: Getis-Ord Gi* and local Moran's I, with inference that can pass a
Benjamini-Hochberg false discovery rate correction at any number of areas.

Weights are queen contiguity built from the polygons (two areas are neighbours when their
boundaries share at least a point: a shapely STRtree ``intersects`` query), binary and
symmetric; an area with no neighbour is an *island* and is never tested.

Statistics:

* Gi* (Getis and Ord 1992; Ord and Getis 1995): the area and its ``k_i`` neighbours,
  ``S_i = y_i + sum_j w_ij y_j``, against ``c_i = k_i + 1`` values drawn at random from the
  ``n`` areas: ``z_i = (S_i - c_i ybar) / (s sqrt(c_i (n - c_i) / (n - 1)))`` (``s``: the
  population standard deviation), which is ``esda.G_Local(y, w, transform="B", star=True).Zs``
  (matched to 1e-9 in the tests) and the z-score standard hot-spot tools report. It is
  unchanged by rescaling a row's weights, so it is also the z-score of row-standardised
  weights: esda's ``transform="R"`` variance treats the row sum (1) as the number of
  neighbours and so shrinks z about ``sqrt(k_i + 1)``-fold (its z has a standard deviation
  near 1/3 on pure noise), which is why it is not used.
* local Moran's I (Anselin 1995): ``z = (y - ybar) / sd(y)`` and, with rows standardised,
  ``lisa_i = (n - 1) z_i (W z)_i / sum(z^2)`` (``esda.Moran_Local(y, w, transformation="r").Is``).
  Its z-score is the normal approximation under *conditional* randomisation (Sokal et al.
  1998, eqs. A7-A8; esda's ``EIc`` and ``VIc``, matched in the tests): the area's value held,
  its neighbours drawn from the other areas, ``(I_i - E[I_i]) / sqrt(Var[I_i])`` with
  Anselin's ``I_i = z_i (W z)_i / m2``. Anselin's *total* randomisation moments (esda's ``EI``
  and ``VI``, also returned) are not used for inference: ``I_i`` is then a product of two
  random terms, far from normal in the tails, and on pure Gaussian noise over 150 lattice
  areas 76% of seeds gave "significant" clusters after the FDR correction (4% with the
  conditional moments; 0% for both at 30,000 areas).

Inference (``inference``, default ``settings.HOTSPOT_INFERENCE``):

* ``"analytical"`` (default): two-sided normal p-values, ``2 (1 - Phi(|z|))`` -- for Gi* twice
  esda's one-sided ``p_norm``. Nothing floors them, so they pass the correction at any size.
  Both z-scores assume the sums of neighbour values are near normal: for a strongly skewed
  score the tails are too light and p-values too small at large n (the method records the
  score's skewness so a reader can judge; permutations are the cautious choice there).
* ``"permutation"``: conditional permutation as in esda (each area's value held, its
  neighbours' values drawn without replacement from the other areas, the same draws for every
  area), with folded pseudo p-values ``(min(#>=, #<=) + 1) / (P + 1)``. The smallest attainable
  p-value is ``1 / (P + 1)``, and Benjamini-Hochberg at level alpha over ``m`` tested areas
  passes nothing unless some p-value is at most ``alpha / m``; so ``P`` is the larger of
  ``permutations`` and ``ceil(m / alpha)``, capped at ``max_permutations`` (the method says
  when the cap bit, and then the correction may pass nothing). Vectorised: each permutation
  is one random sequence of ``max_card + 1`` distinct areas whose cumulative sums give every
  area's random neighbour sum at once (an area that appears in its own first ``k_i`` draws
  takes the next one instead); with binary weights both statistics are monotone in that sum,
  so one comparison per area and permutation serves both.

Then Benjamini-Hochberg at ``alpha`` (``settings.FDR_ALPHA``) over the non-island areas,
separately for Gi* and for local Moran's I.

Guards: with fewer than ``min_areas`` areas (``settings.HOTSPOT_MIN_AREAS``) or fewer than
``min_mean_neighbours`` neighbours per area on average, nothing is tested: every class is
"not significant", p- and q-values are empty, and the method's ``guard`` says why.

Classes: ``hot`` / ``cold`` (significant Gi*, by sign of z) and ``HH`` / ``LL`` / ``HL`` /
``LH`` (significant local Moran, by the signs of the value and its spatial lag), else
``not significant``. :func:`hotspot_analysis` returns the frame and the method actually used
(a JSON-able dict; :func:`describe` puts it in plain words).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy import special

from .. import settings
from ..errors import InputError

NOT_SIGNIFICANT = "not significant"
#: The inference methods :func:`hotspot_analysis` accepts.
INFERENCE_METHODS = ("analytical", "permutation")


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


# --- statistics ----------------------------------------------------------------------------------
def gi_star(y, W) -> dict:
    """Gi* of ``y`` on binary contiguity ``W`` with the area itself included (esda
    ``G_Local(y, w, transform="B", star=True)``): G (needs a positive sum), its expectation
    and variance, and the z-score (shift-invariant; NaN for islands)."""
    y = np.asarray(y, dtype=float)
    B = _binary(W)
    n = len(y)
    k = np.diff(B.indptr).astype(float)
    card = np.where(k > 0, k + 1.0, 0.0)          # islands: no statistic
    total = B @ y + np.where(k > 0, y, 0.0)
    mean = y.mean() if n else np.nan
    var = y.var() if n else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = card * (n - card) / (n - 1) * var
        z = (total - card * mean) / np.sqrt(spread)
        S = y.sum()
        G = total / S
        EG = card / n
        VG = spread / S ** 2
    z[k == 0] = np.nan
    return {"G": G, "EG": EG, "VG": VG, "z": z}


def local_moran(y, W) -> dict:
    """Local Moran's I with row-standardised weights (esda ``Moran_Local``, 'r'): ``I``
    (esda's ``Is``), the standardised values and their lag, the conditional randomisation
    moments ``EIc``/``VIc`` and total randomisation moments ``EI``/``VI`` (esda's, for
    Anselin's ``I_i = z_i lag_i / m2``) and ``z``, the conditional z-score."""
    y = np.asarray(y, dtype=float)
    n = len(y)
    sd = y.std() if n else 0.0
    z = (y - y.mean()) / sd if sd > 0 else np.zeros(n)
    Wr = row_standardise(_binary(W))
    lag = Wr @ z
    den = (z * z).sum()
    m2 = den / n if n else np.nan
    wi = np.asarray(Wr.sum(axis=1)).ravel()
    wi2 = np.asarray(Wr.multiply(Wr).sum(axis=1)).ravel()
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = (n - 1) * z * lag / den
        anselin = z * lag / m2
        EIc = -(z ** 2 * wi) / ((n - 1) * m2)
        VIc = (z / m2) ** 2 * (n / (n - 2)) * (wi2 - wi ** 2 / (n - 1)) * (m2 - z ** 2 / (n - 1))
        zc = (anselin - EIc) / np.sqrt(VIc)
        b2 = (z ** 4).sum() / n / m2 ** 2
        EI = -wi / (n - 1)
        VI = (wi2 * (n - b2) / (n - 1) + (wi ** 2 - wi2) * (2 * b2 - n) / ((n - 1) * (n - 2))
              - (wi / (n - 1)) ** 2)
    return {"I": stat, "z_value": z, "lag": lag, "EIc": EIc, "VIc": VIc, "EI": EI, "VI": VI,
            "z": zc}


def normal_p(z) -> np.ndarray:
    """Two-sided normal p-value ``2 (1 - Phi(|z|))`` (NaN stays NaN)."""
    return 2.0 * special.ndtr(-np.abs(np.asarray(z, dtype=float)))


# --- permutation inference -----------------------------------------------------------------------
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


def permutations_needed(tested: int, alpha: float, minimum: int,
                        cap: int) -> tuple[int, int, bool]:
    """(permutations to run, permutations the correction needs, capped?).

    The smallest attainable p-value ``1 / (P + 1)`` can pass Benjamini-Hochberg at ``alpha``
    over ``tested`` areas only if it is at most ``alpha / tested``: ``P >= ceil(tested /
    alpha)``. Never fewer than ``minimum``, never more than ``cap``."""
    needed = int(math.ceil(tested / float(alpha))) if tested else 0
    wanted = max(int(minimum), needed)
    return min(wanted, int(cap)), needed, wanted > int(cap)


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


# --- the whole analysis --------------------------------------------------------------------------
def guard(n_areas: int, mean_neighbours: float, min_areas: int | None = None,
          min_mean_neighbours: float | None = None) -> str | None:
    """Why hotspots cannot be tested on this map (None when they can)."""
    min_areas = settings.HOTSPOT_MIN_AREAS if min_areas is None else int(min_areas)
    min_nb = (settings.HOTSPOT_MIN_MEAN_NEIGHBOURS if min_mean_neighbours is None
              else float(min_mean_neighbours))
    if n_areas < min_areas:
        return (f"too few areas to test for hotspots ({n_areas}; at least {min_areas} are "
                "needed)")
    if not mean_neighbours >= min_nb:
        return (f"too few neighbours to test for hotspots (areas have {mean_neighbours:.1f} "
                f"neighbours on average; at least {min_nb:g} are needed)")
    return None


def _skewness(y: np.ndarray) -> float | None:
    sd = y.std() if len(y) else 0.0
    return round(float(((y - y.mean()) ** 3).mean() / sd ** 3), 3) if sd > 0 else None


def _options(inference, permutations, seed, alpha, max_permutations) -> tuple:
    inference = settings.HOTSPOT_INFERENCE if inference is None else str(inference)
    if inference not in INFERENCE_METHODS:
        raise InputError(f"hotspot_inference must be one of {', '.join(INFERENCE_METHODS)}, "
                         f"not '{inference}'", field="hotspot_inference")
    return (inference,
            settings.PERMUTATIONS if permutations is None else int(permutations),
            settings.HOTSPOT_SEED if seed is None else int(seed),
            settings.FDR_ALPHA if alpha is None else float(alpha),
            settings.HOTSPOT_MAX_PERMUTATIONS if max_permutations is None
            else int(max_permutations))


def _permutation_p(y, B, zv, P: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    ge, le = permutation_counts(y, B, P, seed)
    larger_i = np.where(zv > 0, ge, np.where(zv < 0, le, P))
    return folded_p(ge, P), folded_p(larger_i, P)


def _classes(sig_g, gz, sig_i, zv, lag) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    hot = np.where(sig_g & (gz > 0), "hot", np.where(sig_g & (gz < 0), "cold", NOT_SIGNIFICANT))
    quad = np.where(zv > 0, np.where(lag > 0, "HH", "HL"), np.where(lag > 0, "LH", "LL"))
    lisa = np.where(sig_i, quad, NOT_SIGNIFICANT)
    return hot.astype(object), quad.astype(object), lisa.astype(object)


def hotspot_analysis(y, W, *, inference: str | None = None, permutations: int | None = None,
                     seed: int | None = None, alpha: float | None = None,
                     max_permutations: int | None = None, min_areas: int | None = None,
                     min_mean_neighbours: float | None = None) -> tuple[pd.DataFrame, dict]:
    """Gi* and local Moran's I of ``y`` on binary contiguity ``W``: (one row per area in
    input order, the method actually used). See the module notes for every option; each
    defaults to its setting (``settings.HOTSPOT_*``, ``PERMUTATIONS``, ``FDR_ALPHA``)."""
    inference, minimum, seed, alpha, cap = _options(inference, permutations, seed, alpha,
                                                    max_permutations)
    y = np.asarray(y, dtype=float)
    if np.isnan(y).any():
        y = np.where(np.isnan(y), np.nanmean(y) if (~np.isnan(y)).any() else 0.0, y)
    n = len(y)
    B = _binary(W)
    k = np.diff(B.indptr)
    island = k == 0
    tested = int((~island).sum())
    why = guard(n, float(k.mean()) if n else 0.0, min_areas, min_mean_neighbours)
    g = gi_star(y, B)
    lm = local_moran(y, B)
    zv = lm["z_value"]
    P, needed, capped = permutations_needed(tested, alpha, minimum, cap)
    if why is not None:
        p_g, p_i = np.full(n, np.nan), np.full(n, np.nan)
    elif inference == "analytical":
        p_g, p_i = normal_p(g["z"]), normal_p(lm["z"])
    else:
        p_g, p_i = _permutation_p(y, B, zv, P, seed)
    if why is None:                  # untestable values (no variation) are not significant
        p_g = np.where(np.isnan(p_g), 1.0, p_g)
        p_i = np.where(np.isnan(p_i), 1.0, p_i)
        p_g[island] = np.nan
        p_i[island] = np.nan
    sig_g, q_g = fdr_bh(p_g, alpha)
    sig_i, q_i = fdr_bh(p_i, alpha)
    hot, quad, lisa = _classes(sig_g, g["z"], sig_i, zv, lm["lag"])
    if why is None:
        p_g[island] = 1.0
        p_i[island] = 1.0
    frame = pd.DataFrame({
        "gi_z": g["z"], "gi_p": p_g, "gi_q": q_g, "gi_class": hot,
        "lisa_i": lm["I"], "lisa_z": lm["z"], "lisa_p": p_i, "lisa_q": q_i,
        "lisa_quadrant": quad, "lisa_class": lisa,
        "island": island, "n_neighbours": k,
    })
    method = _method(inference, n, tested, k, alpha, why, y, perm=(P, minimum, needed, capped),
                     seed=seed)
    return frame, method


def _method(inference, n, tested, k, alpha, why, y, *, perm, seed) -> dict:
    P, minimum, needed, capped = perm
    permuted = inference == "permutation" and why is None
    out = {
        "inference": inference,
        "gi": "Getis-Ord Gi* (queen contiguity, the area itself included)",
        "lisa": "local Moran's I (queen contiguity, rows standardised)",
        "p_values": ("conditional permutation (folded pseudo p-values)" if permuted else
                     "two-sided normal approximation (Gi* z; local Moran's I under "
                     "conditional randomisation)"),
        "permutations": int(P) if permuted else None,
        "permutations_min": int(minimum), "permutations_needed": int(needed),
        "capped": bool(capped) if permuted else False,
        "seed": int(seed) if permuted else None,
        "fdr": "Benjamini-Hochberg", "fdr_alpha": float(alpha),
        "areas": int(n), "tested": 0 if why else int(tested),
        "islands": int((k == 0).sum()),
        "mean_neighbours": round(float(k.mean()), 2) if n else 0.0,
        "skewness": _skewness(y), "guard": why,
    }
    out["description"] = describe(out)
    return out


def describe(method: dict) -> str:
    """The method in plain words (for a page, a legend or the run summary)."""
    if not method:
        return ""
    if method.get("guard"):
        why = str(method["guard"])
        return f"{why[:1].upper()}{why[1:]}: no area is claimed as a hot or cold spot."
    alpha = float(method.get("fdr_alpha", settings.FDR_ALPHA))
    tested = int(method.get("tested", 0))
    if method.get("inference") == "permutation":
        how = f"{int(method.get('permutations') or 0):,} conditional permutations"
    else:
        how = "analytical (normal) p-values"
    text = (f"Getis-Ord Gi* and local Moran's I with {how}, significant after a "
            f"Benjamini-Hochberg false discovery rate correction at {alpha * 100:g}% over "
            f"{tested:,} areas.")
    if method.get("capped"):
        text += (f" The permutations were capped at {int(method['permutations']):,}: the "
                 f"correction needs {int(method['permutations_needed']):,} before the "
                 "smallest possible p-value can pass, so it may find nothing.")
    return text


def hotspots(y, W, permutations: int | None = None, seed: int | None = None,
             alpha: float | None = None, **options) -> pd.DataFrame:
    """:func:`hotspot_analysis`'s frame, with the method in ``frame.attrs["method"]``."""
    frame, method = hotspot_analysis(y, W, permutations=permutations, seed=seed, alpha=alpha,
                                     **options)
    frame.attrs["method"] = method
    return frame


# --- the isolation score -------------------------------------------------------------------------
def _z(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if np.isnan(x).all():
        return x
    sd = np.nanstd(x)
    return (x - np.nanmean(x)) / sd if sd > 0 else np.zeros_like(x)


def isolation_weights(loneliness: float | None = None, social: float | None = None,
                      essential: float | None = None) -> dict:
    """The isolation score's relative weights (``settings.ISOLATION_*_WEIGHT`` by default)."""
    w = {"loneliness": settings.ISOLATION_LONELINESS_WEIGHT if loneliness is None
         else float(loneliness),
         "social": settings.ISOLATION_SOCIAL_WEIGHT if social is None else float(social),
         "essential": settings.ISOLATION_ESSENTIAL_WEIGHT if essential is None
         else float(essential)}
    if any(not (v >= 0) for v in w.values()) or not sum(w.values()) > 0:
        raise InputError("isolation weights must be zero or more and not all zero",
                         field="isolation_loneliness_weight")
    return w


def isolation_score(loneliness, social_minutes, essential_minutes=None,
                    weights: dict | None = None) -> np.ndarray:
    """The isolation score per area: the weighted mean of z(loneliness risk), z(walking
    minutes to the nearest social asset) and z(walking minutes to essential services,
    ``essential_min``), with :func:`isolation_weights` (``weights`` overrides some or all
    of "loneliness", "social", "essential"). Higher is more isolated.

    Each part is standardised over the areas that have it; an area lacking a part (or a
    part missing everywhere) is scored on the others, the weights rescaled to sum to 1.
    Walks beyond the search cap enter at the cap (a lower bound). NaN where an area has no
    part at all."""
    w = isolation_weights(**(weights or {}))
    n = len(np.asarray(social_minutes, dtype=float))
    parts = [(w["loneliness"], _z(loneliness)), (w["social"], _z(social_minutes)),
             (w["essential"], _z(np.full(n, np.nan) if essential_minutes is None
                                 else essential_minutes))]
    num = np.zeros(n)
    den = np.zeros(n)
    for weight, z in parts:
        ok = ~np.isnan(z)
        num[ok] += weight * z[ok]
        den[ok] += weight
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)
