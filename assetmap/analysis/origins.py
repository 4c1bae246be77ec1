"""Where each area's people start their walks: origin points per area (its population-
weighted centroid and street nodes inside it, each an equal share of its people),
:func:`aggregate`, which turns origin-level values back into one value per area, and the
honest treatment of long walks: :func:`capped_minutes` (walks not reached within the cap
count at the cap, flagged), :func:`aggregate_flags` (which area values rest on such a walk)
and :func:`combine` (several categories' minutes in one, e.g. essential services)."""
from __future__ import annotations

import numpy as np
import shapely

from .. import settings
from ..errors import InputError
from .network import WalkGraph


def area_origins(polygons, pwc_xy: np.ndarray | None, graph: WalkGraph | None,
                 per_area: int | None = None, seed: int | None = None):
    """Origin points standing for where each area's people live.

    Per area: its population-weighted centroid (where given) plus street nodes inside the
    polygon, chosen deterministically (a seeded random key per node, the smallest keys win),
    up to ``per_area`` points in all; an area with no street node inside uses its pwc point or,
    failing that, a point inside the polygon. Each origin carries an equal share of its area's
    population (``weight``, summing to 1 per area): street nodes are densest where people live.

    Returns (area index array, xy array (m, 2), weight array), all in EPSG:27700.
    """
    per_area = settings.ORIGINS_PER_AREA if per_area is None else int(per_area)
    seed = settings.ORIGIN_SEED if seed is None else seed
    polys = np.asarray(polygons)
    n = len(polys)
    has_pwc = np.zeros(n, dtype=bool) if pwc_xy is None else ~np.isnan(pwc_xy).any(axis=1)
    idx_parts = [np.flatnonzero(has_pwc)]
    pts = [pwc_xy[has_pwc] if pwc_xy is not None else np.zeros((0, 2))]
    if graph is not None and per_area > 1 and graph.n_nodes:
        sxy = graph.street_xy()          # every OSM node of the streets, bends included
        key_all = np.random.default_rng(seed).random(len(sxy))
        quota = per_area - has_pwc.astype(int)
        pi, ai = _smallest_keys_within(polys, sxy, key_all, quota)
        if len(pi):
            key = key_all[pi]
            order = np.lexsort((key, ai))
            pi, ai = pi[order], ai[order]
            start = np.r_[0, np.flatnonzero(np.diff(ai)) + 1]
            pos = np.arange(len(ai)) - np.repeat(start, np.diff(np.r_[start, len(ai)]))
            keep = pos < quota[ai]
            idx_parts.append(ai[keep])
            pts.append(sxy[pi[keep]])
    area_idx = np.concatenate(idx_parts).astype(np.int64)
    xy = np.concatenate(pts).reshape(-1, 2)
    missing = np.setdiff1d(np.arange(n), area_idx)
    if len(missing):
        rp = shapely.point_on_surface(polys[missing])
        area_idx = np.concatenate([area_idx, missing])
        xy = np.concatenate([xy, np.column_stack([shapely.get_x(rp), shapely.get_y(rp)])])
    order = np.lexsort((xy[:, 1], xy[:, 0], area_idx))
    area_idx, xy = area_idx[order], xy[order]
    counts = np.bincount(area_idx, minlength=n)
    weight = 1.0 / counts[area_idx]
    return area_idx, xy, weight


def _smallest_keys_within(polys, xy: np.ndarray, key: np.ndarray, quota: np.ndarray,
                          cell_m: float = 1000.0):
    """(point, area) pairs of points within areas, holding for every area at least its
    ``quota`` points of smallest ``key`` among all its points (or all it has).

    Points are tested in rising key order, a growing batch at a time; once an area holds
    its quota, no later point (a larger key) can be among its smallest, so later batches
    test only points in grid cells (``cell_m``) meeting an unfilled area's bounding box.
    A country's areas mostly fill in the first batch: the work is a few points an area,
    not every street node of the country."""
    tree = shapely.STRtree(polys)
    have = np.zeros(len(polys), dtype=np.int64)
    bounds = shapely.bounds(polys)
    out_p, out_a = [], []
    for idx in _key_batches(key, max(4 * int(quota.sum()), 10_000)):
        todo = have < quota
        if not todo.any():
            break
        if (~todo).any():
            idx = idx[_in_cells_of(xy[idx], bounds[todo], cell_m)]
        if len(idx):
            pi, ai = tree.query(shapely.points(xy[idx, 0], xy[idx, 1]), predicate="within")
            out_p.append(idx[pi])
            out_a.append(ai)
            np.add.at(have, ai, 1)
    if not out_p:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(out_p), np.concatenate(out_a)


def _key_batches(key: np.ndarray, first: int):
    """Point indices in rising ``key`` order (ties by index), a batch at a time, about
    ``first`` points first and twice as many each time after: each batch the keys between
    two quantiles, sorted alone (no sort of every key: most runs stop after a batch)."""
    if not len(key):
        return
    k = np.sort(key[np.random.default_rng(0).integers(0, len(key), 4096)])  # key quantiles
    lo, want = -np.inf, int(first)
    while True:
        q = min(want / len(key), 1.0)
        hi = np.inf if q >= 1.0 else float(k[min(int(q * len(k)), len(k) - 1)])
        idx = np.flatnonzero((key >= lo) & (key < hi)) if lo > -np.inf else \
            np.flatnonzero(key < hi)
        if len(idx):
            yield idx[np.argsort(key[idx], kind="stable")]
        if hi == np.inf:
            return
        lo, want = hi, want * 2


