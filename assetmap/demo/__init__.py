"""The embedded demo borough, *Ashbrook*, generated deterministically from a seed.

Ashbrook is invented. It is laid out in British National Grid metres with its south-west
corner at :data:`settings.DEMO_ORIGIN` (farmland of the East Midlands, on land in England),
about 9-10 km by 7-8 km:

* a market town centre on the north bank of the River Ash, with a dense, jittered street
  grid; an old, deprived inner area to the north-east of it (``deprived_core``);
* affluent suburbs to the north-west (``affluent``) with curving roads and cul-de-sacs;
* an older rural fringe (``rural_fringe``) with sparse lanes, tracks and three villages;
* the river crosses the whole borough west to east and is bridged only four times, so the
  street network crosses it only at those bridges;
* two *planted* features for the analysis to find: an isolated, ageing estate south of the
  river with a high modelled loneliness risk and no social venue within
  :data:`EXCLUSION_M` of its residents (``hotspot_areas``), and a peripheral estate of high
  need with no micro-provider within the same distance (``gap_areas``).

Everything (areas, indicators, assets, micro-providers, neighbourhood networks and an OSM XML
street network) comes out of :func:`generate`; :func:`build_into` writes it into a store in
one transaction. The same seed gives byte-identical output: all randomness comes from one
``numpy.random.default_rng(seed)``, iteration is ordered and floats are written with fixed
precision. Polygons are snapped to a 0.00001 degree grid (about 1 m) and tile the borough
exactly, so the shipped ``data/boundaries/demo_borough.geojson`` equals what
:func:`generate` produces (a test checks it).

``DemoData.planted`` (also stored as JSON in the store's meta ``planted``) lists what tests
of later features should find: ``hotspot_areas``, ``gap_areas``, ``deprived_core``,
``affluent``, ``rural_fringe``, ``town_centre`` (LSOA codes), ``hotspot_ward``, ``gap_ward``
(ward codes), ``exclusion_m``, ``bridges`` (name, highway, lon, lat) and ``meaning`` (a
sentence per key).

Indicator values are for LSOAs only. Proportions (``ci_method`` wilson) carry ``count`` and
``denominator`` with ``value = 100 * count / denominator`` (a percentage). The loneliness model
inputs (:data:`model.LONELINESS_INPUTS`) are *shares* (unit ``share``, 0-1, with count and
denominator = residents aged 65+), except ``lon_household_size`` (unit ``persons``, a mean).

Coordinates are converted between EPSG:27700 and EPSG:4326 with one pinned transformation
(OSGB36 to WGS 84 (6), the 7-parameter Helmert, about 2 m) rather than "the best available",
which would change the output wherever the OSTN15 grid happens to be installed.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import Delaunay, cKDTree
from shapely.geometry import LineString, MultiPoint, Point, Polygon, box

from .. import model, settings

#: Number of progress messages :func:`build_into` reports.
STEPS = 6

#: Planted features keep every social venue (and micro-provider) at least this far (straight
#: line, so at least as far on foot: over 20 minutes at 4.5 km/h) from their residents.
EXCLUSION_M = 1500.0

#: Name of the shipped boundaries file inside :data:`settings.BOUNDARIES_DIR`.
BOUNDARIES_FILE = "demo_borough.geojson"

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
GRID_RADIUS = 2300.0                 # the jittered street grid of the town
GRID_SPACING = 95.0

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


def _local_to_ll(geom):
    ox, oy = settings.DEMO_ORIGIN

    def f(c):
        lon, lat = bng_to_lonlat(c[:, 0] + ox, c[:, 1] + oy)
        return np.column_stack([lon, lat])
    return shapely.transform(geom, f)


def _ll_to_local(geom):
    ox, oy = settings.DEMO_ORIGIN

    def f(c):
        x, y = lonlat_to_bng(c[:, 0], c[:, 1])
        return np.column_stack([x - ox, y - oy])
    return shapely.transform(geom, f)


def _xy_to_lonlat(xy):
    ox, oy = settings.DEMO_ORIGIN
    return bng_to_lonlat(xy[:, 0] + ox, xy[:, 1] + oy)


# --- Result ---------------------------------------------------------------------------------
@dataclass
class DemoData:
    """Everything the demo borough holds (frames in EPSG:4326, ``boundary`` in 27700)."""

    areas: gpd.GeoDataFrame
    indicators: pd.DataFrame
    values: pd.DataFrame
    assets: gpd.GeoDataFrame
    providers: pd.DataFrame
    networks: gpd.GeoDataFrame
    osm_xml: bytes
    boundary: Polygon
    planted: dict
    seed: int = settings.DEMO_SEED
    #: The river's centreline inside the borough (EPSG:27700); streets cross it only at the
    #: four bridges in ``planted['bridges']``.
    river: LineString | None = None
    stats: dict = field(default_factory=dict)

    def summary(self) -> dict:
        lv = self.areas["level"].value_counts()
        return {"lsoas": int(lv.get("lsoa", 0)), "wards": int(lv.get("ward", 0)),
                "areas": len(self.areas), "indicators": len(self.indicators),
                "values": len(self.values), "assets": len(self.assets),
                "providers": len(self.providers), "networks": len(self.networks),
                **self.stats}


# --- Small helpers ----------------------------------------------------------------------------
def _gauss(x, y, c, sigma):
    return np.exp(-((x - c[0]) ** 2 + (y - c[1]) ** 2) / (2.0 * sigma ** 2))


def _density(x, y):
    """Relative residential density (people per area), used for LSOA sizes and streets."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    rho = (0.2 + 3.2 * _gauss(x, y, CENTRE, 1300.0) + 1.6 * _gauss(x, y, CENTRE, 2000.0)
           + 0.5 * _gauss(x, y, AFFLUENT, 900.0)
           + 2.2 * _gauss(x, y, HOTSPOT, 450.0) + 2.6 * _gauss(x, y, GAP, 420.0))
    for v in VILLAGES.values():
        rho = rho + 0.9 * _gauss(x, y, v, 300.0)
    return rho


def _dist(xy, c):
    xy = np.asarray(xy, float)
    return np.hypot(xy[..., 0] - c[0], xy[..., 1] - c[1])


class _River:
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


def _boundary_local(rng) -> Polygon:
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
    w = _density(pts[:, 0], pts[:, 1]) ** 2
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


def _make_lsoa_polygons(rng, bnd_local: Polygon, river: _River):
    """LSOA polygons (EPSG:4326, on the 1e-5 degree grid) tiling the borough, split by the
    river: returns (polygons_ll, polygons_local, la_ll)."""
    seeds = _cvt_seeds(rng, bnd_local, N_LSOA)
    vor = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=box(-5000, -5000, 15000, 13000),
                                   ordered=True)
    cells_local = np.array(list(vor.geoms), dtype=object)
    bnd_ll = _local_to_ll(bnd_local)
    cells_ll = shapely.intersection(_local_to_ll(cells_local), bnd_ll)
    river_ll = shapely.intersection(_local_to_ll(river.line), bnd_ll)
    lines = list(shapely.boundary(cells_ll)) + [bnd_ll.exterior, river_ll]
    noded = shapely.union_all(lines, grid_size=GRID_DEG)
    faces_ll = np.array(list(shapely.polygonize(list(shapely.get_parts(noded))).geoms),
                        dtype=object)
    faces_ll = faces_ll[shapely.area(faces_ll) > 0]
    faces_local = _ll_to_local(faces_ll)
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
    rep_local = shapely.get_coordinates(shapely.point_on_surface(faces_local))
    side = river.north(rep_local)
    area = shapely.area(faces_local)
    a, b, shared = _face_adjacency(faces_local)
    same = side[a] == side[b]
    nbrs: dict[int, list[tuple[int, float]]] = {i: [] for i in range(len(faces_ll))}
    for i, j, s, ok in zip(a, b, shared, same):
        if ok:
            nbrs[int(i)].append((int(j), float(s)))
            nbrs[int(j)].append((int(i), float(s)))
    # keep, per cell, the largest same-side connected group of faces
    final = np.full(len(faces_ll), -1)
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
            best = {}
            for j, s in nbrs[int(i)]:
                if final[j] >= 0:
                    best[final[j]] = best.get(final[j], 0.0) + s
            if best:
                final[i] = max(sorted(best), key=lambda k: best[k])
                changed = True
    left = final < 0
    final[left] = owner[left]
    polys_ll = np.array([shapely.union_all(faces_ll[final == c])
                         for c in sorted(set(final.tolist()))], dtype=object)
    # (faces share exact vertices, so plain unions keep them on the grid.) Snap rounding can
    # leave a sliver ring that polygonize rejects: give any hole to the neighbour sharing most
    # of its edge
    u = shapely.union_all(polys_ll)
    holes = [shapely.make_valid(Polygon(r)) for p in shapely.get_parts(u) for r in p.interiors]
    for h in holes:
        k = int(np.argmax(shapely.length(shapely.intersection(shapely.boundary(polys_ll),
                                                              h.boundary))))
        polys_ll[k] = shapely.union_all([polys_ll[k], h])
    for k, g in enumerate(polys_ll):
        if g.geom_type == "MultiPolygon" and len(g.geoms) == 1:
            polys_ll[k] = g.geoms[0]
    la_ll = shapely.union_all(polys_ll)
    return polys_ll, _ll_to_local(polys_ll), la_ll


def _lsoa_adjacency(polys_local, north):
    a, b, shared = _face_adjacency(polys_local)
    n = len(polys_local)
    adj = {i: set() for i in range(n)}
    for i, j, s in zip(a, b, shared):
        if north[i] == north[j] and s > 5.0:
            adj[int(i)].add(int(j))
            adj[int(j)].add(int(i))
    return adj


def _grow_cluster(start: int, size: int, adj, cent, target) -> list[int]:
    """A contiguous cluster of ``size`` areas grown from ``start`` toward ``target``."""
    cl = [start]
    while len(cl) < size:
        front = sorted({j for i in cl for j in adj[i]} - set(cl))
        if not front:
            break
        cl.append(min(front, key=lambda j: (_dist(cent[j], target), j)))
    return cl


def _make_wards(rng, cent, north, adj, n_wards):
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
            d = _dist(pts, cen[j])
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
                    best = (w, min(front, key=lambda j: (_dist(cent[j], target[w]), j)))
                    break
            if best is None:      # an island with no same-side neighbour: nearest ward
                for i in idx[ward[idx] < 0]:
                    d = [(_dist(cent[i], target[w]), w) for w in size]
                    ward[i] = min(d)[1]
                break
            ward[best[1]] = best[0]
            size[best[0]] += 1
        next_id += k
    return ward


