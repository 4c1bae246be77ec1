"""Where Ashbrook lies and how it is cut up: the pinned BNG <-> WGS84 transformation, the
layout (town centre, planted estates, villages, river and bridges), the residential
density, the river, the borough outline, LSOA polygons and wards.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree
from shapely.geometry import LineString, MultiPoint, Polygon, box

from .. import settings

#: Planted features keep every social venue (and micro-provider) at least this far (straight
#: line, so at least as far on foot: over 20 minutes at 4.5 km/h) from their residents.
EXCLUSION_M = 1500.0

GRID_DEG = 1e-5                      # polygon vertex grid, about 1 m
N_LSOA = 150
N_WARDS = 15
LSOA_CODE_PREFIX = "E0199"           # E01990001 ...
WARD_CODE_PREFIX = "E0599"           # E05990001 ...

# --- Layout (local metres east/north of settings.DEMO_ORIGIN) -----------------------------
CENTRE = (4700.0, 4500.0)            # town centre (market place)
DEPRIVED = (5500.0, 4850.0)          # old mill terraces north-east of the centre
AFFLUENT = (2500.0, 5900.0)          # leafy north-western suburbs
HOTSPOT = (6600.0, 1500.0)           # Ferry Fields: ageing estate cut off south of the river
GAP = (8300.0, 5600.0)               # Eastgate: peripheral estate of high need
VILLAGES = {"Saxby Vale": (1500.0, 2500.0), "Thornley": (8500.0, 2800.0),
            "Hollins Green": (3700.0, 6900.0)}
BRIDGES = ((2600.0, "Mill Bridge", "tertiary"), (4650.0, "Town Bridge", "primary"),
           (6400.0, "Ferry Bridge", "tertiary"), (8600.0, "Hollins Footbridge", "footway"))
RIVER_NAME = "River Ash"

# Pinned OSGB36 / BNG <-> WGS84 transformation (EPSG:1314 "OSGB36 to WGS 84 (6)").
_BNG_TO_WGS84 = (
    "+proj=pipeline +step +inv +proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 "
    "+y_0=-100000 +ellps=airy +step +proj=push +v_3 +step +proj=cart +ellps=airy "
    "+step +proj=helmert +x=446.448 +y=-125.157 +z=542.06 +rx=0.15 +ry=0.247 +rz=0.842 "
    "+s=-20.489 +convention=position_vector +step +inv +proj=cart +ellps=WGS84 "
    "+step +proj=pop +v_3 +step +proj=unitconvert +xy_in=rad +xy_out=deg")
_TRANSFORMER: Transformer | None = None


def _transformer() -> Transformer:
    global _TRANSFORMER
    if _TRANSFORMER is None:
        _TRANSFORMER = Transformer.from_pipeline(_BNG_TO_WGS84)
    return _TRANSFORMER


def bng_to_lonlat(x, y):
    """EPSG:27700 easting/northing arrays -> (lon, lat) arrays (the demo's transformation)."""
    lon, lat = _transformer().transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon, float), np.asarray(lat, float)


def lonlat_to_bng(lon, lat):
    """(lon, lat) arrays -> EPSG:27700 (x, y) arrays (the demo's transformation)."""
    from pyproj.enums import TransformDirection
    x, y = _transformer().transform(np.asarray(lon, float), np.asarray(lat, float),
                                    direction=TransformDirection.INVERSE)
    return np.asarray(x, float), np.asarray(y, float)


def to_bng(geom):
    """A shapely geometry (or array) in EPSG:4326 -> EPSG:27700, pinned transformation."""
    def f(c):
        x, y = lonlat_to_bng(c[:, 0], c[:, 1])
        return np.column_stack([x, y])
    return shapely.transform(geom, f)


def from_bng(geom):
    """A shapely geometry (or array) in EPSG:27700 -> EPSG:4326, pinned transformation."""
    def f(c):
        lon, lat = bng_to_lonlat(c[:, 0], c[:, 1])
        return np.column_stack([lon, lat])
    return shapely.transform(geom, f)


