#!/usr/bin/env python
"""Web benchmark: bytes transferred for each page on the demo borough (compressed, as a
browser asks, beside the raw size, against the 100 KB page budget), and server latency
(p50/p95) under concurrent clients on loopback.

    .venv/bin/python scripts/bench_web.py [--db URL] [--clients 20] [--requests 2000] [--seconds 60]

Without ``--db`` it builds the demo borough and its analysis into a temporary SQLite store.
The app runs as ``assetmap serve`` (waitress, its default 8 threads) in a child process on
127.0.0.1 only (``--in-process`` serves it from this process instead); the load is a bounded
loop (``--requests`` in total, stopped after ``--seconds``) from a thread
pool of ``--clients`` urllib clients. Each page is fetched once first (cold: builds and caches
its map), then measured warm, as a server sees it after start-up. Prints a table and, last, one
JSON line with the figures.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _store(db: str | None):
    from assetmap.store import Store
    if db:
        return Store(db)
    from assetmap import demo, pipeline
    path = Path(tempfile.mkdtemp(prefix="assetmap-bench-")) / "demo.sqlite"
    s = Store(f"sqlite:///{path}")
    t = time.perf_counter()
    demo.build_into(s)
    pipeline.run(s)
    print(f"demo borough built and analysed in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return s


def _pages(store) -> dict[str, str]:
    run = store.latest_run()
    top = ((run or {}).get("summary") or {}).get("top_gaps") or []
    code = top[0] if top else store.read_areas("lsoa")["code"].iloc[0]
    area = store.read_areas("lsoa", codes=[code]).iloc[0]
    c = area.geometry.representative_point()
    return {
        "overview": "/",
        "overview (loneliness, Fisher-Jenks)": "/?indicator=loneliness_risk&scheme=fisher_jenks",
        "gaps": "/gaps",
        "hotspots": "/hotspots",
        "area profile": f"/areas/{code}",
        "area summary": f"/areas/{code}/summary",
        "directory": "/directory?kind=all",
        "directory near a point": f"/directory?lat={c.y:.6f}&lon={c.x:.6f}&within=20",
        "referral": f"/referral?lat={c.y:.6f}&lon={c.x:.6f}&within=20",
        "api areas": "/api/v1/areas",
        "isochrone": f"/api/v1/isochrone?lat={c.y:.6f}&lon={c.x:.6f}",
        "openreferral": "/openreferral/services",
    }


#: The page-weight budget (issue 12): the largest borough page, transferred compressed.
BUDGET_BYTES = 100 * 1024


def _get(url: str, encoding: str = "gzip, br") -> tuple[int, int, float]:
    """(status, bytes transferred, seconds): as a browser asks, compressed."""
    t = time.perf_counter()
    req = urllib.request.Request(url, headers={"Accept-Encoding": encoding})
    with urllib.request.urlopen(req, timeout=60) as r:
        body = r.read()
        status = r.status
    return status, len(body), time.perf_counter() - t


def _serve_in_process(store, threads: int):
    """The app served by waitress from this process, on a free loopback port."""
    import logging
    logging.getLogger("waitress").setLevel(logging.ERROR)
    from waitress.server import create_server

    from assetmap.app import create_app
    app = create_app({"DATABASE": store.url, "SECRET_KEY": "bench",
                      "INSTANCE_PATH": tempfile.mkdtemp(prefix="assetmap-inst-")})
    server = create_server(app, host="127.0.0.1", port=0, threads=threads)
    threading.Thread(target=server.run, daemon=True).start()
    return server


def _serve_in_child(store, threads: int):
    """``assetmap serve`` in a child process on a free loopback port, once it answers
    /healthz: (the process, its base URL)."""
    import os
    import socket
    import subprocess
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, ASSETMAP_INSTANCE=tempfile.mkdtemp(prefix="assetmap-inst-"))
    proc = subprocess.Popen([sys.executable, "-m", "assetmap.cli", "--db", store.url, "serve",
                             "--host", "127.0.0.1", "--port", str(port),
                             "--threads", str(threads)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            _get(base + "/healthz")
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.terminate()
        raise SystemExit("the server did not start")
    return proc, base


def _load(urls: list[str], args) -> tuple[list[tuple[str, float]], int, float]:
    """Warm load: a bounded loop of requests cycling through ``urls`` from ``args.clients``
    clients. Returns ((url, seconds) of each success, errors, wall seconds)."""
    lat: list[tuple[str, float]] = []
    errors = 0
    deadline = time.perf_counter() + args.seconds
    lock = threading.Lock()

    def one(i):
        nonlocal errors
        if time.perf_counter() > deadline:
            return
        u = urls[i % len(urls)]
        try:
            status, _, dt = _get(u)
            ok = status == 200
        except Exception:
            ok, dt = False, float("nan")
        with lock:
            if ok:
                lat.append((u, dt))
            else:
                errors += 1

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.clients) as pool:
        list(pool.map(one, range(args.requests)))
    return lat, errors, time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", help="SQLAlchemy URL of a store (default: build the demo)")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=2000, help="total requests in the load test")
    ap.add_argument("--seconds", type=float, default=60.0, help="stop the load test after this")
    ap.add_argument("--threads", type=int, default=8, help="waitress threads (as assetmap serve)")
    ap.add_argument("--in-process", action="store_true",
                    help="serve from this process (the clients then share its interpreter)")
    args = ap.parse_args(argv)

    store = _store(args.db)
    if args.in_process:
        server, proc = _serve_in_process(store, args.threads), None
        base = f"http://127.0.0.1:{server.effective_port}"
    else:
        server, (proc, base) = None, _serve_in_child(store, args.threads)
    pages = _pages(store)

    sizes, cold, raw = {}, {}, {}
    for name, path in pages.items():
        status, size, dt = _get(base + path)
        if status != 200:
            raise SystemExit(f"{path}: HTTP {status}")
        sizes[name], cold[name] = size, dt
        raw[name] = _get(base + path, encoding="identity")[1]
    single = {}
    for name, path in pages.items():          # one client, warm: the server's own time
        single[name] = float(np.median([_get(base + path)[2] for _ in range(5)])) * 1000
    print(f"{'page':<40}{'raw KB':>9}{'sent KB':>9}{'cold ms':>10}{'1 client ms':>13}")
    for name in pages:
        print(f"{name:<40}{raw[name] / 1024:>9.1f}{sizes[name] / 1024:>9.1f}"
              f"{cold[name] * 1000:>10.0f}{single[name]:>13.1f}")
    largest = max(sizes, key=lambda k: sizes[k])
    verdict = "within" if sizes[largest] <= BUDGET_BYTES else "OVER"
    print(f"largest page transferred: {largest}, {sizes[largest] / 1024:.1f} KB: {verdict} "
          f"the {BUDGET_BYTES // 1024} KB budget")

    lat, errors, wall = _load([base + p for p in pages.values()], args)
    if server is not None:
        server.close()
    if proc is not None:
        proc.terminate()
        proc.wait(timeout=10)
    ms = np.array([d for _, d in lat]) * 1000
    p50, p95 = (float(np.percentile(ms, q)) for q in (50, 95)) if len(ms) else (float("nan"),) * 2
    per_page = {}
    for name, path in pages.items():
        d = np.array([x for u, x in lat if u == base + path]) * 1000
        if len(d):
            per_page[name] = {"p50_ms": round(float(np.percentile(d, 50)), 1),
                              "p95_ms": round(float(np.percentile(d, 95)), 1)}
    print(f"\n{len(ms)} requests from {args.clients} concurrent clients in {wall:.1f} s "
          f"({len(ms) / wall:.1f} req/s), {errors} errors: p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    for name, v in per_page.items():
        print(f"  {name:<38} p50 {v['p50_ms']:>7.0f} ms   p95 {v['p95_ms']:>7.0f} ms")
    map_pages = [k for k in sizes if not k.startswith(("api", "isochrone", "openreferral"))]
    out = {"transferred_bytes": sizes, "raw_bytes": raw, "budget_bytes": BUDGET_BYTES,
           "max_map_page_bytes": max(sizes[k] for k in map_pages),
           "single_client_ms": {k: round(v, 1) for k, v in single.items()},
           "clients": args.clients, "requests": len(ms), "errors": errors,
           "p50_ms": round(p50, 1), "p95_ms": round(p95, 1),
           "req_per_s": round(len(ms) / wall, 1), "per_page": per_page}
    print(json.dumps(out))
    store.dispose()
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