# --- Streets ----------------------------------------------------------------------------------
def _street_points(rng, bnd: Polygon, river: _River):
    ang = math.radians(10.0)
    s = GRID_SPACING
    n = int(GRID_RADIUS / s) + 2
    i, j = np.meshgrid(np.arange(-n, n + 1), np.arange(-n, n + 1), indexing="ij")
    u = i.ravel() * s + rng.uniform(-0.14, 0.14, i.size) * s
    v = j.ravel() * s + rng.uniform(-0.14, 0.14, i.size) * s
    gx = CENTRE[0] + u * math.cos(ang) - v * math.sin(ang)
    gy = CENTRE[1] + u * math.sin(ang) + v * math.cos(ang)
    grid = np.column_stack([gx, gy])
    grid = grid[_dist(grid, CENTRE) < GRID_RADIUS]
    # quadtree leaves sized by density elsewhere
    cells = [(x0, y0, 1120.0) for x0 in np.arange(-560.0, 10600.0, 1120.0)
             for y0 in np.arange(-560.0, 8600.0, 1120.0)]
    leaves = []
    while cells:
        nxt = []
        arr = np.array(cells)
        cx, cy = arr[:, 0] + arr[:, 2] / 2, arr[:, 1] + arr[:, 2] / 2
        rho = _density(cx, cy)
        r = 250.0 / np.sqrt(rho) * (1.0 + 1.6 * np.clip((0.75 - rho) / 0.4, 0.0, 1.0))
        for (x0, y0, sz), rr in zip(cells, r):
            if sz > rr and sz > 140.0:
                h = sz / 2
                nxt += [(x0, y0, h), (x0 + h, y0, h), (x0, y0 + h, h), (x0 + h, y0 + h, h)]
            else:
                leaves.append((x0, y0, sz))
        cells = nxt
    lv = np.array(leaves)
    jit = rng.uniform(-0.32, 0.32, (len(lv), 2))
    q = lv[:, :2] + lv[:, 2:3] * (0.5 + jit)
    q = q[_dist(q, CENTRE) > GRID_RADIUS + 40.0]
    pts = np.vstack([grid, q])
    inner = bnd.buffer(-25.0)
    keep = shapely.contains_xy(inner, pts[:, 0], pts[:, 1])
    keep &= np.abs(pts[:, 1] - np.interp(pts[:, 0], river.xs, river.ys)) > 45.0
    pts = pts[keep]
    is_grid = np.zeros(len(pts), bool)
    is_grid[: int(keep[: len(grid)].sum())] = True
    return pts, is_grid


def _delaunay_edges(pts):
    tri = Delaunay(pts)
    s = tri.simplices
    e = np.vstack([s[:, [0, 1]], s[:, [1, 2]], s[:, [0, 2]]])
    e.sort(axis=1)
    e = np.unique(e, axis=0)
    indptr, indices = tri.vertex_neighbor_vertices
    deg = np.diff(indptr)
    nb = np.full((len(pts), deg.max()), -1)
    for k in range(deg.max()):
        has = deg > k
        nb[has, k] = indices[indptr[:-1][has] + k]
    p, q = e[:, 0], e[:, 1]
    cand = np.hstack([nb[p], nb[q]])
    valid = (cand >= 0) & (cand != p[:, None]) & (cand != q[:, None])
    cc = np.where(valid, cand, 0)
    P, Q, R = pts[p][:, None, :], pts[q][:, None, :], pts[cc]
    L2 = ((pts[p] - pts[q]) ** 2).sum(1)[:, None]
    dpr = ((P - R) ** 2).sum(2)
    dqr = ((Q - R) ** 2).sum(2)
    rng_edge = ~(valid & (dpr < L2) & (dqr < L2)).any(1)
    m = (P + Q) / 2
    gabriel = ~(valid & (((m - R) ** 2).sum(2) < L2 / 4)).any(1)
    return e, rng_edge, gabriel


class _DSU:
    def __init__(self, n):
        self.p = list(range(n))

    def find(self, a):
        while self.p[a] != a:
            self.p[a] = self.p[self.p[a]]
            a = self.p[a]
        return a

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.p[max(ra, rb)] = min(ra, rb)
        return True


def _bezier(p, q, off, n):
    p, q = np.asarray(p), np.asarray(q)
    d = q - p
    nrm = np.array([-d[1], d[0]])
    c = (p + q) / 2 + nrm * off
    t = np.linspace(0.0, 1.0, n + 1)[:, None]
    return (1 - t) ** 2 * p + 2 * (1 - t) * t * c + t ** 2 * q


def _straight(p, q, n):
    t = np.linspace(0.0, 1.0, n + 1)[:, None]
    return np.asarray(p) * (1 - t) + np.asarray(q) * t


