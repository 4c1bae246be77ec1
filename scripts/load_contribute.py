#!/usr/bin/env python
"""Load test of contributions and moderation on loopback (bounded).

50 concurrent contributors submit 1,000 assets in total through the real form (CSRF token,
every field, a location inside the borough) while planners sign in and approve from the
queue. Then every submission is checked: stored exactly once (one submission, one asset, one
first version per private link), none lost, no server error. Prints the figures.

    .venv/bin/python scripts/load_contribute.py [--contributors 50] [--total 1000]
        [--planners 3] [--threads 16] [--refresh background|off] [--timeout 900]
        [--db postgresql+psycopg://...] [--processes N]

The server is AssetMap's own app under waitress on 127.0.0.1, on a fresh SQLite store with
the demo borough (or a small built-in grid with ``--grid``). Every contributor comes from
127.0.0.1, so the per-address submission limit is raised for the run (its own tests check
it); sign-in limits stay as they are.

``--db URL`` uses that store instead (a PostgreSQL+PostGIS URL, e.g. from
``scripts/pg_test_server.sh start DIR PORT``): EVERY TABLE THERE IS DROPPED and rebuilt with
the demo borough. ``--processes N`` (N > 1) serves it from N separate server processes
(``scripts/load_server.py``: the same app config, given through the environment, and one
shared secret key) on 127.0.0.1 ports; every client sends its requests round-robin across
them, so each request may land on a different process. Rate limits, sign-in throttling and
sessions are in the store (or the signed cookie), shared by all of them. Their logs are
kept in a temporary folder (printed); the processes are stopped at the end, even on failure.
"""
from __future__ import annotations

import argparse
import functools
import itertools
import os
import random
import re
import signal
import socket
import subprocess
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


def build_store(url: str, grid: bool) -> Store:
    """A fresh store at ``url`` (a new SQLite file, or a database whose tables are dropped)
    with the demo borough, or the small grid."""
    store = Store(url)
    if store.dialect != "sqlite":
        store.drop_all()
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


class ClientStats:
    """What the load clients saw: HTTP statuses per kind of request, server errors and
    latencies (``ms[kind]``, milliseconds), under one lock (both load scripts use it)."""

    def __init__(self, kinds=()):
        self.lock = threading.Lock()
        self.status = Counter()
        self.ms: dict[str, list[float]] = {k: [] for k in kinds}
        self.errors: list[str] = []

    def record(self, kind, r, ms=None):
        with self.lock:
            self.status[(kind, r.status_code)] += 1
            if r.status_code >= 500:
                self.errors.append(f"{kind} {r.status_code} {r.url}")
            if ms is not None:
                self.ms.setdefault(kind, []).append(ms)


class Stats(ClientStats):
    def __init__(self):
        super().__init__(("submit", "approve", "queue"))
        self.submit_ms = self.ms["submit"]
        self.approve_ms = self.ms["approve"]
        self.queue_ms = self.ms["queue"]
        self.tokens: dict[str, str] = {}        # token -> name
        self.approved = 0
        self.conflicts = 0


class RoundRobin:
    """One client's way to the servers: each call gives the next server's URL for ``path``
    (one client's requests go to every server in turn; with one server, always that one)."""

    def __init__(self, bases: list[str], start: int = 0):
        self._next = itertools.islice(itertools.cycle(bases), start % len(bases), None)

    def __call__(self, path: str) -> str:
        return next(self._next) + path


def contributor(url, k, jobs, stats, stop):
    s = requests.Session()
    r = s.get(url("/contribute"), timeout=60)
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
            r = s.post(url("/contribute"), data=data, allow_redirects=False, timeout=120)
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


