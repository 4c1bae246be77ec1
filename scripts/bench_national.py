#!/usr/bin/env python
"""Benchmark the national run: walking access for a synthetic England through Dask.

    .venv/bin/python scripts/bench_national.py [--nodes 15500000] [--workers 2]
        [--scale 100000,1000000,4000000] [--realdata DIR] [--keep DIR] [--seed 1]

1. builds the synthetic England (:mod:`assetmap.demo.synthetic_england`: all 32,844 LSOAs
   of 2011) of about ``--nodes`` street nodes, writes it as an ``.osm.pbf`` and into a
   SQLite store (timed, not part of the goal: done once per data set);
2. runs ``assetmap.pipeline.national.run`` on a LocalCluster of ``--workers`` processes:
   the street graph compiled from the file (pyosmium, cached by the file's hash: timed
   apart; ``--arrays``: compiled from the generator's arrays instead), then the walking
   access in tiles (nearest asset per category for every origin and the 10/15/20-minute
   table), and the rest of the run (need, E2SFCA, hotspots);
3. prints wall and CPU seconds (this process and every worker), the peak memory of all
   processes together (sampled every 0.2 s), the time per tile (median, max) and rounds;
4. ``--scale``: the same at smaller sizes (local authorities in code order, England's
   density) and the fitted exponent of the access step's wall time (time ~ nodes^k).

Goal (issue 15): walking access under 2 minutes wall on 2 cores, peak under 16 GB, at
15M nodes or more and all the areas; a figure past its goal is printed BELOW GOAL.
The last line is one JSON object of every figure.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assetmap.demo import synthetic_england as se  # noqa: E402
from assetmap.pipeline import national  # noqa: E402
from assetmap.store import Store  # noqa: E402

GOAL_WALL_S = 120.0
GOAL_PEAK_GB = 16.0


def log(msg):
    print(msg, flush=True)


class Meter:
    """Peak memory (RSS of this process and all its children, summed) and CPU seconds of
    the children, sampled in a thread."""

    def __init__(self, every: float = 0.2):
        self.every, self.peak, self.cpu_children = every, 0, {}
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self.me = psutil.Process()

    def _run(self):
        while not self._stop.is_set():
            rss = self.me.memory_info().rss
            for c in self.me.children(recursive=True):
                try:
                    rss += c.memory_info().rss
                    t = c.cpu_times()
                    self.cpu_children[c.pid] = t.user + t.system
                except psutil.Error:
                    pass
            self.peak = max(self.peak, rss)
            self._stop.wait(self.every)

    def __enter__(self):
        self.cpu0, self.wall0 = time.process_time(), time.perf_counter()
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0 + sum(self.cpu_children.values())


def las_for(lsoas, nodes: int, total: int = 15_500_000) -> list | None:
    """Local authorities in code order holding about nodes/total of England's people."""
    if nodes >= total:
        return None
    share = lsoas.groupby("la_code")["pop"].sum().sort_index()
    cum = share.cumsum() / share.sum()
    return list(cum.index[: max(1, int(np.searchsorted(cum.to_numpy(), nodes / total)) + 1)])


def from_arrays(store: Store, eng) -> float:
    """The graph compiled from the generator's arrays (no .osm.pbf), handed to the run
    through the routing service's in-process cache under a stand-in file: seconds."""
    from assetmap import settings
    from assetmap.analysis import network, routing
    t = time.perf_counter()
    u, v, L, x, y = se.edges(eng.streets)
    marker = f"synthetic-england arrays {len(x)} nodes seed {eng.seed}".encode()
    digest = store.put_blob("osm", marker)
    g = network.compile_graph(u, v, L, x, y, eng.streets.ids, sha256=digest, spatial=True)
    routing._GRAPHS[routing._key(digest, "walk", settings.NON_WALKABLE_HIGHWAYS)] = g
    return time.perf_counter() - t


def build(args, nodes: int, folder: Path, arrays: bool = False) -> tuple[Store, dict]:
    lsoas = se.load_lsoas(args.realdata)
    las = las_for(lsoas, nodes)
    t = time.perf_counter()
    eng = se.generate(args.realdata, nodes, args.seed, las=las)
    t_gen = time.perf_counter() - t
    store = Store(f"sqlite:///{folder / 'england.sqlite'}")
    t = time.perf_counter()
    counts = se.build_into(store, eng, None if arrays else folder / "england.osm.pbf")
    t_write = time.perf_counter() - t
    if arrays:
        t_arr = from_arrays(store, eng)
        log(f"data: graph compiled from the generator's arrays in {t_arr:.1f} s (no .osm.pbf)")
    log(f"data: {len(eng.lsoas):,} areas, {counts['osm_nodes']:,} OSM nodes, "
        f"{counts['osm_ways']:,} ways, {counts['assets']:,} assets; generated in {t_gen:.1f} s, "
        f".osm.pbf ({counts['osm_bytes'] / 1e6:.0f} MB) and store written in {t_write:.1f} s")
    return store, {"areas": len(eng.lsoas), "osm_nodes": counts["osm_nodes"],
                   "assets": counts["assets"], "generate_s": round(t_gen, 1),
                   "write_pbf_and_store_s": round(t_write, 1)}