def local_to_ll(geom):
    ox, oy = settings.DEMO_ORIGIN

    def f(c):
        lon, lat = bng_to_lonlat(c[:, 0] + ox, c[:, 1] + oy)
        return np.column_stack([lon, lat])
    return shapely.transform(geom, f)


def ll_to_local(geom):
    ox, oy = settings.DEMO_ORIGIN

    def f(c):
        x, y = lonlat_to_bng(c[:, 0], c[:, 1])
        return np.column_stack([x - ox, y - oy])
    return shapely.transform(geom, f)


def xy_to_lonlat(xy):
    ox, oy = settings.DEMO_ORIGIN
    return bng_to_lonlat(xy[:, 0] + ox, xy[:, 1] + oy)


def gauss(x, y, c, sigma):
    return np.exp(-((x - c[0]) ** 2 + (y - c[1]) ** 2) / (2.0 * sigma ** 2))


def density(x, y):
    """Relative residential density (people per area), used for LSOA sizes and streets."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    rho = (0.2 + 3.2 * gauss(x, y, CENTRE, 1300.0) + 1.6 * gauss(x, y, CENTRE, 2000.0)
           + 0.5 * gauss(x, y, AFFLUENT, 900.0)
           + 2.2 * gauss(x, y, HOTSPOT, 450.0) + 2.6 * gauss(x, y, GAP, 420.0))
    for v in VILLAGES.values():
        rho = rho + 0.9 * gauss(x, y, v, 300.0)
    return rho


def dist(xy, c):
    xy = np.asarray(xy, float)
    return np.hypot(xy[..., 0] - c[0], xy[..., 1] - c[1])


class River:
    """The river's centreline y(x) in local metres."""

    def __init__(self, rng):
        self.ph1 = float(rng.uniform(-0.3, 0.3))
        self.ph2 = float(rng.uniform(0, 2 * math.pi))
        xs = np.arange(-400.0, 10400.0 + 1, 40.0)
        self.xs = xs
        self.ys = self.y(xs)
        self.line = LineString(np.column_stack([xs, np.round(self.ys, 1)]))

    def y(self, x):
        x = np.asarray(x, float)
        return (3950.0 + 260.0 * np.sin(2 * math.pi * (x - CENTRE[0]) / 5200.0 + self.ph1)
                + 90.0 * np.sin(2 * math.pi * x / 1700.0 + self.ph2)
                - 90.0 * math.sin(2 * math.pi * CENTRE[0] / 1700.0 + self.ph2))

    def north(self, xy):
        xy = np.asarray(xy, float)
        return xy[..., 1] > np.interp(xy[..., 0], self.xs, self.ys)


def boundary_local(rng) -> Polygon:
    n = 256
    th = np.linspace(0.0, 2 * math.pi, n, endpoint=False)
    ph = rng.uniform(0.0, 2 * math.pi, 3)
    f = (1.0 + 0.05 * np.sin(3 * th + ph[0]) + 0.035 * np.sin(5 * th + ph[1])
         + 0.015 * np.sin(11 * th + ph[2]))
    ex = 2.6
    c, s = np.cos(th), np.sin(th)
    x = 5000.0 + 4500.0 * f * np.sign(c) * np.abs(c) ** (2.0 / ex)
    y = 4000.0 + 3600.0 * f * np.sign(s) * np.abs(s) ** (2.0 / ex)
    poly = Polygon(np.column_stack([np.round(x), np.round(y)]))
    return poly.intersection(box(0.0, 0.0, 10000.0, 8000.0))


