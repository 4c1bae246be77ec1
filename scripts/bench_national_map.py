#!/usr/bin/env python
"""National overview benchmark: what the first view of the overview map costs in Chromium for
a national store (England's 32,844 LSOAs), and a zoomed-in view.

    .venv/bin/python scripts/bench_national_map.py --db sqlite:///england.sqlite [--repeats 3]

Build the store first (about a minute; no national street network exists offline, so the
access step falls back to straight-line walks, as for Leeds)::

    R=../shared/realdata
    assetmap --db sqlite:///england.sqlite area E92000001 \\
        $R/england-iod2019-lsoa11 $R/england-wales-lsoa11-centroids-lookups
    assetmap --db sqlite:///england.sqlite analyse

The app runs in this process (waitress on 127.0.0.1, compression on as configured); Debian's
chromium through Playwright loads ``/`` with a cold browser cache and waits for the page's
ready marker (``html[data-am-ready]`` and the performance mark ``am-ready``, set once every
area layer has drawn its first view).
Reported per view: bytes transferred (compressed, as the network carried them, from the
Resource Timing API plus the document), the areas drawn, time to interactive (navigation
start to the marker, median of ``--repeats``; for a zoomed view also the time from the zoom to
its areas drawn, mark ``am-drawn``) and the JS heap (``performance.memory``).
The first request after start-up builds the page data, the layers and their classes once per
data version, and the first view of more areas than ``settings.MAP_AREAS_MAX`` dissolves the
areas per local authority and aggregates the layers (``layers.areagg``), also once: both
server times are printed separately ("cold"), and the browser figures are
warm, as a visitor after start-up sees them. Goals (issue 15): first view < 1 MB transferred,
< 2 s to interactive. Prints a table and, last, one JSON line.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--enable-precise-memory-info"]

_MEASURE = """() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const res = performance.getEntriesByType('resource');
    const ready = performance.getEntriesByName('am-ready')[0];
    const drawn = performance.getEntriesByName('am-drawn');
    const asked = performance.getEntriesByName('am-view')[0];
    let n = 0;
    window.assetmapMap.eachLayer(function (l) {
        if (l.feature && l instanceof L.Polygon) { n++; } });
    return {transferred: nav.transferSize + res.reduce((s, r) => s + r.transferSize, 0),
            decoded: nav.decodedBodySize + res.reduce((s, r) => s + r.decodedBodySize, 0),
            requests: 1 + res.length, areas: n,
            interactive_ms: ready ? ready.startTime : null,
            view_ms: asked && drawn.length ? drawn[drawn.length - 1].startTime - asked.startTime
                                           : null,
            heap_mb: performance.memory ? performance.memory.usedJSHeapSize / 1e6 : null,
            note: (document.querySelector('.am-area-note') || {}).textContent || ''};
}"""


def _serve(db: str):
    from waitress.server import create_server

    from assetmap.app import create_app
    app = create_app({"DATABASE": db, "SECRET_KEY": "bench",
                      "INSTANCE_PATH": tempfile.mkdtemp(prefix="assetmap-natbench-")})
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    return server, f"http://127.0.0.1:{server.effective_port}"


def _cold(base: str, path: str = "/") -> float:
    t = time.perf_counter()
    req = urllib.request.Request(base + path, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(req, timeout=600) as r:
        r.read()
    return time.perf_counter() - t


def _view(browser, url: str, setup=None) -> dict:
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    page = ctx.new_page()
    page.goto(url)
    page.wait_for_selector("html[data-am-ready]", timeout=120000)
    if setup is not None:
        setup(page)
    page.wait_for_timeout(300)
    out = page.evaluate(_MEASURE)
    ctx.close()
    return out


def _zoom_in(lat: float, lon: float, zoom: int):
    """A setup step: the planner zooms to (lat, lon); what that view fetches is measured."""
    def run(page):
        page.evaluate("() => performance.clearResourceTimings()")
        page.evaluate(f"() => {{ performance.mark('am-view'); "
                      f"window.assetmapMap.setView([{lat}, {lon}], {zoom}, {{animate: false}}); }}")
        page.wait_for_function("() => performance.getEntriesByType('resource').some("
                               "r => r.name.indexOf('/map/areas.json') >= 0)", timeout=60000)
        page.wait_for_timeout(1500)
    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", required=True, help="SQLAlchemy URL of a national store")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    from assetmap.store import Store
    n_areas = len(Store(args.db).read_areas("lsoa"))
    server, base = _serve(args.db)
    cold = _cold(base)
    cold_agg = _cold(base, "/map/areas.json?zoom=6")
    views = {"first view (England)": (base + "/", None),
             "zoomed to Leeds (zoom 11)": (base + "/", _zoom_in(53.80, -1.55, 11)),
             "zoomed to Leeds (zoom 13)": (base + "/", _zoom_in(53.80, -1.55, 13))}
    results = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        for name, (url, setup) in views.items():
            runs = [_view(browser, url, setup) for _ in range(max(1, args.repeats))]
            r = dict(runs[-1])
            r["interactive_ms"] = statistics.median(x["interactive_ms"] or 0 for x in runs)
            if r.get("view_ms") is not None:
                r["view_ms"] = statistics.median(x["view_ms"] or 0 for x in runs)
            results[name] = r
        browser.close()
    server.close()
    print(f"{n_areas:,} areas; cold first request (builds page data, layers, classes): "
          f"{cold:.1f} s; cold first aggregate view (dissolves the areas per local authority, "
          f"aggregates the layers and classes them): {cold_agg:.1f} s")
    print(f"{'view':28} {'transferred':>12} {'decoded':>10} {'areas':>6} {'interactive':>11} "
          f"{'JS heap':>8}")
    for name, r in results.items():
        print(f"{name:28} {r['transferred'] / 1e3:>9.0f} KB {r['decoded'] / 1e3:>7.0f} KB "
              f"{r['areas']:>6} {r['interactive_ms']:>8.0f} ms {r['heap_mb'] or 0:>5.1f} MB")
        if r.get("view_ms") is not None:
            print(f"  after the zoom, fetched and drawn in {r['view_ms']:.0f} ms (the transferred "
                  "bytes are the zoom's own)")
        if r["note"]:
            print(f"  map says: {r['note']}")
    first = results["first view (England)"]
    print(f"goals: first view < 1 MB transferred: {first['transferred'] / 1e6:.2f} MB "
          f"({'met' if first['transferred'] < 1e6 else 'NOT met'}); < 2 s to interactive: "
          f"{first['interactive_ms'] / 1e3:.2f} s "
          f"({'met' if first['interactive_ms'] < 2000 else 'NOT met'})")
    print(json.dumps({"areas": n_areas, "cold_first_request_s": round(cold, 2),
                      "cold_first_aggregate_s": round(cold_agg, 2),
                      "views": results}))


if __name__ == "__main__":
    main()