def planner(url, name, stats, contributors_done, stop):
    s = requests.Session()
    r = s.get(url("/login"), timeout=60)
    token = TOKEN_RE.search(r.text).group(1)
    r = s.post(url("/login"), data={"csrf_token": token, "name": name,
                                    "password": PLANNER_PASSWORD}, allow_redirects=False)
    stats.record("login", r)
    assert r.status_code == 302, r.text[:300]
    rng = random.Random(name)
    while not stop.is_set():
        t = time.perf_counter()
        r = s.get(url("/moderate"), timeout=120)
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
            page = s.get(url(f"/moderate/{sid}"), timeout=120)
            stats.record("item", page)
            v = re.search(r'name="version" value="(\d+)"', page.text)
            av = re.search(r'name="asset_version" value="(\d+)"', page.text)
            tok = TOKEN_RE.search(page.text)
            if not (v and av and tok):
                continue                                  # already decided by a colleague
            t = time.perf_counter()
            r = s.post(url(f"/moderate/{sid}/approve"), allow_redirects=False, timeout=120,
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


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--contributors", type=int, default=50)
    ap.add_argument("--total", type=int, default=1000)
    ap.add_argument("--planners", type=int, default=3)
    ap.add_argument("--threads", type=int, default=16, help="waitress worker threads")
    ap.add_argument("--refresh", choices=("background", "off"), default="background",
                    help="refresh the gap analysis after approvals (coalesced)")
    ap.add_argument("--grid", action="store_true", help="a small built-in grid, not the demo")
    ap.add_argument("--timeout", type=float, default=900.0, help="stop after this many seconds")
    ap.add_argument("--db", default=None,
                    help="store URL (PostgreSQL+PostGIS); ITS TABLES ARE DROPPED AND REBUILT "
                         "(default: a fresh SQLite file)")
    ap.add_argument("--processes", type=int, default=1,
                    help="server processes (N > 1: separate processes, round-robin)")
    ap.add_argument("--start-timeout", type=float, default=300.0,
                    help="seconds to wait for each server process to answer")
    args = ap.parse_args(argv)
    if args.processes < 1:
        ap.error("--processes must be 1 or more")
    return args


def app_config(args, store_url: str, instance: Path, secret: str) -> dict:
    """The app's config for the run: a fresh secret, the refresh mode, and the per-address
    submission limit raised above the run's total (every contributor is 127.0.0.1)."""
    return {"DATABASE": store_url, "INSTANCE_PATH": str(instance), "SECRET_KEY": secret,
            "ANALYSIS_REFRESH": args.refresh, "SUBMISSION_LIMIT": args.total * 2}


class InProcessServer:
    """The app under waitress in this process (the default, single-process mode)."""

    def __init__(self, config: dict, args):
        from waitress.server import create_server

        from assetmap.app import create_app
        app = create_app(config)
        self.server = create_server(app, host="127.0.0.1", port=0, threads=args.threads,
                                    connection_limit=args.contributors + args.planners + 50)
        self.bases = [f"http://127.0.0.1:{self.server.effective_port}"]
        threading.Thread(target=self.server.run, daemon=True).start()

    def log_errors(self) -> int | None:
        return None

    def stop(self) -> None:
        self.server.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcesses:
    """N separate server processes (``scripts/load_server.py``) on one store, each on its own
    127.0.0.1 port, given the same app config through the environment."""

    def __init__(self, config: dict, args, logdir: Path):
        self.procs: list[subprocess.Popen] = []
        self.logs: list[Path] = []
        self.bases: list[str] = []
        env = dict(os.environ, ASSETMAP_DB=config["DATABASE"],
                   ASSETMAP_INSTANCE=config["INSTANCE_PATH"],
                   ASSETMAP_LOAD_SECRET_KEY=config["SECRET_KEY"],
                   ASSETMAP_LOAD_SUBMISSION_LIMIT=str(config["SUBMISSION_LIMIT"]),
                   ASSETMAP_ANALYSIS_REFRESH=config["ANALYSIS_REFRESH"])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
        for i in range(args.processes):
            port = free_port()
            log = logdir / f"server-{i}-{port}.log"
            cmd = [sys.executable, str(ROOT / "scripts" / "load_server.py"), "--port", str(port),
                   "--threads", str(args.threads),
                   "--connection-limit", str(args.contributors + args.planners + 50)]
            with open(log, "wb") as out:
                self.procs.append(subprocess.Popen(cmd, env=env, stdout=out,
                                                   stderr=subprocess.STDOUT,
                                                   stdin=subprocess.DEVNULL))
            self.logs.append(log)
            self.bases.append(f"http://127.0.0.1:{port}")

    def wait_ready(self, timeout: float) -> None:
        """Until every process answers /healthz; a process that exits or stays silent past
        ``timeout`` seconds is an error (its log says why)."""
        end = time.monotonic() + timeout
        for proc, base, log in zip(self.procs, self.bases, self.logs):
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"server {base} exited with {proc.returncode}; see {log}")
                try:
                    if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > end:
                    raise RuntimeError(f"server {base} did not answer in {timeout:.0f} s; "
                                       f"see {log}")
                time.sleep(0.5)

    def log_errors(self) -> int:
        """Tracebacks and ERROR lines in the processes' logs."""
        n = 0
        for log in self.logs:
            text = log.read_text(errors="replace") if log.exists() else ""
            n += text.count("Traceback (most recent call last)")
            n += sum(1 for line in text.splitlines() if " ERROR " in line)
        return n

    def stop(self) -> None:
        """Stop every process this run started (by its own handle), then make sure."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(15)


def run_crowds(senders, answerers, timeout: float):
    """Run two crowds of client threads at once and time them: ``senders`` (callables taking
    the stop event) until they are all done, then ``answerers`` (callables taking the
    senders-done and stop events) until they finish too; everything stops after ``timeout``
    seconds. Returns (seconds until the last sender, seconds in all, timed out)."""
    stop, done = threading.Event(), threading.Event()
    timer = threading.Timer(timeout, stop.set)
    timer.daemon = True
    timer.start()
    st = [threading.Thread(target=f, args=(stop,)) for f in senders]
    at = [threading.Thread(target=f, args=(done, stop)) for f in answerers]
    start = time.perf_counter()
    for t in st + at:
        t.start()
    for t in st:
        t.join()
    send_secs = time.perf_counter() - start
    done.set()
    for t in at:
        t.join()
    total_secs = time.perf_counter() - start
    timed_out = stop.is_set()
    stop.set()
    timer.cancel()
    return send_secs, total_secs, timed_out


def run_clients(bases, points, planners, args):
    """Contributors and planners at once, each client's requests round-robin over ``bases``.
    Returns (stats, seconds until the last submission, seconds in all, timed out)."""
    per = [[] for _ in range(args.contributors)]
    for i, p in enumerate(points):
        per[i % args.contributors].append((i, p))
    stats = Stats()
    senders = [functools.partial(contributor, RoundRobin(bases, k), k, per[k], stats)
               for k in range(args.contributors)]
    answerers = [functools.partial(planner, RoundRobin(bases, i), p, stats)
                 for i, p in enumerate(planners)]
    return (stats, *run_crowds(senders, answerers, args.timeout))


def wait_for_refresh(store, args, in_process: bool, timeout: float = 300.0) -> None:
    """Until the gap analysis has caught up with the approvals: this process's refresher,
    or (server processes) a stored run of the store's current data version."""
    if args.refresh != "background":
        return
    if in_process:
        from assetmap.community import refresh
        refresh.refresher(store).wait(timeout)
        return
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        run = store.latest_run()
        if run and run["data_version"] >= store.data_version():
            return
        time.sleep(1.0)
    print(f"(analysis refresh still behind after {timeout:.0f} s)", flush=True)