# --- Areas ----------------------------------------------------------------------------------
def _cvt_seeds(rng, bnd: Polygon, n: int) -> np.ndarray:
    """Seed points whose Voronoi cells hold about equal population (weighted Lloyd)."""
    x0, y0, x1, y1 = bnd.bounds
    pts = np.column_stack([rng.uniform(x0, x1, 60000), rng.uniform(y0, y1, 60000)])
    pts = pts[shapely.contains_xy(bnd, pts[:, 0], pts[:, 1])][:30000]
    w = density(pts[:, 0], pts[:, 1]) ** 2
    idx = rng.choice(len(pts), size=n, replace=False, p=w / w.sum())
    centres = pts[idx].copy()
    for _ in range(40):
        lab = cKDTree(centres).query(pts)[1]
        sw = np.bincount(lab, weights=w, minlength=n)
        cx = np.bincount(lab, weights=w * pts[:, 0], minlength=n)
        cy = np.bincount(lab, weights=w * pts[:, 1], minlength=n)
        ok = sw > 0
        centres[ok, 0] = cx[ok] / sw[ok]
        centres[ok, 1] = cy[ok] / sw[ok]
    return centres


def _face_adjacency(faces_local):
    """Pairs of faces sharing an edge, with the shared length (m)."""
    tree = shapely.STRtree(faces_local)
    a, b = tree.query(faces_local, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    shared = shapely.length(shapely.intersection(shapely.boundary(faces_local[a]),
                                                 shapely.boundary(faces_local[b])))
    keep = shared > 0.5
    return a[keep], b[keep], shared[keep]


def make_lsoa_polygons(rng, bnd_local: Polygon, river: River):
    """LSOA polygons (EPSG:4326, on the 1e-5 degree grid) tiling the borough, split by the
    river: returns (polygons_ll, polygons_local, la_ll)."""
    seeds = _cvt_seeds(rng, bnd_local, N_LSOA)
    vor = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=box(-5000, -5000, 15000, 13000),
                                   ordered=True)
    cells_local = np.array(list(vor.geoms), dtype=object)
    bnd_ll = local_to_ll(bnd_local)
    cells_ll = shapely.intersection(local_to_ll(cells_local), bnd_ll)
    river_ll = shapely.intersection(local_to_ll(river.line), bnd_ll)
    lines = list(shapely.boundary(cells_ll)) + [bnd_ll.exterior, river_ll]
    noded = shapely.union_all(lines, grid_size=GRID_DEG)
    faces_ll = np.array(list(shapely.polygonize(list(shapely.get_parts(noded))).geoms),
                        dtype=object)
    faces_ll = faces_ll[shapely.area(faces_ll) > 0]
    faces_local = ll_to_local(faces_ll)
    owner = _face_owners(faces_ll, cells_ll)
    final = _same_side_groups(faces_local, owner, river)
    polys_ll = np.array([shapely.union_all(faces_ll[final == c])
                         for c in sorted(set(final.tolist()))], dtype=object)
    _absorb_slivers(polys_ll)
    la_ll = shapely.union_all(polys_ll)
    return polys_ll, ll_to_local(polys_ll), la_ll


def _face_owners(faces_ll, cells_ll) -> np.ndarray:
    """The Voronoi cell each face lies in (by a point on its surface; else the nearest)."""
    rep_ll = shapely.point_on_surface(faces_ll)
    tree = shapely.STRtree(cells_ll)
    fi, ci = tree.query(rep_ll, predicate="intersects")
    owner = np.full(len(faces_ll), -1)
    for f_, c_ in zip(fi, ci):
        if owner[f_] < 0:
            owner[f_] = c_
    missing = np.flatnonzero(owner < 0)
    if len(missing):
        owner[missing] = tree.query_nearest(rep_ll[missing], all_matches=False)[1]
    return owner