def run(args, store: Store) -> dict:
    client = national.client_for(None, args.workers)
    try:
        with Meter() as m:
            res, reports = national.run(store, {"permutations": 99}, client=client, save=False)
    finally:
        national.close(client)
    tim = res.summary.get("timings_s") or {}
    tiles = national.tile_summary(reports)
    out = {"nodes": res.summary["graph"]["nodes"], "origins": res.summary["origins"],
           "graph_build_s": tim.get("street network"), "access_wall_s": tim.get("walking access"),
           "run_wall_s": round(m.wall, 1), "cpu_s_all_processes": round(m.cpu, 1),
           "peak_gb_all_processes": round(m.peak / 1e9, 2), **tiles,
           "timings": tim}
    log(f"run: {out['nodes']:,} junctions, {out['origins']:,} origins; graph build "
        f"{out['graph_build_s']} s; walking access {out['access_wall_s']} s wall; whole run "
        f"{m.wall:.1f} s wall, {m.cpu:.1f} s CPU (all processes), peak {m.peak / 1e9:.2f} GB "
        f"(all processes); {tiles['tiles']} tiles, {tiles['rounds']} rounds "
        f"({tiles['widened']} widened), {tiles['median_s']:.2f} s median / {tiles['max_s']:.2f} "
        f"s max a tile; {tiles['tile_s']:.1f} s in tiles on the workers, {tiles['cut_s']:.1f} s "
        "cutting them in the driver")
    log(f"run: step timings {json.dumps(tim)}")
    return out


def verdicts(out: dict) -> None:
    w, p = out.get("access_wall_s") or 0.0, out["peak_gb_all_processes"]
    log(f"goal walking access < {GOAL_WALL_S:g} s wall: {w:.1f} s "
        + ("met" if w < GOAL_WALL_S else f"BELOW GOAL by {w - GOAL_WALL_S:.1f} s"))
    log(f"goal peak < {GOAL_PEAK_GB:g} GB: {p:.2f} GB "
        + ("met" if p < GOAL_PEAK_GB else f"BELOW GOAL by {p - GOAL_PEAK_GB:.2f} GB"))


def one(args, nodes: int, arrays: bool = False) -> dict:
    with tempfile.TemporaryDirectory(dir=args.keep) as tmp:
        store, data = build(args, nodes, Path(tmp), arrays)
        try:
            return {**data, **run(args, store)}
        finally:
            store.dispose()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nodes", type=int, default=15_500_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scale", default="", help="comma-separated node counts")
    ap.add_argument("--realdata", default="/work/shared/realdata")
    ap.add_argument("--keep", default=None, help="folder for the temporary files")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--skip-full", action="store_true", help="only the scaling table")
    ap.add_argument("--arrays", action="store_true", help="the full run's graph from the "
                    "generator's arrays, not through an .osm.pbf (writing 15M nodes with "
                    "pyosmium takes minutes: 13 us a node measured)")
    args = ap.parse_args(argv)
    res: dict = {}
    if not args.skip_full:
        res["full"] = one(args, args.nodes, args.arrays)
        verdicts(res["full"])
    rows = []
    for n in [int(s) for s in args.scale.split(",") if s]:
        r = one(args, n)
        rows.append(r)
        log(f"scale: {r['nodes']:>10,} junctions, {r['areas']:>6,} areas | access "
            f"{r['access_wall_s']} s wall | run {r['run_wall_s']} s, {r['cpu_s_all_processes']}"
            f" s CPU, peak {r['peak_gb_all_processes']} GB")
    if len(rows) > 1:
        a = np.array([[r["nodes"], r["access_wall_s"]] for r in rows], float)
        k = float(np.polyfit(np.log(a[:, 0]), np.log(a[:, 1]), 1)[0])
        res["exponent_access_wall"] = round(k, 2)
        log(f"scale: fitted exponent of the access wall time (time ~ nodes^k): {k:.2f}")
    res["scale"] = rows
    print(json.dumps(res, default=str))


if __name__ == "__main__":
    main()
