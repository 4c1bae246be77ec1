#!/usr/bin/env python
"""Load test of contributions and moderation on loopback (bounded).

50 concurrent contributors submit 1,000 assets in total through the real form (CSRF token,
every field, a location inside the borough) while planners sign in and approve from the
queue. Then every submission is checked: stored exactly once (one submission, one asset, one
first version per private link), none lost, no server error. Prints the figures.

    .venv/bin/python scripts/load_contribute.py [--contributors 50] [--total 1000]
        [--planners 3] [--threads 16] [--refresh background|off] [--timeout 900]

The server is AssetMap's own app under waitress on 127.0.0.1, on a fresh SQLite store with
the demo borough (or a small built-in grid with ``--grid``). Every contributor comes from
127.0.0.1, so the per-address submission limit is raised for the run (its own tests check
it); sign-in limits stay as they are.
"""
from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assetmap import accounts, settings  # noqa: E402
from assetmap.community import tokens  # noqa: E402
from assetmap.store import Store  # noqa: E402

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
PLANNER_PASSWORD = "load-test-planner-pw"


def build_store(path: Path, grid: bool) -> Store:
    store = Store(f"sqlite:///{path}")
    if not grid:
        try:
            from assetmap import demo
            demo.build_into(store)
            return store
        except ImportError:
            pass
    import geopandas as gpd
    from shapely.geometry import box
    x0, y0 = settings.DEMO_ORIGIN
    rows, geoms = [], []
    for i in range(8):
        for j in range(8):
            rows.append({"code": f"E01{i * 8 + j + 1:06d}", "name": f"Grid {i}-{j}",
                         "level": "lsoa"})
            geoms.append(box(x0 + j * 500, y0 + i * 500, x0 + j * 500 + 500, y0 + i * 500 + 500))
    store.write_areas(gpd.GeoDataFrame(rows, geometry=geoms,
                                       crs=settings.ANALYSIS_CRS).to_crs(4326))
    return store


def sample_points(store, n: int, seed: int = 1) -> list[tuple[float, float]]:
    """Random points inside the borough (inside an area, away from its edge)."""
    import shapely
    areas = store.read_areas(level=None)
    proj = areas.geometry.to_crs(settings.ANALYSIS_CRS).buffer(-30)
    rng = random.Random(seed)
    pts = []
    polys = [p for p in proj if not p.is_empty]
    while len(pts) < n:
        poly = rng.choice(polys)
        minx, miny, maxx, maxy = poly.bounds
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if poly.contains(shapely.Point(x, y)):
            pts.append((x, y))
    import geopandas as gpd
    g = gpd.GeoSeries(gpd.points_from_xy([p[0] for p in pts], [p[1] for p in pts]),
                      crs=settings.ANALYSIS_CRS).to_crs(4326)
    return [(float(p.x), float(p.y)) for p in g]


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.status = Counter()
        self.submit_ms: list[float] = []
        self.approve_ms: list[float] = []
        self.queue_ms: list[float] = []
        self.tokens: dict[str, str] = {}        # token -> name
        self.approved = 0
        self.conflicts = 0
        self.errors: list[str] = []

    def record(self, kind, r, ms=None):
        with self.lock:
            self.status[(kind, r.status_code)] += 1
            if r.status_code >= 500:
                self.errors.append(f"{kind} {r.status_code} {r.url}")
            if ms is not None:
                {"submit": self.submit_ms, "approve": self.approve_ms,
                 "queue": self.queue_ms}[kind].append(ms)


def contributor(base, k, jobs, stats, stop):
    s = requests.Session()
    r = s.get(f"{base}/contribute", timeout=60)
    stats.record("form", r)
    token = TOKEN_RE.search(r.text).group(1)
    for j, (lon, lat) in jobs:
        if stop.is_set():
            return
        name = f"Load {k:02d}-{j:04d} {uuid.uuid4().hex[:8]}"
        data = {"csrf_token": token, "name": name, "category": "micro_provider",
                "description": "Load test provider", "lat": f"{lat:.6f}", "lon": f"{lon:.6f}",
                "oh_mo_open": "09:00", "oh_mo_close": "17:00", "contact": "07700 900000",
                "service_types": ["befriending", "home_support"],
                "client_groups": ["older_people"], "hourly_price": "15", "capacity_hours": "20",
                "vacancies": "2", "staff_fte": "1", "home_based": "on" if j % 5 == 0 else ""}
        for attempt in range(5):
            t = time.perf_counter()
            r = s.post(f"{base}/contribute", data=data, allow_redirects=False, timeout=120)
            stats.record("submit", r, (time.perf_counter() - t) * 1000)
            if r.status_code == 303:
                link = r.headers["Location"]
                with stats.lock:
                    stats.tokens[re.search(r"/submission/([^?]+)", link).group(1)] = name
                break
            if r.status_code >= 500 or r.status_code == 400:
                with stats.lock:
                    stats.errors.append(f"submit {r.status_code}: {r.text[:200]}")
                break
            time.sleep(0.5 * (attempt + 1))       # 429: back off and retry