def _same_side_groups(faces_local, owner, river: River) -> np.ndarray:
    """Each face's LSOA: per cell, the largest connected group of faces on one side of the
    river; faces left over join the neighbouring LSOA they share most edge with."""
    rep_local = shapely.get_coordinates(shapely.point_on_surface(faces_local))
    side = river.north(rep_local)
    area = shapely.area(faces_local)
    a, b, shared = _face_adjacency(faces_local)
    same = side[a] == side[b]
    nbrs: dict[int, list[tuple[int, float]]] = {i: [] for i in range(len(faces_local))}
    for i, j, s, ok in zip(a, b, shared, same):
        if ok:
            nbrs[int(i)].append((int(j), float(s)))
            nbrs[int(j)].append((int(i), float(s)))
    final = np.full(len(faces_local), -1)
    for c in sorted(set(owner.tolist())):
        mine = [int(i) for i in np.flatnonzero(owner == c)]
        start = max(mine, key=lambda i: area[i])
        group, stack = {start}, [start]
        while stack:
            i = stack.pop()
            for j, _ in nbrs[i]:
                if owner[j] == c and j not in group:
                    group.add(j)
                    stack.append(j)
        for i in group:
            final[i] = c
    changed = True
    while changed and (final < 0).any():
        changed = False
        for i in np.flatnonzero(final < 0):
            best: dict[int, float] = {}
            for j, s in nbrs[int(i)]:
                if final[j] >= 0:
                    best[final[j]] = best.get(final[j], 0.0) + s
            if best:
                final[i] = max(sorted(best), key=lambda k: best[k])
                changed = True
    left = final < 0
    final[left] = owner[left]
    return final


def _absorb_slivers(polys_ll) -> None:
    """In place: faces share exact vertices, so plain unions keep them on the grid, but snap
    rounding can leave a sliver ring that polygonize rejects: give any hole to the
    neighbour sharing most of its edge (and unwrap one-part multipolygons)."""
    u = shapely.union_all(polys_ll)
    holes = [shapely.make_valid(Polygon(r)) for p in shapely.get_parts(u) for r in p.interiors]
    for h in holes:
        k = int(np.argmax(shapely.length(shapely.intersection(shapely.boundary(polys_ll),
                                                              h.boundary))))
        polys_ll[k] = shapely.union_all([polys_ll[k], h])
    for k, g in enumerate(polys_ll):
        if g.geom_type == "MultiPolygon" and len(g.geoms) == 1:
            polys_ll[k] = g.geoms[0]


def lsoa_adjacency(polys_local, north):
    a, b, shared = _face_adjacency(polys_local)
    n = len(polys_local)
    adj = {i: set() for i in range(n)}
    for i, j, s in zip(a, b, shared):
        if north[i] == north[j] and s > 5.0:
            adj[int(i)].add(int(j))
            adj[int(j)].add(int(i))
    return adj


def grow_cluster(start: int, size: int, adj, cent, target) -> list[int]:
    """A contiguous cluster of ``size`` areas grown from ``start`` toward ``target``."""
    cl = [start]
    while len(cl) < size:
        front = sorted({j for i in cl for j in adj[i]} - set(cl))
        if not front:
            break
        cl.append(min(front, key=lambda j: (dist(cent[j], target), j)))
    return cl


def make_wards(rng, cent, north, adj, n_wards):
    """Balanced contiguous wards (region growing per side of the river)."""
    n = len(cent)
    ward = np.full(n, -1)
    k_north = int(round(n_wards * north.sum() / n))
    next_id = 0
    for side, k in ((True, k_north), (False, n_wards - k_north)):
        idx = np.flatnonzero(north == side)
        pts = cent[idx]
        cen = pts[rng.choice(len(pts), size=k, replace=False)].copy()
        for _ in range(30):
            lab = cKDTree(cen).query(pts)[1]
            for j in range(k):
                if (lab == j).any():
                    cen[j] = pts[lab == j].mean(axis=0)
        seeds = []
        for j in range(k):
            d = dist(pts, cen[j])
            for s in np.argsort(d, kind="stable"):
                if int(idx[s]) not in seeds:
                    seeds.append(int(idx[s]))
                    break
        size = {}
        for j, s in enumerate(seeds):
            ward[s] = next_id + j
            size[next_id + j] = 1
        target = {next_id + j: cent[s] for j, s in enumerate(seeds)}
        while (ward[idx] < 0).any():
            best = None
            for w in sorted(size, key=lambda w: (size[w], w)):
                members = np.flatnonzero(ward == w)
                front = sorted({j for i in members for j in adj[int(i)] if ward[j] < 0})
                if front:
                    best = (w, min(front, key=lambda j: (dist(cent[j], target[w]), j)))
                    break
            if best is None:      # an island with no same-side neighbour: nearest ward
                for i in idx[ward[idx] < 0]:
                    d = [(dist(cent[i], target[w]), w) for w in size]
                    ward[i] = min(d)[1]
                break
            ward[best[1]] = best[0]
            size[best[0]] += 1
        next_id += k
    return ward