def _in_cells_of(xy: np.ndarray, boxes: np.ndarray, cell_m: float) -> np.ndarray:
    """Per point: whether its grid cell meets one of ``boxes`` ((k, 4) minx, miny, maxx,
    maxy)."""
    ok = np.isfinite(boxes).all(axis=1)
    boxes = boxes[ok]
    if not len(boxes):
        return np.zeros(len(xy), dtype=bool)
    x0, y0 = min(boxes[:, 0].min(), xy[:, 0].min()), min(boxes[:, 1].min(), xy[:, 1].min())
    i0 = ((boxes[:, 0] - x0) // cell_m).astype(np.int64)
    i1 = ((boxes[:, 2] - x0) // cell_m).astype(np.int64)
    j0 = ((boxes[:, 1] - y0) // cell_m).astype(np.int64)
    j1 = ((boxes[:, 3] - y0) // cell_m).astype(np.int64)
    pi = ((xy[:, 0] - x0) // cell_m).astype(np.int64)
    pj = ((xy[:, 1] - y0) // cell_m).astype(np.int64)
    nx, ny = int(max(i1.max(), pi.max())) + 1, int(max(j1.max(), pj.max())) + 1
    mark = np.zeros((ny + 1, nx + 1), dtype=np.int32)   # 2-D prefix sums of the boxes
    np.add.at(mark, (j0, i0), 1)
    np.add.at(mark, (j0, i1 + 1), -1)
    np.add.at(mark, (j1 + 1, i0), -1)
    np.add.at(mark, (j1 + 1, i1 + 1), 1)
    cover = mark.cumsum(axis=0).cumsum(axis=1) > 0
    return cover[pj, pi]


def aggregate(values: np.ndarray, area_idx: np.ndarray, weight: np.ndarray, n_areas: int,
              how: str | None = None) -> np.ndarray:
    """Per-area value of origin-level values (last axis = origins): population-weighted mean
    ("mean") or minimum ("min")."""
    how = settings.ACCESS_AGGREGATE if how is None else how
    v = np.atleast_2d(values)
    if how == "min":
        out = np.full((v.shape[0], n_areas), np.inf)
        for k in range(v.shape[0]):
            np.minimum.at(out[k], area_idx, v[k])
    elif how == "mean":
        out = np.zeros((v.shape[0], n_areas))
        wsum = np.bincount(area_idx, weights=weight, minlength=n_areas)
        for k in range(v.shape[0]):
            out[k] = np.bincount(area_idx, weights=v[k] * weight, minlength=n_areas)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = out / wsum
    else:
        raise InputError(f"access_aggregate must be 'mean' or 'min', not '{how}'",
                         field="access_aggregate")
    return out if np.ndim(values) > 1 else out[0]


def capped_minutes(metres: np.ndarray, metres_per_minute: float, cap_min: float
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Walking metres (inf where not reached) as minutes, and a flag where the walk was not
    reached within ``cap_min``: such walks count as ``cap_min`` (a lower bound, said as "more
    than ``cap_min`` minutes"), never as a made-up value."""
    minutes = np.asarray(metres, dtype=float) / float(metres_per_minute)
    beyond = ~(minutes <= cap_min)
    return np.where(beyond, float(cap_min), minutes), beyond


def aggregate_flags(flags: np.ndarray, area_idx: np.ndarray, weight: np.ndarray, n_areas: int,
                    how: str | None = None) -> np.ndarray:
    """Per area: whether its :func:`aggregate` value rests on a flagged origin value (with
    "mean", any of its origins flagged; with "min", all of them: the best-placed origin is
    flagged)."""
    v = np.asarray(flags, dtype=float)
    return aggregate(v, area_idx, weight, n_areas, how) > 0


def combine(minutes: np.ndarray, beyond: np.ndarray, how: str = "mean"
            ) -> tuple[np.ndarray, np.ndarray]:
    """Several categories' minutes (rows) per origin (columns) in one value per origin:
    their "mean" or their "max" (the farthest of the nearest), flagged where any row is
    beyond the cap; NaN (not flagged) without rows."""
    m = np.asarray(minutes, dtype=float)
    b = np.asarray(beyond, dtype=bool)
    if m.ndim != 2 or not m.shape[0]:
        n = m.shape[-1] if m.ndim == 2 else 0
        return np.full(n, np.nan), np.zeros(n, dtype=bool)
    flag = np.asarray(b.any(axis=0), dtype=bool)
    if how == "mean":
        return np.asarray(m.mean(axis=0), dtype=float), flag
    if how == "max":
        return np.asarray(m.max(axis=0), dtype=float), flag
    raise InputError(f"essential_combine must be 'mean' or 'max', not '{how}'",
                     field="essential_combine")