def verify(store, stats) -> dict:
    """Every submission stored exactly once: the figures the report prints."""
    from sqlalchemy import func, select

    from assetmap.store import asset_versions
    subs = store.list_submissions(statuses=None)
    by_hash = Counter(s["token_hash"] for s in subs)
    names = Counter(s["data"]["asset"]["name"] for s in subs)
    all_assets = store.read_assets(statuses=None, with_providers=False)
    asset_names = Counter(all_assets["name"])
    with store.engine.connect() as c:
        first_versions = c.execute(select(func.count()).select_from(asset_versions)
                                   .where(asset_versions.c.action == "submitted")).scalar()
    return {
        "subs": len(subs),
        "missing": [t for t in stats.tokens if by_hash.get(tokens.token_hash(t), 0) != 1],
        "name_mismatch": [t for t, n in stats.tokens.items() if names.get(n, 0) != 1
                          or asset_names.get(n, 0) != 1],
        "extra": len(subs) - len(stats.tokens),
        "first_versions": first_versions,
        "approved_now": int((store.read_assets(statuses=("approved",), with_providers=False)
                             ["name"].str.startswith("Load ")).sum()),
        "pending_now": store.count_submissions().get("pending", 0),
    }


def report(args, stats, v, secs, runs, servers) -> bool:
    """Print the figures; True if every submission was stored exactly once, no 5xx."""
    submit_secs, total_secs, timed_out = secs
    server5xx = sum(n for (_k, code), n in stats.status.items() if code >= 500)
    print("\n=== AssetMap contribution load test (loopback) ===")
    print(f"contributors {args.contributors}, planners {args.planners}, waitress threads "
          f"{args.threads}, analysis refresh {args.refresh}")
    if args.db or args.processes > 1:
        print(f"store / servers          {servers['store']}; {args.processes} server "
              f"process(es), requests round-robin")
    print(f"submissions sent OK      {len(stats.tokens)} of {args.total} in {submit_secs:.1f} s "
          f"({len(stats.tokens) / submit_secs:.1f}/s)")
    print(f"submit latency ms        p50 {pct(stats.submit_ms, 50):.0f}  p95 "
          f"{pct(stats.submit_ms, 95):.0f}  max {max(stats.submit_ms or [0]):.0f}")
    print(f"approvals                {stats.approved} (planner conflicts refused: "
          f"{stats.conflicts}); approve latency ms p50 {pct(stats.approve_ms, 50):.0f} p95 "
          f"{pct(stats.approve_ms, 95):.0f}")
    print(f"queue page ms            p50 {pct(stats.queue_ms, 50):.0f}  p95 "
          f"{pct(stats.queue_ms, 95):.0f}  ({len(stats.queue_ms)} loads)")
    print(f"stored submissions       {v['subs']} (extra: {v['extra']}); first versions "
          f"{v['first_versions']}")
    once = len(stats.tokens) - len(v["missing"]) - len(v["name_mismatch"])
    print(f"stored exactly once      {once} "
          f"of {len(stats.tokens)}; lost {len(v['missing'])}; duplicated/mismatched "
          f"{len(v['name_mismatch'])}")
    print(f"approved now / pending   {v['approved_now']} / {v['pending_now']}")
    print("HTTP statuses            " + ", ".join(f"{k} {c}: {n}" for (k, c), n in
                                                  sorted(stats.status.items())))
    print(f"server errors (5xx)      {server5xx}")
    if servers["log_errors"] is not None:
        print(f"server log errors        {servers['log_errors']} (logs in {servers['logdir']})")
    before, after = runs
    print(f"analysis runs            before {before['id'] if before else None}, "
          f"after {after['id'] if after else None}")
    print(f"wall time                {total_secs:.1f} s{' (TIMED OUT)' if timed_out else ''}")
    ok = (len(stats.tokens) == args.total and not v["missing"] and not v["name_mismatch"]
          and v["extra"] == 0 and server5xx == 0 and v["first_versions"] == args.total
          and not stats.errors and not timed_out)
    if stats.errors:
        print("errors:", *stats.errors[:10], sep="\n  ")
    print("RESULT", "PASS" if ok else "FAIL")
    return ok