# --- Names and codes --------------------------------------------------------------------------
#: Names for the wards no landmark names, given in order of bearing from the town centre.
WARD_NAME_POOL = ("Millbrook", "St Anne's", "Riverside", "Northfield", "Wyvern", "Brookside",
                  "Oakwood", "Castle Hill", "Fenwick", "Lowfield", "Harecroft", "Abbeyfields",
                  "Greystoke", "Tanners Row", "Holywell")


@dataclass
class AreaNames:
    """Names and codes of the wards and LSOAs (keys are indices into the generation arrays);
    codes follow the names' alphabetical order."""

    ward_name: dict[int, str]
    ward_order: list[int]
    ward_code: dict[int, str]
    #: postcode district number of each ward (AS1, AS2, ... in code order)
    ward_district: dict[int, int]
    lsoa_name: dict[int, str]
    lsoa_order: list[int]
    lsoa_code: dict[int, str]


def name_areas(ward, pwc, w_pwc) -> AreaNames:
    """Names and codes for the wards (``ward``: each LSOA's ward) and LSOAs, from their
    population-weighted centroids ``pwc`` (LSOAs) and ``w_pwc`` (wards), local xy."""
    ward_name = _ward_names(ward, pwc, w_pwc)
    ward_order = sorted(range(len(w_pwc)), key=lambda w: ward_name[w])
    lsoa_name = _lsoa_names(ward, pwc, len(w_pwc))
    lsoa_order = sorted(range(len(pwc)), key=lambda i: lsoa_name[i])
    return AreaNames(
        ward_name=ward_name, ward_order=ward_order,
        ward_code={w: f"{WARD_CODE_PREFIX}{k + 1:04d}" for k, w in enumerate(ward_order)},
        ward_district={w: k + 1 for k, w in enumerate(ward_order)},
        lsoa_name=lsoa_name, lsoa_order=lsoa_order,
        lsoa_code={i: f"{LSOA_CODE_PREFIX}{k + 1:04d}" for k, i in enumerate(lsoa_order)})


def _ward_names(ward, pwc, w_pwc) -> dict[int, str]:
    """The town centre, the planted estates, the suburbs and the villages name the ward they
    lie in; the other wards take :data:`WARD_NAME_POOL` in order of bearing."""
    names: dict[int, str] = {}
    for label, c in (("Ashbrook Central", CENTRE), ("Ferry Fields", HOTSPOT), ("Eastgate", GAP),
                     ("Kingsmead", AFFLUENT), *VILLAGES.items()):
        w = int(ward[int(np.argmin(dist(pwc, c)))])
        if w not in names:
            names[w] = label
    pool = list(WARD_NAME_POOL)
    bearing = np.arctan2(w_pwc[:, 1] - CENTRE[1], w_pwc[:, 0] - CENTRE[0])
    for w in sorted(range(len(w_pwc)), key=lambda w: bearing[w]):
        if w not in names:
            names[w] = pool.pop(0)
    return names


def _lsoa_names(ward, pwc, n_wards) -> dict[int, str]:
    """ONS-like LSOA names: MSOA-like groups of about five LSOAs within wards, numbered north
    to south, their LSOAs lettered west to east."""
    groups = []
    for w in range(n_wards):
        mem = sorted(np.flatnonzero(ward == w).tolist(), key=lambda i: (-pwc[i, 1], pwc[i, 0]))
        k = max(1, round(len(mem) / 5))
        for part in np.array_split(np.array(mem), k):
            groups.append(sorted(part.tolist(), key=lambda i: (pwc[i, 0], -pwc[i, 1])))
    groups.sort(key=lambda g: (-pwc[g, 1].mean(), pwc[g, 0].mean()))
    return {i: f"{settings.DEMO_LA_NAME} {gnum + 1:03d}{chr(65 + j)}"
            for gnum, g in enumerate(groups) for j, i in enumerate(g)}