def _build_streets(rng, bnd: Polygon, river: _River):
    """Nodes (local xy), edges as polylines with classes; planar, crossing the river only at
    the bridges."""
    pts, is_grid = _street_points(rng, bnd, river)
    e, is_rng, is_gab = _delaunay_edges(pts)
    lines = shapely.linestrings(np.stack([pts[e[:, 0]], pts[e[:, 1]]], axis=1))
    keepout = river.line.buffer(20.0)
    ok = ~shapely.intersects(lines, keepout) & shapely.covered_by(lines, bnd)
    elen = np.hypot(*(pts[e[:, 0]] - pts[e[:, 1]]).T)
    base = ok & is_rng
    # reconnect pieces on each side with the shortest valid Delaunay edges (Kruskal)
    dsu = _DSU(len(pts))
    for a, b in e[base]:
        dsu.union(int(a), int(b))
    extra = []
    for k in np.argsort(np.where(ok & ~base, elen, np.inf), kind="stable"):
        if not (ok[k] and not base[k]):
            break
        if dsu.union(int(e[k, 0]), int(e[k, 1])):
            extra.append(k)
    base[extra] = True
    north = river.north(pts)
    roots = np.array([dsu.find(i) for i in range(len(pts))])
    keep_node = np.zeros(len(pts), bool)
    for side in (True, False):
        r, cnt = np.unique(roots[north == side], return_counts=True)
        keep_node |= (roots == r[np.argmax(cnt)]) & (north == side)
    foot = ok & is_gab & ~base
    base &= keep_node[e[:, 0]] & keep_node[e[:, 1]]
    foot &= keep_node[e[:, 0]] & keep_node[e[:, 1]]
    # renumber kept nodes
    new = -np.ones(len(pts), int)
    new[keep_node] = np.arange(keep_node.sum())
    P = pts[keep_node]
    grid = is_grid[keep_node]
    rho = _density(P[:, 0], P[:, 1])
    rural = rho < 0.75
    E = new[e[base]]
    F = new[e[foot]]
    # footway extras: a share of Gabriel edges (urban cut-throughs, rural footpaths)
    fprob = np.where(grid[F[:, 0]] & grid[F[:, 1]], 0.04,
                     np.where(rural[F[:, 0]] & rural[F[:, 1]], 0.3, 0.18))
    F = F[rng.random(len(F)) < fprob]
    # shapes
    edges = []
    for a, b in E:
        a, b = int(a), int(b)
        L = float(np.hypot(*(P[a] - P[b])))
        if grid[a] and grid[b]:
            zone = "grid"
            coords = _straight(P[a], P[b], max(1, int(L // 45.0)))
            curved = None
        else:
            zone = "rural" if (rural[a] and rural[b]) else "suburb"
            if zone == "rural":
                n = max(2, int(round(L / 30.0)))
                off = rng.uniform(-0.14, 0.14)
            else:
                n = max(2, int(round(L / 20.0)))
                off = rng.uniform(-0.17, 0.17)
            coords = _bezier(P[a], P[b], off, n)
            curved = True
        edges.append({"u": a, "v": b, "coords": coords, "zone": zone, "cls": None,
                      "name": None, "curved": curved, "n": len(coords) - 1})
    for a, b in F:
        a, b = int(a), int(b)
        L = float(np.hypot(*(P[a] - P[b])))
        zone = "rural" if (rural[a] and rural[b]) else ("grid" if grid[a] and grid[b] else "suburb")
        edges.append({"u": a, "v": b, "coords": _straight(P[a], P[b], max(1, int(L // 50.0))),
                      "zone": zone, "cls": "footway", "name": None, "curved": None,
                      "n": max(1, int(L // 50.0))})
    _straighten_crossings(edges, P, bnd, keepout)
    nodes = [tuple(p) for p in P]
    # bridges
    for bx, bname, bcls in BRIDGES:
        _add_bridge(edges, nodes, river, bx, bname, bcls)
    # cul-de-sacs and their footpath cut-throughs
    _add_culdesacs(rng, edges, nodes, bnd, keepout)
    return np.array(nodes), edges


def _straighten_crossings(edges, P, bnd, keepout):
    for _ in range(20):
        geoms = np.array([LineString(ed["coords"]) for ed in edges], dtype=object)
        bad = ~shapely.covered_by(geoms, bnd) | shapely.intersects(geoms, keepout)
        tree = shapely.STRtree(geoms)
        a, b = tree.query(geoms, predicate="crosses")
        bad[a] = True
        bad[b] = True
        fix = [i for i in np.flatnonzero(bad) if edges[i]["curved"]]
        if not fix:
            return
        for i in fix:
            ed = edges[i]
            ed["coords"] = _straight(P[ed["u"]], P[ed["v"]], ed["n"])
            ed["curved"] = False
    raise RuntimeError("demo streets: could not remove crossings")


def _edge_tree(edges):
    geoms = np.array([LineString(ed["coords"]) for ed in edges], dtype=object)
    return geoms, shapely.STRtree(geoms)


def _add_bridge(edges, nodes, river, bx, bname, bcls):
    by = float(np.interp(bx, river.xs, river.ys))
    dy = float(np.interp(bx + 5, river.xs, river.ys) - np.interp(bx - 5, river.xs, river.ys))
    t = np.array([10.0, dy]) / math.hypot(10.0, dy)
    nrm = np.array([-t[1], t[0]])
    c = np.array([bx, by])
    ends = [c - 32.0 * nrm, c + 32.0 * nrm]      # south, north
    geoms, tree = _edge_tree(edges)
    P = np.array(nodes)
    incident: dict[int, list[int]] = {}
    for k, ed in enumerate(edges):
        incident.setdefault(ed["u"], []).append(k)
        incident.setdefault(ed["v"], []).append(k)
    end_ids = []
    river_poly = river.line.buffer(14.0)
    for end in ends:
        eid = len(nodes)
        nodes.append((float(end[0]), float(end[1])))
        end_ids.append(eid)
        north = bool(river.north(end))
        d = _dist(P, end)
        order = np.argsort(d, kind="stable")
        links = 0
        for v in order[:40]:
            v = int(v)
            if bool(river.north(P[v])) != north or d[v] > 600:
                continue
            seg = LineString([end, P[v]])
            if seg.intersects(river_poly):
                continue
            hits = [h for h in tree.query(seg, predicate="intersects")
                    if h not in incident.get(v, [])]
            if hits:
                continue
            n = max(1, int(d[v] // 40.0))
            edges.append({"u": eid, "v": v, "coords": _straight(end, P[v], n),
                          "zone": "bridge_approach",
                          "cls": "footway" if bcls == "footway" else None,
                          "name": None, "curved": False, "n": n})
            links += 1
            if links == 2:
                break
        if links == 0:
            raise RuntimeError(f"demo streets: cannot connect {bname}")
    coords = _straight(ends[0], ends[1], 3)
    edges.append({"u": end_ids[0], "v": end_ids[1], "coords": coords, "zone": "bridge",
                  "cls": bcls, "name": bname, "curved": False, "n": 3, "bridge": True})


def _add_culdesacs(rng, edges, nodes, bnd, keepout):
    geoms, tree = _edge_tree(edges)
    P = np.array(nodes)
    rho = _density(P[:, 0], P[:, 1])
    dirs: dict[int, list[float]] = {}
    for ed in edges:
        c = ed["coords"]
        dirs.setdefault(ed["u"], []).append(math.atan2(*(c[1] - c[0])[::-1]))
        dirs.setdefault(ed["v"], []).append(math.atan2(*(c[-2] - c[-1])[::-1]))
    inner = bnd.buffer(-15.0)
    added: list[LineString] = []
    added_pts = []
    cands = [i for i in range(len(P)) if 0.6 < rho[i] < 4.5
             and _dist(P[i], CENTRE) > GRID_RADIUS - 300 and len(dirs.get(i, [])) <= 3]
    rng.shuffle(cands)
    cul_edges = []
    for i in cands:
        if rng.random() > 0.55:
            continue
        angs = sorted(dirs[i])
        gaps = [(angs[(k + 1) % len(angs)] - angs[k]) % (2 * math.pi) or 2 * math.pi
                for k in range(len(angs))]
        k = int(np.argmax(gaps))
        if gaps[k] < math.radians(110):
            continue
        a = angs[k] + gaps[k] / 2 + rng.uniform(-0.25, 0.25)
        length = rng.uniform(55.0, 150.0)
        nseg = max(3, int(length // 22.0))
        step = length / nseg
        turn = rng.uniform(-0.35, 0.35)
        pts = [np.asarray(P[i])]
        for _ in range(nseg):
            pts.append(pts[-1] + step * np.array([math.cos(a), math.sin(a)]))
            a += turn
        line = LineString(pts)
        tail = LineString(pts[1:])
        if not inner.contains(line) or line.intersects(keepout):
            continue
        near = tree.query(tail, predicate="dwithin", distance=18.0)
        if len(near):
            continue
        if added and shapely.dwithin(np.array(added, dtype=object), line, 18.0).any():
            continue
        added.append(line)
        eid = len(nodes)
        nodes.append((float(pts[-1][0]), float(pts[-1][1])))
        cul_edges.append({"u": i, "v": eid, "coords": np.array(pts), "zone": "culdesac",
                          "cls": None, "name": None, "curved": False, "n": nseg})
        added_pts.append(eid)
    edges.extend(cul_edges)
    # footpath cut-throughs from some cul-de-sac heads to the nearest other node
    geoms, tree = _edge_tree(edges)
    P = np.array(nodes)
    kd = cKDTree(P)
    incident: dict[int, list[int]] = {}
    for k, ed in enumerate(edges):
        incident.setdefault(ed["u"], []).append(k)
        incident.setdefault(ed["v"], []).append(k)
    for eid in added_pts:
        if rng.random() > 0.35:
            continue
        ds, js = kd.query(P[eid], k=6)
        for dj, j in zip(ds[1:], js[1:]):
            j = int(j)
            if dj > 90.0 or any(edges[k]["u"] == j or edges[k]["v"] == j
                                for k in incident[eid]):
                continue
            seg = LineString([P[eid], P[j]])
            hits = [h for h in tree.query(seg, predicate="intersects")
                    if h not in incident[eid] and h not in incident.get(j, [])]
            if hits or seg.intersects(keepout):
                continue
            n = max(1, int(dj // 30.0))
            edges.append({"u": eid, "v": j, "coords": _straight(P[eid], P[j], n),
                          "zone": "cut", "cls": "footway", "name": None, "curved": False,
                          "n": n})
            break


# --- Road classes and names ---------------------------------------------------------------
RADIALS = ((95.0, "Nottingham Road"), (25.0, "Melton Road"), (-40.0, "Leicester Road"),
           (-115.0, "Hinckley Road"), (185.0, "Ashby Road"), (140.0, "Derby Road"))
STEMS = (
    "Mill", "Church", "Chapel", "Station", "Park", "Victoria", "Albert", "Queen", "King",
    "Oak", "Ash", "Elm", "Willow", "Beech", "Cedar", "Hawthorn", "Rowan", "Holly", "Larch",
    "Poplar", "Birch", "Maple", "Linden", "Chestnut", "Sycamore", "Meadow", "Brook", "Wharf",
    "Canal", "Orchard", "Granby", "Clarence", "Cromwell", "Nelson", "Wellington", "Gladstone",
    "Tennyson", "Byron", "Milton", "Shelley", "Wordsworth", "Keats", "Dickens", "Hardy",
    "Austen", "Bronte", "Eliot", "Kipling", "Chaucer", "Spencer", "Howard", "Russell",
    "Cavendish", "Grosvenor", "Stanley", "Windsor", "York", "Lancaster", "Tudor", "Stuart",
    "Hanover", "Coronation", "Jubilee", "Empire", "Forest", "Heath", "Moor", "Field", "Dale",
    "Vale", "Hill", "Ridge", "Spring", "Well", "Pond", "Lake", "Bridge", "Ferry", "Tanner",
    "Weaver", "Dyer", "Cooper", "Fletcher", "Mason", "Carter", "Baker", "Foundry", "Hosiery",
    "Lace", "Bell", "Abbey", "Priory", "Manor", "Grange", "Hall", "Castle", "Market", "Cross",
    "Swan", "Falcon", "Kestrel", "Heron", "Wren", "Lark", "Thrush", "Robin", "Finch", "Linnet",
    "Foxglove", "Primrose", "Bluebell", "Cowslip", "Harebell", "Clover", "Heather", "Bramble",
    "Juniper", "Laurel", "Lavender", "Magnolia", "Sorrel", "Thistle", "Yew", "Alder", "Hazel",
    "Rosemary", "Saxon", "Danes", "Norman", "Roman", "Beaumont", "Ferrers", "Hastings",
    "Burleigh", "Fairfield", "Greenacre", "Brookfield", "Southfield", "Westfield", "Northcote",
    "Ashfield", "Oakley", "Ashby", "Thorpe", "Barrow", "Quorn", "Kirby", "Sileby", "Hathern",
)
SUFFIX = {
    "grid": ("Street", "Street", "Road", "Terrace", "Place", "Lane", "Row"),
    "suburb": ("Road", "Avenue", "Drive", "Way", "Crescent", "Grove", "Gardens", "Road"),
    "culdesac": ("Close", "Court", "Mews", "Rise", "Close", "View", "Croft"),
    "rural": ("Lane", "Lane", "Road"),
}


def _classify_and_name(rng, nodes, edges, bnd, river):
    n = len(nodes)
    P = np.asarray(nodes)
    lengths = np.array([float(np.hypot(*np.diff(ed["coords"], axis=0).T).sum()) for ed in edges])
    u = np.array([ed["u"] for ed in edges])
    v = np.array([ed["v"] for ed in edges])
    motor = np.array([ed["cls"] != "footway" for ed in edges])
    rows_ = np.r_[u[motor], v[motor]]
    cols_ = np.r_[v[motor], u[motor]]
    G = coo_matrix((np.r_[lengths[motor], lengths[motor]], (rows_, cols_)), shape=(n, n)).tocsr()
    kd = cKDTree(P)
    centre_node = int(kd.query(CENTRE)[1])
    _, pred = dijkstra(G, indices=centre_node, return_predecessors=True)
    emap = {}
    for k in range(len(edges)):
        if motor[k]:
            key = (min(u[k], v[k]), max(u[k], v[k]))
            if key not in emap or lengths[k] < lengths[emap[key]]:
                emap[key] = k

    def claim(target_node, cls, name):
        t = int(target_node)
        while t != centre_node and pred[t] >= 0:
            s = int(pred[t])
            k = emap[(min(s, t), max(s, t))]
            ed = edges[k]
            if ed["cls"] is None:
                ed["cls"], ed["name"] = cls, name
            t = s

    for ang, name in RADIALS:
        d = np.array([math.cos(math.radians(ang)), math.sin(math.radians(ang))])
        ray = LineString([CENTRE, np.asarray(CENTRE) + 9000 * d])
        hit = ray.intersection(bnd.exterior)
        far = shapely.get_coordinates(hit)
        far = far[np.argmin(_dist(far, CENTRE))] - 120 * d
        claim(kd.query(far)[1], "primary", name)
    for bx, bname, bcls in BRIDGES:
        if bcls == "tertiary":
            by = float(np.interp(bx, river.xs, river.ys))
            claim(kd.query((bx, by - 400.0))[1], "tertiary", f"{bname.split()[0]} Road")
    targets = [(HOTSPOT, "Ferry Road"), (GAP, "Eastgate Road")]
    targets += [(c, f"{name.split()[0]} Road") for name, c in VILLAGES.items()]
    for c, name in targets:
        claim(kd.query(c)[1], "tertiary", name)
    for ed in edges:
        if ed["cls"] is None:
            z = ed["zone"]
            if z == "rural":
                ed["cls"] = "track" if rng.random() < 0.3 else "unclassified"
            elif z == "culdesac":
                ed["cls"] = "service" if rng.random() < 0.15 else "residential"
            else:
                ed["cls"] = "residential"
    return _chain_ways(rng, P, edges)


def _chain_ways(rng, P, edges):
    """Group edges into OSM ways by straight continuation; name them."""
    ends: dict[int, list[tuple[int, int]]] = {}
    for k, ed in enumerate(edges):
        if ed.get("bridge"):
            continue
        ends.setdefault(ed["u"], []).append((k, 0))
        ends.setdefault(ed["v"], []).append((k, 1))
    link: dict[tuple[int, int], tuple[int, int]] = {}

    def key(k):
        ed = edges[k]
        if ed["cls"] in ("primary", "tertiary"):
            return (ed["cls"], ed["name"])
        if ed["cls"] == "residential" and ed["zone"] == "culdesac":
            return ("culdesac", None)
        return (ed["cls"], None)

    for node in sorted(ends):
        items = ends[node]
        if len(items) < 2:
            continue
        dirs = []
        for k, side in items:
            c = edges[k]["coords"]
            d = (c[1] - c[0]) if side == 0 else (c[-2] - c[-1])
            dirs.append(d / (np.hypot(*d) + 1e-9))
        pairs = []
        for a in range(len(items)):
            for b in range(a + 1, len(items)):
                if key(items[a][0]) != key(items[b][0]) or items[a][0] == items[b][0]:
                    continue
                dev = math.degrees(math.acos(max(-1.0, min(1.0, -float(dirs[a] @ dirs[b])))))
                named = edges[items[a][0]]["cls"] in ("primary", "tertiary")
                if dev < (150.0 if named else 40.0):
                    pairs.append((dev, a, b))
        used = set()
        for dev, a, b in sorted(pairs):
            if a in used or b in used:
                continue
            used |= {a, b}
            link[items[a]] = items[b]
            link[items[b]] = items[a]
    seen = [False] * len(edges)
    ways = []

    def walk(k, enter_side):
        seq = []
        while True:
            seen[k] = True
            seq.append((k, enter_side))
            exit_end = (k, 1 - enter_side)
            nxt = link.get(exit_end)
            if nxt is None or seen[nxt[0]]:
                return seq
            k, enter_side = nxt

    order = list(range(len(edges)))
    for k in order:                      # start at chain ends first
        if seen[k] or edges[k].get("bridge"):
            continue
        if (k, 0) not in link:
            ways.append(walk(k, 0))
        elif (k, 1) not in link:
            ways.append(walk(k, 1))
    for k in order:                      # closed loops, and bridges
        if not seen[k]:
            ways.append(walk(k, 0) if not edges[k].get("bridge") else [(k, 0)])
            seen[k] = True
    # names
    combos = {z: [(s, x) for s in STEMS for x in sorted(set(suf))] for z, suf in SUFFIX.items()}
    for z in combos:
        order_ = rng.permutation(len(combos[z]))
        combos[z] = [combos[z][i] for i in order_]
    used_names: set[str] = set()
    pos = {z: 0 for z in combos}
    out = []
    for seq in ways:
        ed0 = edges[seq[0][0]]
        cls = ed0["cls"]
        name = ed0["name"]
        if name is None and cls in ("residential", "unclassified"):
            zone = ed0["zone"] if ed0["zone"] in SUFFIX else "suburb"
            if cls == "unclassified":
                zone = "rural"
            total = sum(edges[k]["n"] for k, _ in seq)
            if cls == "residential" and total < 2 and zone != "culdesac":
                zone = "grid"
            while True:
                s, x = combos[zone][pos[zone] % len(combos[zone])]
                pos[zone] += 1
                cand = f"{s} {x}"
                if cand not in used_names or pos[zone] > len(combos[zone]):
                    break
            name = cand
            used_names.add(name)
        coords_nodes = []
        for k, enter in seq:
            ed = edges[k]
            c = ed["coords"] if enter == 0 else ed["coords"][::-1]
            a, b = (ed["u"], ed["v"]) if enter == 0 else (ed["v"], ed["u"])
            coords_nodes.append((a, b, c))
        out.append({"cls": cls, "name": name, "parts": coords_nodes,
                    "bridge": bool(ed0.get("bridge")), "zone": ed0["zone"],
                    "edges": [k for k, _ in seq]})
    return out


def _osm_xml(nodes, ways, river: _River, bnd: Polygon, pois) -> tuple[bytes, dict, dict]:
    """OSM XML; returns (bytes, node id -> lon/lat, edge index -> way name)."""
    nodes = np.asarray(nodes)
    lon, lat = _xy_to_lonlat(nodes)
    node_lines = []
    for i in range(len(nodes)):
        node_lines.append(f'  <node id="{i + 1}" lat="{lat[i]:.7f}" lon="{lon[i]:.7f}"/>')
    next_id = len(nodes) + 1
    way_lines = []
    extra_xy = []
    edge_name = {}
    for w_i, w in enumerate(ways):
        refs = []
        for a, b, c in w["parts"]:
            if not refs:
                refs.append(a + 1)
            for pt in c[1:-1]:
                extra_xy.append(pt)
                refs.append(next_id)
                next_id += 1
            refs.append(b + 1)
        for k in w["edges"]:
            edge_name[k] = w["name"]
        tags = [("highway", w["cls"])]
        if w["name"]:
            tags.append(("name", w["name"]))
        if w["bridge"]:
            tags += [("bridge", "yes"), ("layer", "1")]
        if w["cls"] == "track":
            tags.append(("tracktype", "grade2"))
        if w["cls"] == "footway" and w["zone"] == "rural":
            tags.append(("designation", "public_footpath"))
        if w["cls"] == "primary":
            tags.append(("maxspeed", "30 mph"))
        if w["cls"] == "service":
            tags.append(("service", "parking_aisle"))
        if w["cls"] in ("residential", "service", "tertiary", "primary", "unclassified"):
            tags.append(("sidewalk", "both" if w["zone"] in ("grid", "suburb", "culdesac")
                         else "no"))
        way_lines.append((refs, tags))
    # the river itself (not part of the street network)
    rl = shapely.intersection(river.line, bnd.buffer(300.0))
    rxy = shapely.get_coordinates(rl)[::2]
    river_refs = []
    for pt in rxy:
        extra_xy.append(pt)
        river_refs.append(next_id)
        next_id += 1
    way_lines.append((river_refs, [("waterway", "river"), ("name", RIVER_NAME)]))
    if extra_xy:
        ex = np.asarray(extra_xy)
        elon, elat = _xy_to_lonlat(ex)
        base_id = len(nodes) + 1
        for i in range(len(ex)):
            node_lines.append(f'  <node id="{base_id + i}" lat="{elat[i]:.7f}" '
                              f'lon="{elon[i]:.7f}"/>')
    for tags, (plon, plat) in pois:
        t = "".join(f'<tag k="{_x(k)}" v="{_x(v)}"/>' for k, v in tags)
        node_lines.append(f'  <node id="{next_id}" lat="{plat:.7f}" lon="{plon:.7f}">{t}</node>')
        next_id += 1
    all_lat = np.r_[lat, elat] if extra_xy else lat
    all_lon = np.r_[lon, elon] if extra_xy else lon
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<osm version="0.6" generator="assetmap demo (synthetic Ashbrook)">',
           f'  <bounds minlat="{all_lat.min():.7f}" minlon="{all_lon.min():.7f}" '
           f'maxlat="{all_lat.max():.7f}" maxlon="{all_lon.max():.7f}"/>']
    out += node_lines
    for w_i, (refs, tags) in enumerate(way_lines):
        body = "".join(f'<nd ref="{r}"/>' for r in refs)
        body += "".join(f'<tag k="{_x(k)}" v="{_x(v)}"/>' for k, v in tags)
        out.append(f'  <way id="{w_i + 1}">{body}</way>')
    out.append("</osm>\n")
    stats = {"osm_nodes": next_id - 1, "osm_ways": len(way_lines),
             "street_nodes": len(nodes) + len(extra_xy) - len(river_refs)}
    return "\n".join(out).encode("utf-8"), stats, edge_name


def _x(s) -> str:
    return (str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


# --- Population and indicators ------------------------------------------------------------------
#: Approximate IMD 2019 score thresholds of English LSOA deciles (decile 1 = most deprived).
IMD_DECILE_THRESHOLDS = (45.0, 34.2, 27.4, 22.4, 18.3, 14.9, 11.8, 9.1, 6.6)


def imd_decile(score: float) -> int:
    for i, t in enumerate(IMD_DECILE_THRESHOLDS):
        if score >= t:
            return i + 1
    return 10


def _split_int(total: int, shares) -> list[int]:
    """Integers summing to ``total`` in proportion to ``shares`` (largest remainder)."""
    shares = np.asarray(shares, float)
    raw = total * shares / shares.sum()
    out = np.floor(raw).astype(int)
    rem = total - out.sum()
    for i in np.argsort(-(raw - out), kind="stable")[:rem]:
        out[i] += 1
    return out.tolist()


def _population(rng, cent, area_km2, planted):
    """Per-LSOA population, census shares and indicator counts (dict of arrays)."""
    n = len(cent)
    x, y = cent[:, 0], cent[:, 1]
    hot = np.isin(np.arange(n), planted["hotspot"])
    gap = np.isin(np.arange(n), planted["gap"])
    rural = np.clip((np.log(area_km2) - np.log(0.6)) / (np.log(3.0) - np.log(0.6)), 0.0, 1.0)
    dep = (0.15 + 0.75 * _gauss(x, y, DEPRIVED, 1100.0) + 0.55 * _gauss(x, y, GAP, 650.0)
           + 0.3 * _gauss(x, y, HOTSPOT, 700.0) - 0.18 * _gauss(x, y, AFFLUENT, 1300.0)
           + rng.normal(0.0, 0.05, n))
    dep = np.clip(dep, 0.02, 1.0)
    dep[gap] = np.clip(dep[gap], 0.8, None) + rng.uniform(0.0, 0.1, gap.sum())
    dep[hot] = np.clip(dep[hot], 0.4, 0.6)
    old = (0.3 + 0.45 * rural + 0.15 * _gauss(x, y, AFFLUENT, 1300.0)
           - 0.25 * _gauss(x, y, CENTRE, 900.0) + rng.normal(0.0, 0.05, n))
    old = np.clip(old, 0.0, 1.0)
    old[hot] = rng.uniform(0.85, 1.0, hot.sum())
    total = np.clip(np.round(rng.normal(1600.0, 170.0, n) - 150 * rural), 1050, 2400).astype(int)
    s65 = np.clip(0.12 + 0.21 * old + rng.normal(0.0, 0.01, n), 0.12, 0.35)
    s65[hot] = np.clip(s65[hot], 0.31, 0.35)
    s017 = np.clip(0.17 + 0.08 * dep - 0.05 * old + rng.normal(0.0, 0.01, n), 0.12, 0.28)
    f6574 = 0.56 - 0.12 * old
    f85 = 0.08 + 0.08 * old
    bands = np.zeros((n, 5), int)
    for i in range(n):
        p65 = int(round(total[i] * s65[i]))
        p017 = int(round(total[i] * s017[i]))
        a, b, c = _split_int(p65, [f6574[i], 1.0 - f6574[i] - f85[i], f85[i]])
        bands[i] = [p017, total[i] - p017 - p65, a, b, c]
    pop65 = bands[:, 2:].sum(1)
    hh_size = np.clip(2.45 - 0.35 * old + 0.2 * dep + rng.normal(0.0, 0.04, n), 1.9, 2.8)
    households = np.round(total / hh_size).astype(int)
    p_alone = np.clip(0.22 + 0.12 * dep + 0.15 * old + rng.normal(0.0, 0.02, n), 0.15, 0.55)
    p_alone[hot] = np.clip(p_alone[hot] + 0.15, 0.45, 0.58)
    p_alone[gap] += 0.06
    alone65 = np.round(pop65 * p_alone).astype(int)
    widowed = np.clip(0.85 * p_alone + rng.normal(0.0, 0.02, n), 0.12, 0.55)
    poor = np.clip(0.07 + 0.2 * dep + rng.normal(0.0, 0.015, n), 0.05, 0.35)
    poor[hot] = np.clip(poor[hot] + 0.1, 0.24, 0.35)
    fair = np.clip(0.25 + 0.08 * dep + 0.03 * old + rng.normal(0.0, 0.015, n), 0.2, 0.4)
    good = np.clip(0.36 - 0.03 * dep + rng.normal(0.0, 0.015, n), 0.25, 0.42)
    vgood = 1.0 - poor - fair - good
    hcounts = np.array([_split_int(int(p), [g, f, pr, max(vg, 0.05)])
                        for p, g, f, pr, vg in zip(pop65, good, fair, poor, vgood)])
    a7579 = np.round(bands[:, 3] * (0.55 + rng.normal(0.0, 0.02, n))).astype(int)
    hh65 = np.clip(2.25 - 1.6 * p_alone + rng.normal(0.0, 0.03, n), 1.3, 2.2)
    llti = np.clip(0.11 + 0.14 * dep + 0.08 * (s65 - 0.12) / 0.23 + rng.normal(0.0, 0.01, n),
                   0.08, 0.34)
    bad = np.clip(0.025 + 0.08 * dep + 0.02 * old + rng.normal(0.0, 0.004, n), 0.015, 0.13)
    carers = np.clip(0.07 + 0.04 * old + 0.03 * dep + rng.normal(0.0, 0.006, n), 0.05, 0.15)
    gapb = gap.astype(float)
    llti += 0.03 * gapb
    carers += 0.02 * gapb
    imd = np.clip(5.0 + 55.0 * dep ** 1.1 + rng.normal(0.0, 1.5, n), 5.0, 60.0).round(3)
    pop60 = pop65 + np.round(bands[:, 1] * 0.1).astype(int)
    idaopi = np.clip(0.05 + 0.4 * dep + rng.normal(0.0, 0.015, n), 0.03, 0.5)
    return {
        "bands": bands, "pop65": pop65, "households": households, "alone65": alone65,
        "widowed": np.round(pop65 * widowed).astype(int), "health": hcounts,
        "a7579": a7579, "hh65": hh65.round(3), "llti": np.round(total * llti).astype(int),
        "bad": np.round(total * bad).astype(int), "carers": np.round(total * carers).astype(int),
        "imd": imd, "pop60": pop60, "idaopi": np.round(pop60 * idaopi).astype(int),
        "total": total, "dep": dep, "old": old, "rural": rural,
    }


def _indicators_frame() -> pd.DataFrame:
    rows = []
    for iid in ("pop_65_plus", "living_alone_65", "llti", "unpaid_carers", "bad_health",
                "imd_score", "imd_decile", "idaopi"):
        m = model.INDICATORS[iid]
        rows.append({"id": m.id, "title": m.title, "unit": m.unit, "polarity": m.polarity,
                     "ci_method": m.ci_method,
                     "source": f"Synthetic demo data (Ashbrook), modelled on: {m.source}",
                     "period": "2019" if iid.startswith(("imd", "idaopi")) else "2021",
                     "description": m.description or None})
    lon = {
        "lon_health_good": ("People aged 65+ in good health (share)",
                            "Share (0-1) of residents aged 65+ whose general health is good"),
        "lon_health_fair": ("People aged 65+ in fair health (share)",
                            "Share (0-1) of residents aged 65+ whose general health is fair"),
        "lon_health_poor": ("People aged 65+ in bad or very bad health (share)",
                            "Share (0-1) of residents aged 65+ whose general health is bad or "
                            "very bad"),
        "lon_widowed": ("People aged 65+ widowed (share)",
                        "Share (0-1) of residents aged 65+ who are widowed or a surviving "
                        "civil partner"),
        "lon_aged_75_79": ("People aged 75-79 (share of 65+)",
                           "Share (0-1) of residents aged 65+ who are aged 75 to 79"),
        "lon_household_size": ("Mean household size, people aged 65+",
                               "Mean number of people in the households of residents aged 65+"),
    }
    for iid in model.LONELINESS_INPUTS:
        title, desc = lon[iid]
        rows.append({"id": iid, "title": title,
                     "unit": "persons" if iid == "lon_household_size" else "share",
                     "polarity": "neutral", "ci_method": "none",
                     "source": "Synthetic demo data (Ashbrook), modelled on Census 2021 (ONS); "
                               "input to the Age UK loneliness risk model",
                     "period": "2021", "description": desc + " (count = people in the group, "
                     "denominator = residents aged 65+)" if iid != "lon_household_size" else desc})
    return pd.DataFrame(rows, columns=list(model.INDICATOR_COLUMNS))


def _values_frame(codes, pop) -> pd.DataFrame:
    rows = []

    def prop(iid, count, den):
        for c, k, d in zip(codes, count, den):
            k, d = int(k), int(d)
            rows.append({"indicator_id": iid, "area_code": c,
                         "value": round(100.0 * k / d, 4) if d else None,
                         "count": float(k), "denominator": float(d)})

    def share(iid, count, den):
        for c, k, d in zip(codes, count, den):
            k, d = int(k), int(d)
            rows.append({"indicator_id": iid, "area_code": c, "value": round(k / d, 6),
                         "count": float(k), "denominator": float(d)})

    def plain(iid, vals):
        for c, v in zip(codes, vals):
            rows.append({"indicator_id": iid, "area_code": c, "value": float(v),
                         "count": None, "denominator": None})

    prop("pop_65_plus", pop["pop65"], pop["total"])
    prop("living_alone_65", pop["alone65"], pop["households"])
    prop("llti", pop["llti"], pop["total"])
    prop("unpaid_carers", pop["carers"], pop["total"])
    prop("bad_health", pop["bad"], pop["total"])
    plain("imd_score", pop["imd"])
    plain("imd_decile", [imd_decile(s) for s in pop["imd"]])
    prop("idaopi", pop["idaopi"], pop["pop60"])
    h = pop["health"]
    share("lon_health_good", h[:, 0], pop["pop65"])
    share("lon_health_fair", h[:, 1], pop["pop65"])
    share("lon_health_poor", h[:, 2], pop["pop65"])
    share("lon_widowed", pop["widowed"], pop["pop65"])
    share("lon_aged_75_79", pop["a7579"], pop["pop65"])
    plain("lon_household_size", pop["hh65"])
    df = pd.DataFrame(rows, columns=list(model.VALUE_COLUMNS))
    df["lower_ci"] = None
    df["upper_ci"] = None
    for col in ("value", "count", "denominator", "lower_ci", "upper_ci"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    return df


# --- Assets -----------------------------------------------------------------------------------
ASSET_COUNTS = {"cafe_pub": 112, "faith_venue": 52, "park": 48, "community_centre": 34,
                "sport_leisure": 32, "pharmacy": 34, "gp_practice": 24, "library": 9,
                "neighbourhood_hub": 11, "other": 44}
N_PROVIDERS = 60

PUBS = ("The Red Lion", "The Plough", "The Royal Oak", "The White Hart", "The Swan",
        "The Crown", "The Bell", "The Black Horse", "The Wheatsheaf", "The Greyhound",
        "The Anchor", "The Navigation", "The Packhorse", "The Three Crowns", "The Fox & Hounds",
        "The Rose & Crown", "The George", "The Green Man", "The Nag's Head", "The Boat Inn",
        "The Windmill", "The Old Bull", "The Queen's Head", "The Mill Wheel", "The Ferryman")
CAFES = ("Bean There", "The Copper Kettle", "Brew & Bake", "Daisy's Tea Room", "Corner Cafe",
         "The Buttery", "Cafe Ash", "Mugs & Muffins", "The Little Teapot", "Crumbs",
         "Riverside Coffee", "The Pantry", "Sunrise Cafe", "Grounds for Coffee",
         "The Old Bakery Cafe", "Cuppa Corner", "Mario's Cafe", "Bloom Cafe")
FAITH = ("St {s}'s Church", "{w} Methodist Church", "{w} Baptist Church", "St {s}'s RC Church",
         "{w} Mosque", "Guru Nanak Gurdwara {w}", "{w} United Reformed Church",
         "{w} Pentecostal Church", "Kingdom Hall, {w}", "Shree Ram Mandir {w}",
         "{w} Evangelical Church", "Quaker Meeting House, {w}")
SAINTS = ("Anne", "Mary", "Peter", "Paul", "John", "Michael", "Andrew", "Botolph", "Bartholomew",
          "Margaret", "Luke", "Mark", "James", "Helen", "Hugh", "Wilfrid", "Chad", "Giles")
PARKS = ("{w} Park", "{w} Recreation Ground", "{s} Playing Field", "{w} Memorial Gardens",
         "{s} Green", "{w} Allotments", "{s} Nature Reserve", "{w} Pocket Park",
         "{s} Meadows", "{w} Community Orchard")
SPORT = ("{w} Bowls Club", "{w} Cricket Club", "{w} Leisure Centre", "{w} Swimming Baths",
         "{s} Tennis Club", "{w} Sports Ground", "{w} Table Tennis Club",
         "{s} Walking Football", "{w} Golf Club", "{s} Snooker Hall")
OTHER = ("{w} Men's Shed", "{w} Post Office", "{w} Credit Union", "{s} Bingo Hall",
         "{w} Citizens Advice Outreach", "{w} Food Bank", "{s} Repair Cafe",
         "{w} Carers' Centre", "{w} Dementia Cafe", "{w} Over-60s Club", "{s} Lunch Club",
         "{w} Digital Drop-in", "{w} Royal British Legion", "{s} Knit & Natter",
         "{w} Good Neighbours Shop", "{w} Hearing Aid Clinic")
CATEGORY_TEXT = {
    "cafe_pub": "Somewhere to meet over a drink or a meal.",
    "faith_venue": "Worship, and a hall used by community groups during the week.",
    "park": "Green space with benches and level paths.",
    "community_centre": "Halls and rooms for hire; regular groups for all ages.",
    "sport_leisure": "Sport and exercise, with sessions for older people.",
    "pharmacy": "Prescriptions, advice and health checks.",
    "gp_practice": "NHS general practice.",
    "library": "Books, computers, free wifi and regular groups.",
    "neighbourhood_hub": "Base of the local neighbourhood network for older people: "
                         "lunch club, activities, help at home and a friendly call.",
    "other": "Local service or group.",
}
OSM_TAGS = {"cafe_pub": None, "faith_venue": ("amenity", "place_of_worship"),
            "park": ("leisure", "park"), "community_centre": ("amenity", "community_centre"),
            "sport_leisure": ("leisure", "sports_centre"), "pharmacy": ("amenity", "pharmacy"),
            "gp_practice": ("amenity", "doctors"), "library": ("amenity", "library")}
HOURS = {
    "cafe_pub": ("Mo-Sa 08:00-16:00; Su 09:00-14:00", "Mo-Su 11:00-23:00",
                 "Mo-Th 12:00-23:00; Fr-Sa 12:00-24:00; Su 12:00-22:30"),
    "faith_venue": ("Su 09:00-13:00; We 10:00-12:00", "Mo-Su 05:00-22:00"),
    "park": ("24/7", "Mo-Su 07:30-20:00"),
    "community_centre": ("Mo-Fr 09:00-21:00; Sa 09:00-13:00", "Mo-Fr 09:00-17:00"),
    "sport_leisure": ("Mo-Fr 06:30-22:00; Sa-Su 08:00-18:00", "Tu,Th 10:00-16:00; Sa 13:00-18:00"),
    "pharmacy": ("Mo-Fr 09:00-18:00; Sa 09:00-13:00", "Mo-Sa 08:00-22:00; Su 10:00-16:00"),
    "gp_practice": ("Mo-Fr 08:00-18:30",),
    "library": ("Mo,We,Fr 09:30-17:00; Tu,Th 09:30-19:00; Sa 09:30-13:00", "Tu,Th,Sa 10:00-13:00"),
    "neighbourhood_hub": ("Mo-Fr 09:30-16:00",),
    "other": ("Mo-Fr 10:00-16:00", "We 10:00-12:00", "Th 13:30-16:00"),
    "micro_provider": ("Mo-Fr 08:00-18:00", "Mo-Su 07:00-22:00", "Mo-Fr 09:00-17:00",
                       "Tu-Th 10:00-15:00"),
}
FIRST_NAMES = ("Sunita", "Kwame", "Aisha", "Margaret", "Tomasz", "Grace", "Harpreet", "Janet",
               "Imran", "Bernadette", "Olu", "Priya", "Gareth", "Mei", "Rukhsana", "Dave",
               "Agnieszka", "Winston", "Fatima", "Sue", "Kamal", "Linda", "Jas", "Colin")
SURNAMES = ("Patel", "Okafor", "Kowalski", "Smith", "Begum", "Singh", "O'Brien", "Mistry",
            "Campbell", "Hussain", "Walker", "Mensah", "Khan", "Taylor", "Nowak", "Gill")
FOCUS = ("Punjabi speakers", "Gujarati speakers", "Polish speakers", "LGBT+",
         "Faith: Muslim", "Faith: Sikh", "African-Caribbean elders", "Deaf (BSL users)",
         "Urdu speakers", "Faith: Hindu")
PROVIDER_NAMES = {
    "home_support": ("{f}'s Home Help", "{w} Home Helpers", "Helping Hands {w}",
                     "Homely Help by {f}", "A Little Help from {f}"),
    "domiciliary_care": ("{l} Care at Home", "{w} Homecare Co-operative", "Kind Care by {f}",
                         "{f} {l} Personal Care"),
    "day_activities": ("{w} Day Club", "Golden Days with {f}", "{f}'s Friday Club",
                       "The {w} Get-Together", "Hands On Crafts CIC"),
    "accommodation": ("Shared Lives with {f} {l}", "{w} Homeshare"),
    "befriending": ("Cuppa & Chat {w}", "{f}'s Friendly Visits", "{w} Befrienders"),
    "transport": ("{w} Community Car Scheme", "{f}'s Door-to-Door", "{w} Dial-a-Ride CIC"),
    "other": ("{f}'s Garden & Odd Jobs", "{w} Pets & Paws Help", "{l} Handy Helpers"),
}
ACTIVITIES = ("lunch club", "coffee morning", "chair-based exercise", "walking group",
              "digital skills drop-in", "befriending calls", "shopping trips", "men's shed",
              "dementia cafe", "bingo", "gardening club", "benefits advice", "singing group",
              "tai chi", "craft circle", "good neighbour visits")


def _postcode(rng, district: int) -> str:
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    return (f"AS{district} {int(rng.integers(1, 10))}"
            f"{letters[int(rng.integers(len(letters)))]}{letters[int(rng.integers(len(letters)))]}")


def _phone(rng) -> str:
    return f"01632 960{int(rng.integers(0, 1000)):03d}"   # Ofcom drama range: not real


def _slug(s: str) -> str:
    out = "".join(ch.lower() if ch.isalnum() else "-" for ch in s)
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")


def _date(rng, start="2023-07-01", days=365) -> str:
    d = pd.Timestamp(start) + pd.Timedelta(days=int(rng.integers(0, days)))
    return d.strftime("%Y-%m-%d")


class _Sites:
    """Candidate building frontages next to streets (local xy) with their address."""

    def __init__(self, rng, nodes, edges, edge_name, bnd, river):
        xy, street, cls = [], [], []
        for k, ed in enumerate(edges):
            if ed["cls"] in ("footway", "track") or ed.get("bridge") or not edge_name.get(k):
                continue
            c = ed["coords"]
            mids = (c[:-1] + c[1:]) / 2
            d = c[1:] - c[:-1]
            nrm = np.column_stack([-d[:, 1], d[:, 0]]) / (np.hypot(d[:, 0], d[:, 1])[:, None]
                                                          + 1e-9)
            sgn = np.where(rng.random(len(mids)) < 0.5, -1.0, 1.0)[:, None]
            xy.append(mids + nrm * sgn * rng.uniform(12.0, 20.0, (len(mids), 1)))
            street += [edge_name[k]] * len(mids)
            cls += [ed["cls"]] * len(mids)
        self.xy = np.vstack(xy)
        self.street = np.array(street, dtype=object)
        self.cls = np.array(cls, dtype=object)
        inner = bnd.buffer(-20.0)
        ok = shapely.contains_xy(inner, self.xy[:, 0], self.xy[:, 1])
        pts = shapely.points(self.xy)
        ok &= shapely.distance(pts, river.line) > 30.0
        # keep sites clear of other streets too
        geoms = np.array([LineString(ed["coords"]) for ed in edges], dtype=object)
        near = shapely.STRtree(geoms).query(pts, predicate="dwithin", distance=8.0)[0]
        ok[np.unique(near)] = False
        self.xy, self.street, self.cls = self.xy[ok], self.street[ok], self.cls[ok]
        self.rho = _density(self.xy[:, 0], self.xy[:, 1])
        self.tree = cKDTree(self.xy)
        self.blocked = np.zeros(len(self.xy), bool)
        self.house = {}

    def pick(self, rng, weight, mask=None, avoid=None, avoid_m=0.0) -> int:
        """A free site drawn with probability ~ ``weight`` (within ``mask``), at least 40 m
        from every site already taken and, if possible, ``avoid_m`` from ``avoid`` points."""
        weight = np.broadcast_to(np.asarray(weight, float), (len(self.xy),))
        w = np.where(self.blocked, 0.0, weight)
        if mask is not None:
            w = np.where(mask, w, 0.0)
        if avoid is not None and len(avoid):
            d = cKDTree(np.asarray(avoid)).query(self.xy)[0]
            gap = avoid_m
            while gap > 1.0 and (w * (d >= gap)).sum() <= 0:
                gap /= 2
            w = w * (d >= gap)
        if w.sum() <= 0:
            raise RuntimeError("demo assets: no site left")
        i = int(rng.choice(len(w), p=w / w.sum()))
        self.blocked[self.tree.query_ball_point(self.xy[i], 40.0)] = True
        return i

    def address(self, rng, i) -> str:
        s = self.street[i]
        n = self.house.get(s, int(rng.integers(1, 30)))
        self.house[s] = n + int(rng.integers(2, 12))
        return f"{n} {s}, {settings.DEMO_LA_NAME}"


def _make_assets(rng, sites: _Sites, lsoa_local, ward_of_lsoa, ward_names, ward_district,
                 pwc_local, planted_idx, river):
    """Community assets, micro-providers and their provider records."""
    hot_pwc = pwc_local[planted_idx["hotspot"]]
    gap_pwc = pwc_local[planted_idx["gap"]]
    d_hot = np.min(np.hypot(sites.xy[:, None, 0] - hot_pwc[None, :, 0],
                            sites.xy[:, None, 1] - hot_pwc[None, :, 1]), axis=1)
    d_gap = np.min(np.hypot(sites.xy[:, None, 0] - gap_pwc[None, :, 0],
                            sites.xy[:, None, 1] - gap_pwc[None, :, 1]), axis=1)
    margin = 60.0
    social_ok = d_hot > EXCLUSION_M + margin
    provider_ok = social_ok & (d_gap > EXCLUSION_M + margin)
    # which LSOA / ward is each site in
    tree = shapely.STRtree(lsoa_local)
    si, li = tree.query(shapely.points(sites.xy), predicate="intersects")
    site_lsoa = np.full(len(sites.xy), -1)
    site_lsoa[si] = li
    site_ward = np.where(site_lsoa >= 0, ward_of_lsoa[np.maximum(site_lsoa, 0)], -1)
    ok_site = site_lsoa >= 0
    centre_w = _gauss(sites.xy[:, 0], sites.xy[:, 1], CENTRE, 550.0)
    local_w = sum(_gauss(sites.xy[:, 0], sites.xy[:, 1], c, 250.0)
                  for c in list(VILLAGES.values()) + [GAP, DEPRIVED])
    main_road = np.isin(sites.cls, ["primary", "tertiary"])
    rows, prov_rows, xy_out = [], [], []
    counters = {}

    def add(cat, i, name, desc, extra=None):
        aid = f"demo-a{len(rows) + 1:04d}"
        w = int(site_ward[i])
        hrs = HOURS.get(cat, ("Mo-Fr 09:00-17:00",))
        rec = {
            "id": aid, "name": name, "category": cat, "description": desc,
            "address": sites.address(rng, i), "postcode": _postcode(rng, ward_district[w]),
            "opening_hours": hrs[int(rng.integers(len(hrs)))],
            "contact": _phone(rng), "contact_public": True, "website": None,
            "source": "demo", "source_ref": None, "status": "approved", "home_based": False,
            "last_reviewed": _date(rng), "created_by": "demo",
            "created_at": "2023-06-01T09:00:00+00:00", "updated_by": "demo",
            "updated_at": "2023-06-01T09:00:00+00:00", "version": 1,
        }
        if extra:
            rec.update(extra)
        if rec["website"] is None and cat not in ("park",) and rng.random() < 0.45:
            rec["website"] = f"https://{_slug(name)[:40]}.example.org"
        rows.append(rec)
        xy_out.append(sites.xy[i])
        return aid

    def uniq(name, i):
        w = ward_names[int(site_ward[i])]
        base = name
        k = counters.get(base, 0)
        counters[base] = k + 1
        if k == 0:
            return base
        return f"{base} ({w})" if k == 1 else f"{base} ({w} {k})"

    def fill(tpl, i):
        w = ward_names[int(site_ward[i])]
        s = str(sites.street[i]).rsplit(" ", 1)[0]
        return tpl.format(w=w, s=s, f="", l="")

    # neighbourhood hubs first: one near the population centre of distinct wards
    hub_wards = []
    wpop = {}
    for li_, w in enumerate(ward_of_lsoa):
        wpop.setdefault(int(w), []).append(li_)
    for w in sorted(wpop):
        pw = pwc_local[wpop[w]].mean(axis=0)
        mask = ok_site & social_ok & (site_ward == w)
        if not mask.any():
            continue
        hub_wards.append((w, pw, mask))
    hubs = []      # in random ward order: the first eight get a network
    for k in rng.permutation(len(hub_wards))[:ASSET_COUNTS["neighbourhood_hub"]]:
        w, pw, mask = hub_wards[int(k)]
        weight = np.exp(-_dist(sites.xy, pw) / 300.0)
        i = sites.pick(rng, weight, mask)
        name = uniq(f"{ward_names[w]} Neighbourhood Network Hub", i)
        hubs.append((add("neighbourhood_hub", i, name, CATEGORY_TEXT["neighbourhood_hub"]), w,
                     sites.xy[i]))
    social = set(settings.SOCIAL_CATEGORIES)
    for cat in ("library", "gp_practice", "pharmacy", "community_centre", "sport_leisure",
                "faith_venue", "park", "cafe_pub", "other"):
        n = ASSET_COUNTS[cat]
        mask = ok_site & (social_ok if cat in social else True)
        if cat == "library":
            weight = 0.05 + centre_w
        elif cat in ("gp_practice", "pharmacy"):
            weight = sites.rho + 2.0 * centre_w + local_w + main_road
        elif cat == "cafe_pub":
            weight = 0.4 * sites.rho + 6.0 * centre_w + 2.0 * local_w + 1.5 * main_road
        elif cat == "park":
            weight = 1.0 / (0.5 + sites.rho) + 0.3
        else:
            weight = sites.rho + 0.6 * local_w + 0.3
        for j in range(n):
            if cat == "library":
                libs = [p for p, r in zip(xy_out, rows) if r["category"] == "library"]
                i = sites.pick(rng, weight if j == 0 else 0.3 + sites.rho, mask,
                               avoid=libs, avoid_m=1500.0)
                name = (f"{settings.DEMO_LA_NAME} Central Library" if j == 0 else
                        uniq(f"{ward_names[int(site_ward[i])]} Library", i))
            else:
                i = sites.pick(rng, weight, mask)
                if cat == "cafe_pub":
                    pool = PUBS if rng.random() < 0.55 else CAFES
                    name = uniq(pool[int(rng.integers(len(pool)))], i)
                elif cat == "faith_venue":
                    tpl = FAITH[int(rng.integers(len(FAITH)))]
                    name = uniq(tpl.format(w=ward_names[int(site_ward[i])],
                                           s=SAINTS[int(rng.integers(len(SAINTS)))]), i)
                elif cat == "park":
                    name = uniq(fill(PARKS[int(rng.integers(len(PARKS)))], i), i)
                elif cat == "sport_leisure":
                    name = uniq(fill(SPORT[int(rng.integers(len(SPORT)))], i), i)
                elif cat == "other":
                    name = uniq(fill(OTHER[int(rng.integers(len(OTHER)))], i), i)
                elif cat == "community_centre":
                    tpl = ("{w} Community Centre", "{s} Community Hall", "{w} Village Hall",
                           "{w} Community House", "{s} Centre")
                    name = uniq(fill(tpl[int(rng.integers(len(tpl)))], i), i)
                elif cat == "gp_practice":
                    tpl = ("{s} Medical Centre", "{w} Surgery", "{s} Health Centre",
                           "{w} Family Practice")
                    name = uniq(fill(tpl[int(rng.integers(len(tpl)))], i), i)
                else:
                    tpl = ("{w} Pharmacy", "{s} Chemist", "{l}'s Pharmacy")
                    t = tpl[int(rng.integers(len(tpl)))]
                    name = uniq(t.format(w=ward_names[int(site_ward[i])],
                                         s=str(sites.street[i]).rsplit(" ", 1)[0], f="",
                                         l=SURNAMES[int(rng.integers(len(SURNAMES)))]), i)
            desc = CATEGORY_TEXT[cat]
            if cat == "cafe_pub" and name.startswith("The ") and name in PUBS:
                desc = "Pub: food, quiz nights and a warm welcome."
            add(cat, i, name, desc)
    # micro-providers
    stypes = list(model.SERVICE_TYPES)
    sw = np.array([0.42, 0.22, 0.24, 0.05, 0.2, 0.08, 0.05])
    groups = list(model.CLIENT_GROUPS)
    gw = np.array([0.85, 0.22, 0.12, 0.3, 0.2, 0.35, 0.2])
    for j in range(N_PROVIDERS):
        home = j % 3 == 0
        if home:
            weight = sites.rho * np.isin(sites.cls, ["residential", "unclassified"])
        else:
            weight = sites.rho + 2.0 * centre_w + local_w
        i = sites.pick(rng, weight, ok_site & provider_ok)
        k = int(rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15]))
        st = sorted(rng.choice(len(stypes), size=k, replace=False, p=sw / sw.sum()).tolist())
        services = [stypes[s] for s in st]
        cg = [g for g, p in zip(groups, gw) if rng.random() < p] or ["older_people"]
        f = FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))]
        ln = SURNAMES[int(rng.integers(len(SURNAMES)))]
        tpls = PROVIDER_NAMES[services[0]]
        name = uniq(tpls[int(rng.integers(len(tpls)))].format(
            f=f, l=ln, w=ward_names[int(site_ward[i])]), i)
        focus = FOCUS[int(rng.integers(len(FOCUS)))] if rng.random() < 0.3 else None
        offers = ", ".join(model.SERVICE_TYPES[s].lower() for s in services)
        who = ", ".join(model.CLIENT_GROUPS[g].lower() for g in cg)
        desc = (f"Micro-enterprise offering {offers} for {who}"
                + (f"; a service for {focus}" if focus else "") + ".")
        email = f"hello@{_slug(name)[:30]}.example.org"
        aid = add("micro_provider", i, name, desc,
                  {"home_based": home, "contact": f"{_phone(rng)}; {email}",
                   "website": None if home and rng.random() < 0.5 else
                   f"https://{_slug(name)[:40]}.example.org"})
        regulated = "domiciliary_care" in services or ("home_support" in services
                                                       and rng.random() < 0.2)
        fte = float(rng.choice([0.5, 1.0, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0]))
        cap = float(round(fte * rng.uniform(22.0, 34.0)))
        form = rng.random()
        prov_rows.append({
            "asset_id": aid, "service_types": model.join_list(services),
            "client_groups": model.join_list(cg),
            "hourly_price": float(np.clip(round(rng.normal(19.5, 2.4) * 2) / 2, 15.0, 25.0)),
            "quality_mark": str(rng.choice(list(model.QUALITY_MARKS), p=[0.15, 0.3, 0.3, 0.25])),
            "cqc_registered": bool(regulated),
            "cqc_location_id": f"1-{int(rng.integers(10**9, 10**10))}" if regulated else None,
            "direct_payments": bool(rng.random() < 0.85),
            "preferred_list": bool(rng.random() < 0.4),
            "staff_fte": fte, "capacity_hours": cap,
            "vacancies": float(round(cap * rng.uniform(0.0, 0.3))),
            "community_focus": focus,
            "radius_km": float(round(rng.uniform(1.5, 3.0) if "day_activities" in services
                                     else rng.uniform(2.0, 8.0), 1)),
            "charity_number": f"{int(rng.integers(1_100_000, 1_199_999))}" if form > 0.85 else None,
            "company_number": f"{int(rng.integers(9_000_000, 15_000_000)):08d}"
                              if 0.45 < form else None,
        })
    return rows, np.array(xy_out), prov_rows, hubs


# --- The whole borough ------------------------------------------------------------------------
def generate(seed: int = settings.DEMO_SEED) -> DemoData:
    """The demo borough for ``seed`` (pure: touches no store or file)."""
    rng = np.random.default_rng(seed)
    river = _River(rng)
    bnd0 = _boundary_local(rng)
    lsoa_ll, lsoa_local, la_ll = _make_lsoa_polygons(rng, bnd0, river)
    bnd = _ll_to_local(la_ll)                      # the borough as stored, in local metres
    n = len(lsoa_ll)
    rep = shapely.get_coordinates(shapely.point_on_surface(lsoa_local))
    north = river.north(rep)
    adj = _lsoa_adjacency(lsoa_local, north)
    # streets and population-weighted centroids
    nodes, edges = _build_streets(rng, bnd, river)
    ways = _classify_and_name(rng, nodes, edges, bnd, river)
    edge_name = {}
    for w in ways:
        for k in w["edges"]:
            edge_name[k] = w["name"]
    homes = []
    for ed in edges:
        if ed["cls"] in ("residential", "unclassified", "tertiary", "primary", "service"):
            homes.append(ed["coords"][1:-1] if len(ed["coords"]) > 2 else ed["coords"][:1])
    homes = np.vstack(homes)
    home_w = _density(homes[:, 0], homes[:, 1])
    hi, hl = shapely.STRtree(lsoa_local).query(shapely.points(homes), predicate="intersects")
    pwc = np.zeros((n, 2))
    for i in range(n):
        sel = hi[hl == i]
        poly = lsoa_local[i]
        if len(sel):
            m = (homes[sel] * home_w[sel, None]).sum(0) / home_w[sel].sum()
            if not poly.contains(Point(m)) or abs(m[1] - np.interp(m[0], river.xs, river.ys)) < 30:
                m = homes[sel][np.argmin(_dist(homes[sel], m))]
        else:
            m = rep[i]
        pwc[i] = m
    # wards
    ward = _make_wards(rng, pwc, north, adj, N_WARDS)
    n_w = int(ward.max()) + 1

    # planted clusters
    def cell_of(c):
        return int(np.argmin(_dist(pwc, c)))

    hot = _grow_cluster(cell_of(HOTSPOT), 7, adj, pwc, HOTSPOT)
    gap = _grow_cluster(cell_of(GAP), 5, adj, pwc, GAP)
    gap = [g for g in gap if g not in hot]
    areas_km2 = shapely.area(lsoa_local) / 1e6
    pop = _population(rng, pwc, areas_km2, {"hotspot": hot, "gap": gap})
    # ward names
    w_pwc = np.array([np.average(pwc[ward == w], axis=0, weights=pop["total"][ward == w])
                      for w in range(n_w)])
    names = {}

    def ward_at(c):
        i = int(np.argmin(_dist(pwc, c)))
        return int(ward[i])

    for label, c in (("Ashbrook Central", CENTRE), ("Ferry Fields", HOTSPOT), ("Eastgate", GAP),
                     ("Kingsmead", AFFLUENT), *VILLAGES.items()):
        w = ward_at(c)
        if w not in names:
            names[w] = label
    pool = ["Millbrook", "St Anne's", "Riverside", "Northfield", "Wyvern", "Brookside",
            "Oakwood", "Castle Hill", "Fenwick", "Lowfield", "Harecroft", "Abbeyfields",
            "Greystoke", "Tanners Row", "Holywell"]
    bearing = np.arctan2(w_pwc[:, 1] - CENTRE[1], w_pwc[:, 0] - CENTRE[0])
    for w in sorted(range(n_w), key=lambda w: bearing[w]):
        if w not in names:
            names[w] = pool.pop(0)
    ward_order = sorted(range(n_w), key=lambda w: names[w])
    ward_code = {w: f"{WARD_CODE_PREFIX}{k + 1:04d}" for k, w in enumerate(ward_order)}
    ward_district = {w: k + 1 for k, w in enumerate(ward_order)}
    # LSOA names: MSOA-like groups of ~5 within wards, numbered north to south
    groups = []
    for w in range(n_w):
        mem = sorted(np.flatnonzero(ward == w).tolist(), key=lambda i: (-pwc[i, 1], pwc[i, 0]))
        k = max(1, round(len(mem) / 5))
        for part in np.array_split(np.array(mem), k):
            groups.append(sorted(part.tolist(), key=lambda i: (pwc[i, 0], -pwc[i, 1])))
    groups.sort(key=lambda g: (-pwc[g, 1].mean(), pwc[g, 0].mean()))
    lsoa_name = {}
    for gnum, g in enumerate(groups):
        for j, i in enumerate(g):
            lsoa_name[i] = f"{settings.DEMO_LA_NAME} {gnum + 1:03d}{chr(65 + j)}"
    order = sorted(range(n), key=lambda i: lsoa_name[i])
    lsoa_code = {i: f"{LSOA_CODE_PREFIX}{k + 1:04d}" for k, i in enumerate(order)}
    # area frame
    plon, plat = _xy_to_lonlat(pwc)
    recs, geoms = [], []
    for i in order:
        b = pop["bands"][i]
        recs.append({"code": lsoa_code[i], "name": lsoa_name[i], "level": "lsoa",
                     "parent_code": ward_code[int(ward[i])], "parent_name": names[int(ward[i])],
                     **{k: float(v) for k, v in zip(model.AGE_BANDS, b)},
                     "pwc_lon": round(float(plon[i]), 7), "pwc_lat": round(float(plat[i]), 7)})
        geoms.append(lsoa_ll[i])
    wlon, wlat = _xy_to_lonlat(w_pwc)
    for w in ward_order:
        b = pop["bands"][ward == w].sum(0)
        g = shapely.union_all(lsoa_ll[ward == w])
        recs.append({"code": ward_code[w], "name": names[w], "level": "ward",
                     "parent_code": settings.DEMO_LA_CODE, "parent_name": settings.DEMO_LA_NAME,
                     **{k: float(v) for k, v in zip(model.AGE_BANDS, b)},
                     "pwc_lon": round(float(wlon[w]), 7), "pwc_lat": round(float(wlat[w]), 7)})
        geoms.append(g)
    la_pwc = np.average(pwc, axis=0, weights=pop["total"])
    llon, llat = _xy_to_lonlat(la_pwc[None, :])
    recs.append({"code": settings.DEMO_LA_CODE, "name": settings.DEMO_LA_NAME, "level": "la",
                 "parent_code": None, "parent_name": None,
                 **{k: float(v) for k, v in zip(model.AGE_BANDS, pop["bands"].sum(0))},
                 "pwc_lon": round(float(llon[0]), 7), "pwc_lat": round(float(llat[0]), 7)})
    geoms.append(la_ll)
    geoms = shapely.orient_polygons(np.array(geoms, dtype=object))
    areas = gpd.GeoDataFrame(pd.DataFrame(recs, columns=list(model.AREA_COLUMNS)),
                             geometry=list(geoms), crs=settings.STORAGE_CRS)
    codes = [lsoa_code[i] for i in range(n)]
    values = _values_frame(codes, pop)
    values = values.sort_values(["indicator_id", "area_code"], kind="stable").reset_index(drop=True)
    indicators = _indicators_frame()
    # assets
    sites = _Sites(rng, nodes, edges, edge_name, bnd, river)
    ward_names = {w: names[w] for w in range(n_w)}
    rows, axy, prov_rows, hubs = _make_assets(rng, sites, lsoa_local, ward, ward_names,
                                              ward_district, pwc, {"hotspot": hot, "gap": gap},
                                              river)
    alon, alat = _xy_to_lonlat(axy)
    assets = gpd.GeoDataFrame(pd.DataFrame(rows, columns=list(model.ASSET_COLUMNS)),
                              geometry=shapely.points(np.column_stack(
                                  [np.round(alon, 7), np.round(alat, 7)])),
                              crs=settings.STORAGE_CRS)
    providers = pd.DataFrame(prov_rows, columns=list(model.PROVIDER_COLUMNS))
    networks = _make_networks(rng, hubs, pwc, names, lsoa_ll, lsoa_local, adj, set(hot))
    # OSM
    pois = []
    for r, (lo, la) in zip(rows, zip(alon, alat)):
        cat = r["category"]
        if cat == "cafe_pub":
            tag = ("amenity", "pub" if r["name"] in PUBS or "Inn" in r["name"] else "cafe")
        else:
            tag = OSM_TAGS.get(cat)
        if tag is None:
            continue
        pois.append(([tag, ("name", r["name"])], (round(float(lo), 7), round(float(la), 7))))
    osm_xml, ostats, _ = _osm_xml(nodes, ways, river, bnd, pois)
    boundary = to_bng(la_ll)

    def code(idx):
        return sorted(lsoa_code[i] for i in idx)

    hot_set, gap_set = set(hot), set(gap)
    free = [i for i in range(n) if i not in hot_set and i not in gap_set]
    dep_core = [i for i in free if _dist(pwc[i], DEPRIVED) < 1600]
    dep_core = sorted(dep_core, key=lambda i: -pop["dep"][i])[:15]
    affluent = sorted(free, key=lambda i: (pop["dep"][i], i))[:15]
    rural = [i for i in free if pop["rural"][i] >= 0.5]
    bl = []
    for bx, bname, bcls in BRIDGES:
        blon, blat = _xy_to_lonlat(np.array([[bx, float(np.interp(bx, river.xs, river.ys))]]))
        bl.append({"name": bname, "highway": bcls, "lon": round(float(blon[0]), 6),
                   "lat": round(float(blat[0]), 6)})
    planted = {
        "hotspot_areas": code(hot),
        "gap_areas": code(gap),
        "deprived_core": code(dep_core),
        "affluent": code(affluent),
        "rural_fringe": code(rural),
        "town_centre": code([cell_of(CENTRE)]),
        "hotspot_ward": ward_code[int(ward[hot[0]])],
        "gap_ward": ward_code[int(ward[gap[0]])],
        "exclusion_m": EXCLUSION_M,
        "bridges": bl,
        "river": RIVER_NAME,
        "meaning": {
            "hotspot_areas": "contiguous LSOAs with high loneliness-model inputs (older, "
                             "widowed, poor health, living alone, small households) and no "
                             "social venue (settings.SOCIAL_CATEGORIES) or micro-provider "
                             "within exclusion_m of their population-weighted centroids",
            "gap_areas": "contiguous high-need LSOAs (deprivation, LLTI, IDAOPI, living alone, "
                         "carers) with no micro-provider within exclusion_m of their "
                         "population-weighted centroids",
            "deprived_core": "the most deprived LSOAs of the inner area north-east of the "
                             "town centre",
            "affluent": "the least deprived LSOAs",
            "rural_fringe": "large, sparsely populated, older LSOAs of the fringe",
            "town_centre": "the LSOA holding the market place",
        },
    }
    stats = {**ostats, "street_edges": len(edges), "street_ways": len(ways)}
    ox_, oy_ = settings.DEMO_ORIGIN
    river_bng = shapely.transform(shapely.intersection(river.line, bnd),
                                  lambda c: c + np.array([ox_, oy_]))
    return DemoData(areas=areas, indicators=indicators, values=values, assets=assets,
                    providers=providers, networks=networks, osm_xml=osm_xml, boundary=boundary,
                    planted=planted, seed=seed, river=river_bng, stats=stats)


def _make_networks(rng, hubs, pwc, names, lsoa_ll, lsoa_local, adj, hot):
    """Up to eight neighbourhood networks: each a contiguous patch of LSOAs grown from the
    hub's own LSOA (same side of the river, within 1.3 km, none twice, none planted hot)."""
    taken = set(hot)
    recs, geoms = [], []
    styles = ("{w} Neighbourhood Network", "Good Neighbours of {w}", "{w} Older People's Network",
              "{w} Community Care Network")
    for aid, w, xy in hubs:
        if len(recs) == 8:
            break
        home = int(np.flatnonzero(shapely.contains_xy(lsoa_local, xy[0], xy[1]))[0])
        if home in taken:
            continue
        mem = [home]
        size = int(rng.integers(4, 10))
        while len(mem) < size:
            front = sorted({j for i in mem for j in adj[i]} - set(mem) - taken)
            front = [j for j in front if _dist(pwc[j], xy) < 1300.0]
            if not front:
                break
            mem.append(min(front, key=lambda j: (_dist(pwc[j], xy), j)))
        if len(mem) < 3:
            continue
        taken |= set(mem)
        k = int(rng.integers(3, 6))
        acts = sorted(rng.choice(len(ACTIVITIES), size=k, replace=False).tolist())
        recs.append({"id": f"demo-n{len(recs) + 1:02d}",
                     "name": styles[int(rng.integers(len(styles)))].format(w=names[w]),
                     "hub_asset_id": aid, "members": int(rng.integers(25, 180)),
                     "activities": model.join_list(ACTIVITIES[a] for a in acts)})
        geoms.append(shapely.union_all(lsoa_ll[mem]))
    geoms = shapely.orient_polygons(np.array(geoms, dtype=object))
    return gpd.GeoDataFrame(pd.DataFrame(recs, columns=list(model.NETWORK_COLUMNS)),
                            geometry=list(geoms), crs=settings.STORAGE_CRS)


# --- Boundaries file --------------------------------------------------------------------------
def _round_coords(obj):
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(v), 5) for v in obj]
        return [_round_coords(o) for o in obj]
    return obj


def boundaries_geojson(data: DemoData) -> str:
    """The shipped boundaries (LSOAs, wards, LA) as GeoJSON text, one feature a line."""
    lines = []
    cols = ["code", "name", "level", "parent_code", "parent_name"]
    for rec, geom in zip(data.areas[cols].to_dict("records"), data.areas.geometry):
        gj = shapely.geometry.mapping(geom)
        feat = {"type": "Feature",
                "properties": {k: (None if pd.isna(v) else v) for k, v in rec.items()},
                "geometry": {"type": gj["type"], "coordinates": _round_coords(gj["coordinates"])}}
        lines.append(json.dumps(feat, separators=(",", ":"), ensure_ascii=False))
    head = ('{"type":"FeatureCollection","name":"ashbrook_demo_borough",'
            f'"demo_seed":{int(data.seed)},"features":[\n')
    return head + ",\n".join(lines) + "\n]}\n"


def write_boundaries(path=None, data: DemoData | None = None) -> Path:
    """Write the demo boundaries GeoJSON (default: the shipped file)."""
    path = Path(path) if path else settings.BOUNDARIES_DIR / BOUNDARIES_FILE
    data = data or generate(settings.DEMO_SEED)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(boundaries_geojson(data), encoding="utf-8")
    return path


# --- Store ----------------------------------------------------------------------------------
def build_into(store, seed: int = settings.DEMO_SEED, progress=None) -> dict:
    """Replace everything in ``store`` with the demo borough; one transaction.

    Calls ``progress(message)`` :data:`STEPS` times. Returns counts of what was written.
    """
    def step(msg):
        if progress is not None:
            progress(msg)

    step(f"Generating the demo borough {settings.DEMO_LA_NAME} (seed {seed})")
    data = generate(seed)
    store.drop_all()
    counts = {}
    with store.transaction() as conn:
        step("Writing areas (LSOAs, wards, borough)")
        counts["areas"] = store.write_areas(data.areas, conn=conn, file="demo areas")
        step("Writing indicators and values")
        counts["indicators"] = store.write_indicators(data.indicators, conn=conn,
                                                      file="demo indicators")
        counts["indicator_values"] = store.write_values(data.values, conn=conn,
                                                        file="demo indicator values")
        step("Writing assets and micro-providers")
        counts["assets"] = store.write_assets(data.assets, data.providers, conn=conn,
                                              file="demo assets", changed_by="demo",
                                              action="demo")
        counts["providers"] = len(data.providers)
        step("Writing neighbourhood networks")
        counts["networks"] = store.write_networks(data.networks, conn=conn, file="demo networks")
        step("Storing the street network (OSM XML)")
        store.put_blob("osm", data.osm_xml, conn=conn)
        store.set_meta("osm_name", "demo.osm", conn=conn)
        store.set_meta("area_name", settings.DEMO_LA_NAME, conn=conn)
        store.set_meta("la_code", settings.DEMO_LA_CODE, conn=conn)
        store.set_meta("demo_seed", seed, conn=conn)
        store.set_meta("planted", json.dumps(data.planted, sort_keys=True), conn=conn)
    counts["lsoas"] = int((data.areas["level"] == "lsoa").sum())
    counts["wards"] = int((data.areas["level"] == "ward").sum())
    counts["osm_nodes"] = data.stats.get("osm_nodes", 0)
    counts["osm_bytes"] = len(data.osm_xml)
    return counts