def planner(base, name, stats, contributors_done, stop):
    s = requests.Session()
    r = s.get(f"{base}/login", timeout=60)
    token = TOKEN_RE.search(r.text).group(1)
    r = s.post(f"{base}/login", data={"csrf_token": token, "name": name,
                                      "password": PLANNER_PASSWORD}, allow_redirects=False)
    stats.record("login", r)
    assert r.status_code == 302, r.text[:300]
    rng = random.Random(name)
    while not stop.is_set():
        t = time.perf_counter()
        r = s.get(f"{base}/moderate", timeout=120)
        stats.record("queue", r, (time.perf_counter() - t) * 1000)
        ids = re.findall(r'<tr data-submission="(\d+)">', r.text)
        if not ids:
            if contributors_done.is_set():
                return
            time.sleep(0.3)
            continue
        rng.shuffle(ids)
        for sid in ids[:15]:
            if stop.is_set():
                return
            page = s.get(f"{base}/moderate/{sid}", timeout=120)
            stats.record("item", page)
            v = re.search(r'name="version" value="(\d+)"', page.text)
            av = re.search(r'name="asset_version" value="(\d+)"', page.text)
            tok = TOKEN_RE.search(page.text)
            if not (v and av and tok):
                continue                                  # already decided by a colleague
            t = time.perf_counter()
            r = s.post(f"{base}/moderate/{sid}/approve", allow_redirects=False, timeout=120,
                       data={"csrf_token": tok.group(1), "version": v.group(1),
                             "asset_version": av.group(1)})
            stats.record("approve", r, (time.perf_counter() - t) * 1000)
            with stats.lock:
                if r.status_code == 303:
                    stats.approved += 1
                elif r.status_code == 409:
                    stats.conflicts += 1


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--contributors", type=int, default=50)
    ap.add_argument("--total", type=int, default=1000)
    ap.add_argument("--planners", type=int, default=3)
    ap.add_argument("--threads", type=int, default=16, help="waitress worker threads")
    ap.add_argument("--refresh", choices=("background", "off"), default="background",
                    help="refresh the gap analysis after approvals (coalesced)")
    ap.add_argument("--grid", action="store_true", help="a small built-in grid, not the demo")
    ap.add_argument("--timeout", type=float, default=900.0, help="stop after this many seconds")
    args = ap.parse_args(argv)

    from waitress.server import create_server

    from assetmap.app import create_app

    tmp = Path(tempfile.mkdtemp(prefix="assetmap-load-"))
    t0 = time.perf_counter()
    store = build_store(tmp / "load.sqlite", args.grid)
    planners = [f"planner{i}" for i in range(args.planners)]
    for p in planners:
        store.add_user(p, "planner", accounts.hash_password(PLANNER_PASSWORD))
    approved_before = len(store.read_assets())
    runs_before = store.latest_run()
    print(f"store: {store.counts()['areas']} areas, {approved_before} approved assets "
          f"(built in {time.perf_counter() - t0:.1f} s)", flush=True)
    app = create_app({"DATABASE": store.url, "INSTANCE_PATH": str(tmp / "instance"),
                      "SECRET_KEY": uuid.uuid4().hex, "ANALYSIS_REFRESH": args.refresh,
                      "SUBMISSION_LIMIT": args.total * 2})
    server = create_server(app, host="127.0.0.1", port=0, threads=args.threads,
                           connection_limit=args.contributors + args.planners + 50)
    base = f"http://127.0.0.1:{server.effective_port}"
    threading.Thread(target=server.run, daemon=True).start()

    points = sample_points(store, args.total)
    per = [[] for _ in range(args.contributors)]
    for i, p in enumerate(points):
        per[i % args.contributors].append((i, p))
    stats = Stats()
    stop = threading.Event()
    contributors_done = threading.Event()
    threading.Timer(args.timeout, stop.set).start()
    cthreads = [threading.Thread(target=contributor, args=(base, k, per[k], stats, stop))
                for k in range(args.contributors)]
    pthreads = [threading.Thread(target=planner, args=(base, p, stats, contributors_done, stop))
                for p in planners]
    start = time.perf_counter()
    for t in cthreads + pthreads:
        t.start()
    for t in cthreads:
        t.join()
    submit_secs = time.perf_counter() - start
    contributors_done.set()
    for t in pthreads:
        t.join()
    total_secs = time.perf_counter() - start
    timed_out = stop.is_set()
    stop.set()

    # --- verification: every submission stored exactly once -----------------------------------
    subs = store.list_submissions(statuses=None)
    by_hash = Counter(s["token_hash"] for s in subs)
    names = Counter(s["data"]["asset"]["name"] for s in subs)
    all_assets = store.read_assets(statuses=None, with_providers=False)
    asset_names = Counter(all_assets["name"])
    missing = [t for t in stats.tokens if by_hash.get(tokens.token_hash(t), 0) != 1]
    name_mismatch = [t for t, n in stats.tokens.items() if names.get(n, 0) != 1
                     or asset_names.get(n, 0) != 1]
    extra = len(subs) - len(stats.tokens)
    from sqlalchemy import func, select

    from assetmap.store import asset_versions
    with store.engine.connect() as c:
        first_versions = c.execute(select(func.count()).select_from(asset_versions)
                                   .where(asset_versions.c.action == "submitted")).scalar()
    approved_now = int((store.read_assets(statuses=("approved",), with_providers=False)
                        ["name"].str.startswith("Load ")).sum())
    pending_now = store.count_submissions().get("pending", 0)
    if args.refresh == "background":
        from assetmap.community import refresh
        refresh.refresher(store).wait(300)
    run_after = store.latest_run()
    server5xx = sum(v for (k, code), v in stats.status.items() if code >= 500)

    print("\n=== AssetMap contribution load test (loopback) ===")
    print(f"contributors {args.contributors}, planners {args.planners}, waitress threads "
          f"{args.threads}, analysis refresh {args.refresh}")
    print(f"submissions sent OK      {len(stats.tokens)} of {args.total} in {submit_secs:.1f} s "
          f"({len(stats.tokens) / submit_secs:.1f}/s)")
    print(f"submit latency ms        p50 {pct(stats.submit_ms, 50):.0f}  p95 "
          f"{pct(stats.submit_ms, 95):.0f}  max {max(stats.submit_ms or [0]):.0f}")
    print(f"approvals                {stats.approved} (planner conflicts refused: "
          f"{stats.conflicts}); approve latency ms p50 {pct(stats.approve_ms, 50):.0f} p95 "
          f"{pct(stats.approve_ms, 95):.0f}")
    print(f"queue page ms            p50 {pct(stats.queue_ms, 50):.0f}  p95 "
          f"{pct(stats.queue_ms, 95):.0f}  ({len(stats.queue_ms)} loads)")
    print(f"stored submissions       {len(subs)} (extra: {extra}); first versions {first_versions}")
    print(f"stored exactly once      {len(stats.tokens) - len(missing) - len(name_mismatch)} "
          f"of {len(stats.tokens)}; lost {len(missing)}; duplicated/mismatched "
          f"{len(name_mismatch)}")
    print(f"approved now / pending   {approved_now} / {pending_now}")
    print("HTTP statuses            " + ", ".join(f"{k} {c}: {v}" for (k, c), v in
                                                  sorted(stats.status.items())))
    print(f"server errors (5xx)      {server5xx}")
    print(f"analysis runs            before {runs_before['id'] if runs_before else None}, "
          f"after {run_after['id'] if run_after else None}")
    print(f"wall time                {total_secs:.1f} s{' (TIMED OUT)' if timed_out else ''}")
    ok = (len(stats.tokens) == args.total and not missing and not name_mismatch and extra == 0
          and server5xx == 0 and first_versions == args.total and not stats.errors
          and not timed_out)
    if stats.errors:
        print("errors:", *stats.errors[:10], sep="\n  ")
    print("RESULT", "PASS" if ok else "FAIL")
    server.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
