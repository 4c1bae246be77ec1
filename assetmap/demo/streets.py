"""The street network's geometry: a jittered town grid and density-sized points elsewhere,
joined by Delaunay edges into a planar graph that crosses the river only at the four
bridges, with cul-de-sacs and footpath cut-throughs.
"""
from __future__ import annotations

import math

import numpy as np
import shapely
from scipy.spatial import Delaunay, cKDTree
from shapely.geometry import LineString, Polygon

from .geography import BRIDGES, CENTRE, River, density, dist

GRID_RADIUS = 2300.0                 # the jittered street grid of the town
GRID_SPACING = 95.0


def _street_points(rng, bnd: Polygon, river: River):
    ang = math.radians(10.0)
    s = GRID_SPACING
    n = int(GRID_RADIUS / s) + 2
    i, j = np.meshgrid(np.arange(-n, n + 1), np.arange(-n, n + 1), indexing="ij")
    u = i.ravel() * s + rng.uniform(-0.14, 0.14, i.size) * s
    v = j.ravel() * s + rng.uniform(-0.14, 0.14, i.size) * s
    gx = CENTRE[0] + u * math.cos(ang) - v * math.sin(ang)
    gy = CENTRE[1] + u * math.sin(ang) + v * math.cos(ang)
    grid = np.column_stack([gx, gy])
    grid = grid[dist(grid, CENTRE) < GRID_RADIUS]
    # quadtree leaves sized by density elsewhere
    cells = [(x0, y0, 1120.0) for x0 in np.arange(-560.0, 10600.0, 1120.0)
             for y0 in np.arange(-560.0, 8600.0, 1120.0)]
    leaves = []
    while cells:
        nxt = []
        arr = np.array(cells)
        cx, cy = arr[:, 0] + arr[:, 2] / 2, arr[:, 1] + arr[:, 2] / 2
        rho = density(cx, cy)
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
    q = q[dist(q, CENTRE) > GRID_RADIUS + 40.0]
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


def build_streets(rng, bnd: Polygon, river: River):
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
    rho = density(P[:, 0], P[:, 1])
    rural = rho < 0.75
    E = new[e[base]]
    F = new[e[foot]]
    # footway extras: a share of Gabriel edges (urban cut-throughs, rural footpaths)
    fprob = np.where(grid[F[:, 0]] & grid[F[:, 1]], 0.04,
                     np.where(rural[F[:, 0]] & rural[F[:, 1]], 0.3, 0.18))
    F = F[rng.random(len(F)) < fprob]
    edges = _shape_edges(rng, P, E, F, grid, rural)
    _straighten_crossings(edges, P, bnd, keepout)
    nodes = [tuple(p) for p in P]
    # bridges
    for bx, bname, bcls in BRIDGES:
        _add_bridge(edges, nodes, river, bx, bname, bcls)
    # cul-de-sacs and their footpath cut-throughs
    _add_culdesacs(rng, edges, nodes, bnd, keepout)
    return np.array(nodes), edges


def _shape_edges(rng, P, E, F, grid, rural) -> list[dict]:
    """Street edges ``E`` as polylines (straight in the town grid, gently curved elsewhere),
    then footways ``F`` (straight); each a dict with its end nodes, zone and class."""
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
    return edges


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


def _incident(edges) -> dict[int, list[int]]:
    """Node -> indices of the edges that end there."""
    incident: dict[int, list[int]] = {}
    for k, ed in enumerate(edges):
        incident.setdefault(ed["u"], []).append(k)
        incident.setdefault(ed["v"], []).append(k)
    return incident


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
    incident = _incident(edges)
    end_ids = []
    river_poly = river.line.buffer(14.0)
    for end in ends:
        eid = len(nodes)
        nodes.append((float(end[0]), float(end[1])))
        end_ids.append(eid)
        north = bool(river.north(end))
        d = dist(P, end)
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


def _add_culdesacs(rng, edges, nodes, bnd, keepout) -> None:
    """Short curving dead ends off suburban nodes with a wide free angle, then footpath
    cut-throughs from some of their heads."""
    geoms, tree = _edge_tree(edges)
    P = np.array(nodes)
    rho = density(P[:, 0], P[:, 1])
    dirs: dict[int, list[float]] = {}
    for ed in edges:
        c = ed["coords"]
        dirs.setdefault(ed["u"], []).append(math.atan2(*(c[1] - c[0])[::-1]))
        dirs.setdefault(ed["v"], []).append(math.atan2(*(c[-2] - c[-1])[::-1]))
    inner = bnd.buffer(-15.0)
    added: list[LineString] = []
    added_pts = []
    cands = [i for i in range(len(P)) if 0.6 < rho[i] < 4.5
             and dist(P[i], CENTRE) > GRID_RADIUS - 300 and len(dirs.get(i, [])) <= 3]
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
    _add_cut_throughs(rng, edges, nodes, added_pts, keepout)


def _add_cut_throughs(rng, edges, nodes, heads, keepout):
    """Footpath cut-throughs from some cul-de-sac ``heads`` to the nearest other node."""
    geoms, tree = _edge_tree(edges)
    P = np.array(nodes)
    kd = cKDTree(P)
    incident = _incident(edges)
    for eid in heads:
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
