#!/usr/bin/env python
"""Benchmark AssetMap's analysis against the reference libraries doing the SAME work on the
same inputs in the same run; answers are checked equal before any ratio is printed.

    .venv/bin/python scripts/bench_analysis.py [--nodes 100000] [--origins 500]
        [--repeats 3] [--osm PATH | --osm-grid 60] [--scale 100000,1000000]
        [--only access,table,build,hotspots,e2sfca] [--quick] [--seed N]

Every figure is the median of ``--repeats`` runs, wall and CPU seconds (CPU: all threads of
this process). A ratio is the reference's wall time over AssetMap's (higher = AssetMap
faster); one below its goal is printed as BELOW GOAL, never hidden.

1. access: minutes from ``--origins`` origins to the nearest of 10 categories of 30 assets,
   within 60 minutes at 4.5 km/h, on a jittered ``--nodes`` street grid. AssetMap: one
   bounded multi-source search per category (numba). networkx: the same multi-source
   search (``multi_source_dijkstra_path_length`` with the cut-off). scipy: ``dijkstra(...,
   min_only=True, limit=...)``, also one multi-source search per category.
2. table: origins x 300 assets within 20 minutes (1,500 m), sparse. AssetMap: one bounded
   search per origin, touching only what it reaches. scipy: ``dijkstra(indices=origins,
   limit=...)`` per source (what the table used before), networkx per source (on a sample,
   scaled). Goal (issue 15): >= 20x scipy per source at 4M nodes (use ``--scale``).
3. build and end to end: the walking graph of an OSM file (``--osm``, or a synthetic
   ``--osm-grid`` x ``--osm-grid`` one) by pyosmium against the osmnx path used before
   (graph_from_xml, filter, project, compile); then end to end (build, snap, nearest per
   category, table) against osmnx + networkx. Goals: build >= 20x, end to end >= 100x.
4. hotspots: Gi* and local Moran's I, 999 permutations, 33,755 grid cells, against esda
   (numba's compile timed separately, not counted).
5. e2sfca: 5,000 demand points x 300 providers, Gaussian decay, against the `access`
   package. Goal (issue 10): >= 20x.

``--scale`` adds a table of both searches at each size with the fitted exponent (time ~
nodes^k). The last line printed is one JSON object of every ratio (null where a reference
library is not installed or the section was not run).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))   # synthetic inputs

from assetmap.analysis import catchment, hotspots, network  # noqa: E402

import synthetic  # noqa: E402

warnings.filterwarnings("ignore")
MPM = network.metres_per_minute(4.5)


def log(msg):
    print(msg, flush=True)


class T(NamedTuple):
    wall: float
    cpu: float

    def __str__(self) -> str:
        return f"{self.wall:.3f} s wall, {self.cpu:.3f} s CPU"

    def scaled(self, k: float) -> "T":
        return T(self.wall * k, self.cpu * k)

    def __add__(self, other) -> "T":   # type: ignore[override]
        return T(self.wall + other.wall, self.cpu + other.cpu)


def measure(fn, repeats: int = 3):
    """(the last result, T(median wall s, median CPU s)) over ``repeats`` runs."""
    walls, cpus, out = [], [], None
    for _ in range(max(1, repeats)):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return out, T(statistics.median(walls), statistics.median(cpus))


def ratio(name: str, ref: tuple, ours: tuple, goal: float | None = None) -> float:
    """Print and return the CPU-time ratio (the wall-time one beside it): CPU time is what
    the work costs, whatever else shares the machine. ``ref``/``ours``: (wall, CPU)."""
    rw = ref[0] / ours[0] if ours[0] > 0 else float("inf")
    rc = ref[1] / ours[1] if ours[1] > 0 else float("inf")
    verdict = "" if goal is None else (f" (goal >= {goal:g}x: met)" if rc >= goal
                                       else f" (goal >= {goal:g}x: BELOW GOAL)")
    log(f"  {name}: {rc:.1f}x CPU, {rw:.1f}x wall{verdict}")
    return round(rc, 2)


def same(a, b, atol: float = 1e-6) -> bool:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return bool(np.array_equal(np.isinf(a), np.isinf(b))
                and np.allclose(a[np.isfinite(a)], b[np.isfinite(b)], atol=atol))


def grid(nodes: int, seed: int):
    """(compiled graph, scipy CSR, edge arrays) of a jittered grid of about ``nodes``."""
    side = max(10, int(round(np.sqrt(nodes))))
    u, v, L, x, y = synthetic.grid_edges(side, side, 50.0, jitter=0.3, seed=seed)
    g = network.compile_graph(u, v, L, x, y)
    return g, g.csr, (u, v, L)


def nx_graph(n, u, v, L):
    import networkx as nx
    G = nx.Graph()
    G.add_nodes_from(range(n))
    G.add_weighted_edges_from(zip(u.tolist(), v.tolist(), L.tolist()), weight="length")
    return G


# --- 1. nearest asset per category ----------------------------------------------------------
def nearest_ours(g, cats, origins, limit):
    return network.nearest_distances(g, [(c, np.zeros(len(c))) for c in cats], limit, origins)


def nearest_scipy(csr, cats, origins, limit):
    from scipy.sparse.csgraph import dijkstra
    return np.array([dijkstra(csr, indices=c, limit=limit, min_only=True)[origins]
                     for c in cats])


def bench_access(args) -> dict:
    g, csr, (u, v, L) = grid(args.nodes, args.seed)
    rng = np.random.default_rng(args.seed)
    origins = rng.choice(g.n_nodes, args.origins, replace=False)
    cats = [rng.choice(g.n_nodes, 30, replace=False) for _ in range(10)]
    limit = 60 * MPM
    nearest_ours(g, cats, origins[:2], limit)                   # load the compiled kernel
    ours, t = measure(lambda: nearest_ours(g, cats, origins, limit), args.repeats)
    log(f"access: {g.n_nodes:,} nodes, {len(origins)} origins x 10 categories: AssetMap {t}")
    sci, ts = measure(lambda: nearest_scipy(csr, cats, origins, limit), args.repeats)
    log(f"access: scipy dijkstra(min_only=True) {ts}; equal: {same(sci, ours)}")
    import networkx as nx
    G = nx_graph(g.n_nodes, u, v, L)

    def by_networkx():
        out = np.full((len(cats), len(origins)), np.inf)
        for k, cat in enumerate(cats):
            d = nx.multi_source_dijkstra_path_length(G, set(cat.tolist()), cutoff=limit,
                                                     weight="length")
            out[k] = [d.get(int(o), np.inf) for o in origins]
        return out
    ref, tn = measure(by_networkx, 1 if args.quick else args.repeats)
    log(f"access: networkx multi-source Dijkstra {tn}; equal: {same(ref, ours)}")
    if not (same(sci, ours) and same(ref, ours)):
        raise SystemExit("the references and AssetMap disagree")
    return {"access_s": round(t.cpu, 4),
            "access_vs_networkx": ratio("access vs networkx", tn, t, 50),
            "access_vs_scipy": ratio("access vs scipy min_only", ts, t)}


# --- 2. origin x asset table ----------------------------------------------------------------
def table_scipy(csr, origins, assets, limit):
    from scipy.sparse.csgraph import dijkstra
    rows, cols, vals = [], [], []
    step = max(1, 25_000_000 // csr.shape[0])
    for s in range(0, len(origins), step):
        d = dijkstra(csr, indices=origins[s:s + step], limit=limit)[:, assets]
        r, c = np.nonzero(np.isfinite(d))
        rows.append(r + s)
        cols.append(c)
        vals.append(d[r, c])
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)


def _as_dict(r, c, v) -> dict:
    return {(int(a), int(b)): float(x) for a, b, x in zip(r, c, v)}


def table_case(nodes: int, n_origins: int, seed: int, repeats: int, built=None):
    """(ours T, scipy T, nodes, pairs, equal, inputs) of the table step at one size."""
    g, csr, _ = built or grid(nodes, seed)
    rng = np.random.default_rng(seed)
    origins = rng.choice(g.n_nodes, n_origins, replace=False)
    assets = rng.choice(g.n_nodes, 300, replace=False)
    limit = 20 * MPM
    network.node_pairs(g, origins[:2], assets, limit)
    ours, t = measure(lambda: network.node_pairs(g, origins, assets, limit), repeats)
    sci, ts = measure(lambda: table_scipy(csr, origins, assets, limit), repeats)
    a, b = _as_dict(*ours), _as_dict(*sci)
    equal = a.keys() == b.keys() and all(abs(a[k] - b[k]) < 1e-6 for k in a)
    return t, ts, g.n_nodes, len(a), equal, (g, origins, assets, limit)


def bench_table(args) -> dict:
    t, ts, n, pairs, equal, (g, origins, assets, limit) = table_case(
        args.nodes, args.origins, args.seed, args.repeats)
    k = len(origins)
    log(f"table: {n:,} nodes, {k} origins x 300 assets within 20 min: AssetMap {t} "
        f"({1000 * t.cpu / k:.2f} ms CPU a source, {pairs:,} pairs); scipy per source {ts} "
        f"({1000 * ts.cpu / k:.2f} ms CPU a source); equal: {equal}")
    if not equal:
        raise SystemExit("scipy and AssetMap disagree")
    import networkx as nx
    u, v, L = g.edge_segments()
    G = nx_graph(g.n_nodes, u, v, L)
    sample = origins[:20]

    def per_source():
        for o in sample:
            nx.single_source_dijkstra_path_length(G, int(o), cutoff=limit, weight="length")
    _, tn = measure(per_source, 1)
    tn = tn.scaled(k / len(sample))
    log(f"table: networkx per source {tn} (20 timed, scaled to {k})")
    return {"table_s": round(t.cpu, 4), "table_ms_per_source": round(1000 * t.cpu / k, 3),
            "table_vs_scipy": ratio("table vs scipy per source", ts, t,
                                    20 if n >= 4_000_000 else None),
            "table_vs_networkx": ratio("table vs networkx per source", tn, t)}


def bench_scale(args) -> dict:
    sizes = [int(s) for s in args.scale.split(",") if s]
    rows = []
    for n in sizes:
        built = grid(n, args.seed)
        t, ts, nn, pairs, equal, _ = table_case(n, args.origins, args.seed, 1, built)
        g, csr, _ = built
        rng = np.random.default_rng(args.seed)
        origins = rng.choice(g.n_nodes, args.origins, replace=False)
        cats = [rng.choice(g.n_nodes, 30, replace=False) for _ in range(10)]
        nearest_ours(g, cats, origins[:2], 60 * MPM)
        _, tn = measure(lambda: nearest_ours(g, cats, origins, 60 * MPM), 1)
        _, tsn = measure(lambda: nearest_scipy(csr, cats, origins, 60 * MPM), 1)
        rows.append((nn, tn.cpu, tsn.cpu, t.cpu, ts.cpu, equal))
        log(f"scale: {nn:>10,} nodes | CPU s: nearest {tn.cpu:.3f} (scipy {tsn.cpu:.3f}) | "
            f"table {t.cpu:.3f} (scipy {ts.cpu:.3f}, {ts.cpu / t.cpu:.1f}x; "
            f"{1000 * t.cpu / args.origins:.2f} vs {1000 * ts.cpu / args.origins:.2f} ms a "
            f"source) | equal {equal}")
    out = {}
    if len(rows) > 1:
        a = np.array([r[:5] for r in rows], float)
        for j, name in ((1, "nearest"), (2, "nearest_scipy"), (3, "table"), (4, "table_scipy")):
            k = np.polyfit(np.log(a[:, 0]), np.log(a[:, j]), 1)[0]
            out[f"exponent_{name}"] = round(float(k), 2)
        log("scale: fitted exponents (time ~ nodes^k): " + json.dumps(out))
    return out


# --- 3. graph build and end to end ----------------------------------------------------------
def osmnx_build(path):
    """The osmnx path the graph used to take: graph_from_xml, filter, project, compile."""
    import osmnx as ox

    from assetmap import settings
    from assetmap.io.osm_graph import walkable
    old = list(ox.settings.useful_tags_way)
    ox.settings.useful_tags_way = sorted(set(old) | {"foot"})
    try:
        G = ox.graph_from_xml(path, bidirectional=True, simplify=False, retain_all=True)
    finally:
        ox.settings.useful_tags_way = old
    G.remove_edges_from([(a, b, k) for a, b, k, d in G.edges(keys=True, data=True)
                         if not walkable(d)])
    G.remove_nodes_from([n for n in list(G.nodes) if G.degree(n) == 0])
    G = ox.projection.project_graph(G, to_crs=settings.ANALYSIS_CRS)
    for a, b, d in G.edges(data=True):
        d["length_bng"] = float(np.hypot(G.nodes[a]["x"] - G.nodes[b]["x"],
                                         G.nodes[a]["y"] - G.nodes[b]["y"]))
    return G, network.from_networkx(G, "length_bng")


def bench_build(args, tmp: Path) -> dict:
    from assetmap.analysis import osmgraph
    if args.osm:
        path = Path(args.osm)
    else:
        path = tmp / "grid.osm"
        path.write_bytes(synthetic.grid_osm_xml(args.osm_grid, args.osm_grid, 60.0))
    data = path.read_bytes()
    osmgraph.build(data)                                           # load compiled kernels
    g, t = measure(lambda: osmgraph.build(data), args.repeats)
    log(f"build: {path.name}: pyosmium {t} ({g.n_street_nodes:,} street nodes, "
        f"{g.n_nodes:,} junctions, {g.edge_cost.sum() / 1000:.1f} km)")
    (G, old), tr = measure(lambda: osmnx_build(path), 1)
    km = old.edge_segments()[2].sum() / 1000
    equal = old.n_nodes == g.n_street_nodes and abs(km - g.edge_cost.sum() / 1000) < 1e-6
    log(f"build: osmnx path {tr} ({old.n_nodes:,} nodes, {km:.1f} km); identical: {equal}")
    if not equal:
        raise SystemExit("osmnx and pyosmium graphs differ")
    out = {"build_s": round(t.cpu, 4), "build_vs_osmnx": ratio("build vs osmnx", tr, t, 20)}
    out.update(end_to_end(args, data, g, G, tr))
    return out


def end_to_end(args, data: bytes, g, G, t_osmnx: T) -> dict:
    """Build + snap + nearest per category + table, against osmnx + networkx."""
    import networkx as nx

    from assetmap.analysis import osmgraph
    rng = np.random.default_rng(args.seed)
    sxy = g.street_xy()
    o = sxy[rng.choice(len(sxy), min(200, len(sxy)), replace=False)]
    cats = [sxy[rng.choice(len(sxy), 20)] for _ in range(10)]

    def ours():
        r = network.GraphRouter(osmgraph.build(data))
        return r.nearest(o, cats, 60 * MPM), r.table(o, np.concatenate(cats), 20 * MPM)
    (near, _), t = measure(ours, args.repeats)
    pos = {(round(G.nodes[n]["x"], 3), round(G.nodes[n]["y"], 3)): n for n in G.nodes}

    def node(xy):
        return [pos[(round(a, 3), round(b, 3))] for a, b in xy]

    def reference():
        res = np.full((10, len(o)), np.inf)
        for k, c in enumerate(cats):
            d = nx.multi_source_dijkstra_path_length(G, set(node(c)), cutoff=60 * MPM,
                                                     weight="length_bng")
            res[k] = [d.get(n, np.inf) for n in node(o)]
        for n in node(o):
            nx.single_source_dijkstra_path_length(G, n, cutoff=20 * MPM, weight="length_bng")
        return res
    ref, tr = measure(reference, 1)
    log(f"end to end: AssetMap {t}; osmnx build + networkx {t_osmnx + tr}; "
        f"equal: {same(ref, near, 1e-6)}")
    return {"end_to_end_vs_osmnx_networkx": ratio("end to end vs osmnx + networkx",
                                                  t_osmnx + tr, t, 100)}


# --- 4. hotspots ------------------------------------------------------------------------------
def grid_weights(n_cells: int, width: int):
    """Queen contiguity of the first n_cells cells of a grid ``width`` cells wide."""
    import scipy.sparse as sp
    idx = np.arange(n_cells)
    r, c = idx // width, idx % width
    rows, cols = [], []
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if dr == dc == 0:
                continue
            rr, cc = r + dr, c + dc
            j = rr * width + cc
            ok = (rr >= 0) & (cc >= 0) & (cc < width) & (j < n_cells)
            rows.append(idx[ok])
            cols.append(j[ok])
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_cells, n_cells))


def bench_hotspots(args) -> dict:
    n, width = 33_755, 184
    W = grid_weights(n, width)
    rng = np.random.default_rng(args.seed)
    y = rng.normal(size=n)
    y[:2000] += 2.0                                     # a planted block of high values
    res, t = measure(lambda: hotspots.hotspots(y, W, 999, args.seed, inference="permutation",
                                               max_permutations=999), args.repeats)
    log(f"hotspots: AssetMap Gi* + local Moran, 999 permutations, {n:,} areas: {t}")
    try:
        import esda
        import libpysal
    except ImportError:
        log("hotspots: esda not installed")
        return {"hotspots_vs_esda": None}
    wsmall = libpysal.weights.W.from_sparse(grid_weights(400, 20))
    t0 = time.perf_counter()
    esda.G_Local(rng.normal(size=400) + 5, wsmall, transform="B", star=True, permutations=99,
                 seed=1, keep_simulations=False, n_jobs=1)
    esda.Moran_Local(rng.normal(size=400), wsmall, transformation="r", permutations=99, seed=1,
                     keep_simulations=False, n_jobs=1)
    log(f"hotspots: esda warm-up (numba compile) {time.perf_counter() - t0:.1f} s (not counted)")
    w = libpysal.weights.W.from_sparse(W)

    def by_esda():
        return (esda.G_Local(y - y.min() + 1, w, transform="B", star=True, permutations=999,
                             seed=args.seed, keep_simulations=False, n_jobs=1),
                esda.Moran_Local(y, w, transformation="r", permutations=999, seed=args.seed,
                                 keep_simulations=False, n_jobs=1))
    (g, m), te = measure(by_esda, args.repeats)
    equal = np.allclose(g.Zs, res["gi_z"], atol=1e-9) and np.allclose(m.Is, res["lisa_i"],
                                                                        atol=1e-9)
    corr = float(np.corrcoef(m.p_sim, res["lisa_p"])[0, 1])
    log(f"hotspots: esda {te}; z-scores and I equal to 1e-9: {equal}; permutation "
        f"p-value correlation {corr:.3f}")
    if not equal:
        raise SystemExit("esda and AssetMap disagree")
    return {"hotspots_vs_esda": ratio("hotspots vs esda", te, t, 1)}


# --- 5. E2SFCA --------------------------------------------------------------------------------
def bench_e2sfca(args) -> dict:
    rng = np.random.default_rng(args.seed)
    nd, ns = 5000, 300
    dem = rng.random((nd, 2)) * 20_000
    sup = rng.random((ns, 2)) * 20_000
    from scipy.spatial import cKDTree
    m = cKDTree(dem).sparse_distance_matrix(cKDTree(sup), 30 * 75.0, output_type="coo_matrix")
    r, c, t = m.row, m.col, m.data / 75.0
    demand = rng.integers(50, 500, nd).astype(float)
    supply = rng.integers(10, 100, ns).astype(float)

    def ours():
        W = catchment.weight_matrix(r, c, t, (nd, ns), 20.0, "gaussian", 10.0)
        return catchment.e2sfca(W, demand, supply)[0]
    mine, to = measure(ours, args.repeats)
    log(f"e2sfca: AssetMap {to} ({len(r):,} cost rows)")
    try:
        import access
        import pandas as pd
    except ImportError:
        log("e2sfca: access not installed")
        return {"e2sfca_vs_access": None}

    def by_access():
        A = access.Access(demand_df=pd.DataFrame({"geoid": np.arange(nd), "pop": demand}),
                          demand_index="geoid", demand_value="pop",
                          supply_df=pd.DataFrame({"geoid": np.arange(ns), "cap": supply}),
                          supply_index="geoid", supply_value="cap",
                          cost_df=pd.DataFrame({"origin": r, "dest": c, "cost": t}),
                          cost_origin="origin", cost_dest="dest", cost_name="cost")
        return A.enhanced_two_stage_fca(name="e2", cost="cost", max_cost=20.0,
                                        weight_fn=access.weights.gaussian(10.0),
                                        normalize=False)
    by_access()                                          # warm (imports, caches)
    ref, tr = measure(by_access, args.repeats)
    ref = ref.reindex(np.arange(nd))["e2_cap"].fillna(0).to_numpy()
    equal = np.allclose(ref, mine, rtol=0, atol=1e-9)
    log(f"e2sfca: access package {tr} (warm); equal to 1e-9: {equal}")
    if not equal:
        raise SystemExit("access and AssetMap disagree")
    return {"e2sfca_vs_access": ratio("e2sfca vs access", tr, to, 20)}


SECTIONS = ("access", "table", "build", "hotspots", "e2sfca")


def main(argv=None):
    import tempfile
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nodes", type=int, default=100_000, help="street grid size (access, table)")
    ap.add_argument("--origins", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=3, help="runs per figure (the median)")
    ap.add_argument("--osm", help="an OSM file for the build section (default: a grid)")
    ap.add_argument("--osm-grid", type=int, default=60, help="side of the synthetic OSM grid")
    ap.add_argument("--scale", default="", help="comma-separated node counts: scaling table")
    ap.add_argument("--only", default=",".join(SECTIONS), help="sections to run")
    ap.add_argument("--quick", action="store_true", help="networkx timed once")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    only = set(args.only.split(","))
    t = time.perf_counter()
    res: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in SECTIONS:
            if name in only:
                fn = bench_build if name == "build" else globals()[f"bench_{name}"]
                res.update(fn(args, Path(tmp)) if name == "build" else fn(args))
    if args.scale:
        res.update(bench_scale(args))
    log(f"total {time.perf_counter() - t:.1f} s")
    print(json.dumps(res))


if __name__ == "__main__":
    main()