def _stop_on_sigterm(*_):
    raise SystemExit(143)      # so ``finally`` stops the server processes


def main(argv=None):
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="assetmap-load-"))
    t0 = time.perf_counter()
    store = build_store(args.db or f"sqlite:///{tmp / 'load.sqlite'}", args.grid)
    planners = [f"planner{i}" for i in range(args.planners)]
    for p in planners:
        store.add_user(p, "planner", accounts.hash_password(PLANNER_PASSWORD))
    approved_before = len(store.read_assets())
    runs_before = store.latest_run()
    print(f"store: {store.counts()['areas']} areas, {approved_before} approved assets "
          f"(built in {time.perf_counter() - t0:.1f} s)", flush=True)
    config = app_config(args, store.url, tmp / "instance", uuid.uuid4().hex)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    servers = None
    try:
        if args.processes == 1:
            servers = InProcessServer(config, args)
        else:
            servers = ServerProcesses(config, args, tmp)
            print(f"starting {args.processes} server processes (logs in {tmp}) ...", flush=True)
            servers.wait_ready(args.start_timeout)
            print("servers up: " + ", ".join(servers.bases), flush=True)
        points = sample_points(store, args.total)
        stats, *secs = run_clients(servers.bases, points, planners, args)
        v = verify(store, stats)
        wait_for_refresh(store, args, in_process=args.processes == 1)
        runs = (runs_before, store.latest_run())
        ok = report(args, stats, v, secs, runs,
                    {"store": store.engine.url.render_as_string(hide_password=True),
                     "log_errors": servers.log_errors(), "logdir": tmp})
    finally:
        if servers is not None:
            servers.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
