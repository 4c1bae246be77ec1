#!/usr/bin/env python
"""Benchmark AssetMap's analysis against the reference libraries, same inputs, same run.

    .venv/bin/python scripts/bench_analysis.py [--quick] [--seed N]

1. Walking access: a synthetic ~100k-node walking grid (316 x 316, 50 m blocks, curvy
   lengths); minutes from 500 origins to the nearest asset of each of 10 categories (30 assets
   each), within 60 minutes at 4.5 km/h.
   AssetMap: one scipy Dijkstra per category from a virtual source (network.nearest_distances).
   networkx (the osmnx way): a cut-off single-source Dijkstra per origin, then the minimum over
   each category's assets (with --quick on 50 origins, time scaled to 500).
   pandana (if installed; not with --quick, where its hierarchy build alone takes minutes):
   contraction hierarchies, set_pois + nearest_pois per category (query time; the hierarchy
   build is reported separately).
2. Hotspots: Gi* (star, row-standardised) and local Moran's I with 999 permutations on 33,755
   queen-contiguous grid cells, against esda (numba warmed up on a small problem first, so its
   one-off JIT compile is not counted).
3. E2SFCA: 5,000 demand points x 300 providers, Gaussian decay, against the `access` package.

Each ratio is reference time / AssetMap time (higher = AssetMap faster); results are checked
for agreement before a ratio is reported. The last line printed is one JSON object with the
keys access_vs_networkx, access_vs_pandana, hotspots_vs_esda, e2sfca_vs_access (null where
a reference library is not installed).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))   # synthetic inputs

from assetmap.analysis import catchment, hotspots, network  # noqa: E402

import synthetic  # noqa: E402

warnings.filterwarnings("ignore")


def log(msg):
    print(msg, flush=True)


def timed(fn, *a, **kw):
    t = time.perf_counter()
    out = fn(*a, **kw)
    return out, time.perf_counter() - t


# --- 1. walking access --------------------------------------------------------------------------
def bench_access(quick: bool, seed: int) -> dict:
    side = 316
    u, v, L, x, y = synthetic.grid_edges(side, side, 50.0, jitter=0.3, seed=seed)
    g, t_compile = timed(network.compile_graph, u, v, L, x, y)
    n = g.n_nodes
    log(f"access: grid graph {n:,} nodes, {g.n_edges:,} edges (compiled in {t_compile:.2f} s)")
    rng = np.random.default_rng(seed)
    origins = rng.choice(n, 500, replace=False)
    cats = [rng.choice(n, 30, replace=False) for _ in range(10)]
    limit = 60 * network.metres_per_minute(4.5)

    def assetmap():
        nd = network.nearest_distances(g, [(c, np.zeros(len(c))) for c in cats], limit)
        return nd[:, origins]

    assetmap()                                            # warm caches (CSR, imports)
    ours, t_ours = min((timed(assetmap) for _ in range(3)), key=lambda r: r[1])
    log(f"access: AssetMap {t_ours:.3f} s for 500 origins x 10 categories")
    out = {"access_assetmap_s": round(t_ours, 4)}

    import networkx as nx
    G = nx.Graph()
    G.add_nodes_from(range(n))
    G.add_weighted_edges_from(zip(u.tolist(), v.tolist(), L.tolist()), weight="length")
    sample = origins[:50] if quick else origins
    t = time.perf_counter()
    ref = np.full((10, len(sample)), np.inf)
    for j, o in enumerate(sample):
        d = nx.single_source_dijkstra_path_length(G, int(o), cutoff=limit, weight="length")
        for k, c in enumerate(cats):
            ref[k, j] = min((d.get(int(a), np.inf) for a in c), default=np.inf)
    t_nx = (time.perf_counter() - t) * (len(origins) / len(sample))
    same = np.allclose(np.where(np.isinf(ref), -1, ref),
                       np.where(np.isinf(ours[:, :len(sample)]), -1, ours[:, :len(sample)]),
                       atol=1e-6)
    log(f"access: networkx per-origin Dijkstra {t_nx:.2f} s for 500 origins"
        + (" (50 timed, scaled)" if quick else "") + f"; results equal: {same}")
    if not same:
        raise SystemExit("networkx and AssetMap disagree")
    out["access_networkx_s"] = round(t_nx, 3)
    out["access_vs_networkx"] = round(t_nx / t_ours, 1)

    if quick:
        log("access: pandana skipped with --quick (its hierarchy build takes minutes)")
        out["access_vs_pandana"] = None
        return out
    try:
        import pandana
    except ImportError:
        log("access: pandana not installed")
        out["access_vs_pandana"] = None
        return out
    import pandas as pd
    nodes = pd.DataFrame({"x": x, "y": y}, index=np.arange(n))
    t = time.perf_counter()
    net = pandana.Network(nodes["x"], nodes["y"], pd.Series(u), pd.Series(v),
                          pd.DataFrame({"length": L}), twoway=True)
    t_build = time.perf_counter() - t

    def pandana_query():
        res = []
        for k, c in enumerate(cats):
            net.set_pois(f"c{k}", limit, 1, pd.Series(x[c]), pd.Series(y[c]))
            d = net.nearest_pois(limit, f"c{k}", num_pois=1)
            res.append(d.iloc[:, 0].to_numpy()[origins])
        return np.array(res)

    pd_res, t_pd = timed(pandana_query)
    ok = np.isfinite(ours) & (pd_res < limit)
    agree = float(np.mean(np.abs(pd_res[ok] - ours[ok]) < 1.0)) if ok.any() else 0.0
    log(f"access: pandana build {t_build:.1f} s (not counted), query {t_pd:.3f} s; "
        f"{agree:.1%} of distances within 1 m of AssetMap's")
    out["pandana_build_s"] = round(t_build, 2)
    out["access_pandana_s"] = round(t_pd, 4)
    out["access_vs_pandana"] = round(t_pd / t_ours, 2)
    return out


# --- 2. hotspots ---------------------------------------------------------------------------------
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


def bench_hotspots(seed: int) -> dict:
    n, width = 33_755, 184
    W = grid_weights(n, width)
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n)
    y[:2000] += 2.0                                     # a planted block of high values
    # the same work as esda: 999 permutations (the pipeline's default is analytical p)
    res, t_ours = timed(hotspots.hotspots, y, W, 999, seed, inference="permutation",
                        max_permutations=999)
    log(f"hotspots: AssetMap Gi* + local Moran, 999 permutations, {n:,} areas: {t_ours:.2f} s "
        f"({(res['gi_class'] != 'not significant').sum()} significant Gi* after FDR)")
    out = {"hotspots_assetmap_s": round(t_ours, 3)}
    try:
        import esda
        import libpysal
    except ImportError:
        log("hotspots: esda not installed")
        out["hotspots_vs_esda"] = None
        return out
    wsmall = libpysal.weights.W.from_sparse(grid_weights(400, 20))
    t = time.perf_counter()
    esda.G_Local(rng.normal(size=400) + 5, wsmall, transform="B", star=True, permutations=99,
                 seed=1, keep_simulations=False, n_jobs=1)
    esda.Moran_Local(rng.normal(size=400), wsmall, transformation="r", permutations=99, seed=1,
                     keep_simulations=False, n_jobs=1)
    log(f"hotspots: esda warm-up (numba compile) {time.perf_counter() - t:.1f} s (not counted)")
    w = libpysal.weights.W.from_sparse(W)
    t = time.perf_counter()
    g = esda.G_Local(y - y.min() + 1, w, transform="B", star=True, permutations=999, seed=seed,
                     keep_simulations=False, n_jobs=1)
    m = esda.Moran_Local(y, w, transformation="r", permutations=999, seed=seed,
                         keep_simulations=False, n_jobs=1)
    t_esda = time.perf_counter() - t
    same = (np.allclose(g.Zs, res["gi_z"], atol=1e-9) and np.allclose(m.Is, res["lisa_i"],
                                                                        atol=1e-9))
    corr = float(np.corrcoef(m.p_sim, res["lisa_p"])[0, 1])
    log(f"hotspots: esda {t_esda:.2f} s; z-scores and I equal to 1e-9: {same}; "
        f"p-value correlation {corr:.3f}")
    if not same:
        raise SystemExit("esda and AssetMap disagree")
    out["hotspots_esda_s"] = round(t_esda, 3)
    out["hotspots_vs_esda"] = round(t_esda / t_ours, 2)
    return out


# --- 3. E2SFCA -----------------------------------------------------------------------------------
def bench_e2sfca(seed: int) -> dict:
    rng = np.random.default_rng(seed)
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

    mine, t_ours = min((timed(ours) for _ in range(3)), key=lambda z: z[1])
    log(f"e2sfca: AssetMap {t_ours * 1000:.1f} ms ({len(r):,} cost rows)")
    out = {"e2sfca_assetmap_s": round(t_ours, 4)}
    try:
        import access
        import pandas as pd
    except ImportError:
        log("e2sfca: access not installed")
        out["e2sfca_vs_access"] = None
        return out
    t0 = time.perf_counter()
    A = access.Access(demand_df=pd.DataFrame({"geoid": np.arange(nd), "pop": demand}),
                      demand_index="geoid", demand_value="pop",
                      supply_df=pd.DataFrame({"geoid": np.arange(ns), "cap": supply}),
                      supply_index="geoid", supply_value="cap",
                      cost_df=pd.DataFrame({"origin": r, "dest": c, "cost": t}),
                      cost_origin="origin", cost_dest="dest", cost_name="cost")
    ref = A.enhanced_two_stage_fca(name="e2", cost="cost", max_cost=20.0,
                                   weight_fn=access.weights.gaussian(10.0), normalize=False)
    t_ref = time.perf_counter() - t0
    ref = ref.reindex(np.arange(nd))["e2_cap"].fillna(0).to_numpy()
    same = np.allclose(ref, mine, rtol=0, atol=1e-9)
    log(f"e2sfca: access package {t_ref:.2f} s; equal to 1e-9: {same}")
    if not same:
        raise SystemExit("access and AssetMap disagree")
    out["e2sfca_access_s"] = round(t_ref, 3)
    out["e2sfca_vs_access"] = round(t_ref / t_ours, 1)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="time networkx on 50 origins, scaled")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    t = time.perf_counter()
    res = {}
    res.update(bench_e2sfca(args.seed))
    res.update(bench_hotspots(args.seed))
    res.update(bench_access(args.quick, args.seed))
    log(f"total {time.perf_counter() - t:.1f} s")
    keys = ("access_vs_networkx", "access_vs_pandana", "hotspots_vs_esda", "e2sfca_vs_access")
    detail = {k: v for k, v in res.items() if k not in keys}
    log("timings: " + json.dumps(detail))
    print(json.dumps({k: res.get(k) for k in keys}))


if __name__ == "__main__":
    main()
