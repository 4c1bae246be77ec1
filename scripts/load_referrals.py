#!/usr/bin/env python
"""Load test of referrals on loopback (bounded; issue 11).

50 concurrent referrers sign in and send 1,000 referrals in total through the real form
(CSRF token, the form's one-time request key, a case reference each) to providers that, at
the same time, answer them through their private links (accept, or decline with a reason:
"no capacity" about 40% of declines) and now and then confirm their vacancies; every tenth
referral its referrer tries to withdraw (refused when the provider answered first). Then
the store is checked:

* every referral sent is stored exactly once (one row per case reference and request key;
  a request retried after a dropped connection creates nothing new);
* every status change is kept: each referral's events form one unbroken chain from "sent" to
  its status, one event per change the clients were told succeeded, its version = events;
* no server error (5xx; with ``--processes N`` also no traceback in the servers' logs).

    .venv/bin/python scripts/load_referrals.py [--referrers 50] [--total 1000]
        [--providers 12] [--threads 16] [--timeout 900] [--db URL] [--processes N]

The server is AssetMap's own app under waitress on 127.0.0.1 on a fresh SQLite store with
the demo borough (``--grid``: a small built-in grid with synthetic providers), as in
``scripts/load_contribute.py`` (whose store, server and round-robin helpers this reuses;
``--db`` DROPS EVERY TABLE of that store first).
"""
from __future__ import annotations

import argparse
import functools
import random
import re
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from load_contribute import (  # noqa: E402
    TOKEN_RE,
    ClientStats,
    InProcessServer,
    RoundRobin,
    ServerProcesses,
    build_store,
    pct,
    run_crowds,
)

from assetmap import accounts  # noqa: E402
from assetmap.community import tokens  # noqa: E402

PASSWORD = "load-test-referrer-pw"
KEY_RE = re.compile(r'name="request_key" value="([^"]+)"')
REASONS = ["no_capacity"] * 4 + ["outside_area"] * 2 + ["wrong_service"] * 2 + ["other"] * 2


class Stats(ClientStats):
    def __init__(self):
        super().__init__(("refer", "answer", "provider page"))
        self.sent: dict[str, dict] = {}       # case_ref -> {"key", "asset_id", "id"}
        self.changes: list[tuple[int, str]] = []   # (referral id, new status) told "done"
        self.conflicts = Counter()
        self.vacancy_updates = 0


def _post(s, url, data, stats, kind, retries=3):
    """POST, retrying a dropped connection with the same data (the request key makes a
    repeated referral create nothing new)."""
    for attempt in range(retries):
        t = time.perf_counter()
        try:
            r = s.post(url, data=data, allow_redirects=False, timeout=120)
        except requests.ConnectionError:
            time.sleep(0.5 * (attempt + 1))
            continue
        stats.record(kind, r, (time.perf_counter() - t) * 1000)
        return r
    raise RuntimeError(f"{kind}: no answer from {url}")


def sign_in(s, url, name):
    r = s.get(url("/login"), timeout=60)
    tok = TOKEN_RE.search(r.text).group(1)
    r = s.post(url("/login"), data={"csrf_token": tok, "name": name, "password": PASSWORD},
               allow_redirects=False, timeout=60)
    assert r.status_code == 302, r.text[:300]


def referrer(url, name, jobs, stats, stop):
    """Send ``jobs`` [(case_ref, asset_id, service_type, client_group, area_code)]."""
    s = requests.Session()
    sign_in(s, url, name)
    for case_ref, aid, st, cg, area in jobs:
        if stop.is_set():
            return
        form = s.get(url(f"/referrals/new?asset={aid}"), timeout=120)
        stats.record("form", form)
        tok, key = TOKEN_RE.search(form.text).group(1), KEY_RE.search(form.text).group(1)
        r = _post(s, url("/referrals"), {"csrf_token": tok, "asset_id": aid, "request_key": key,
                                         "service_type": st, "client_group": cg,
                                         "area_code": area, "case_ref": case_ref,
                                         "notes": "Load test, mornings"}, stats, "refer")
        if r.status_code != 303:
            with stats.lock:
                stats.errors.append(f"refer {r.status_code}: {r.text[:200]}")
            continue
        rid = int(r.headers["Location"].rsplit("/", 1)[1])
        with stats.lock:
            stats.sent[case_ref] = {"key": key, "asset_id": aid, "id": rid}
        if int(case_ref.rsplit("-", 1)[1]) % 10 == 9:      # every tenth referral overall
            withdraw(s, url, rid, stats)


def withdraw(s, url, rid, stats):
    page = s.get(url(f"/referrals/{rid}"), timeout=120)
    v = re.search(r'name="version" value="(\d+)"', page.text)
    tok = TOKEN_RE.search(page.text)
    if not (v and tok and 'value="withdrawn"' in page.text):
        return                                   # answered and not withdrawable any more
    r = _post(s, url(f"/referrals/{rid}/status"), {"csrf_token": tok.group(1),
                                                   "version": v.group(1),
                                                   "status": "withdrawn"}, stats, "withdraw")
    with stats.lock:
        if r.status_code == 303:
            stats.changes.append((rid, "withdrawn"))
        elif r.status_code == 409:
            stats.conflicts["withdraw"] += 1


def _waiting(text: str) -> list[tuple[int, str]]:
    """(referral id, version) of the referrals waiting on a provider's page."""
    part = text.split('id="waiting"', 1)[-1].split("</table>", 1)[0]
    return [(int(rid), v) for rid, v in re.findall(
        r'/referrals/(\d+)" class="inline-form">\s*<input type="hidden" name="csrf_token" '
        r'value="[^"]+"><input type="hidden" name="version" value="(\d+)">\s*'
        r'<input type="hidden" name="status" value="accepted">', part)]


def provider(url, link, stats, seed, referrers_done, stop):
    """Answer everything waiting on the provider's page until the referrers are done."""
    s = requests.Session()
    rng = random.Random(seed)
    answered = 0
    while not stop.is_set():
        finished = referrers_done.is_set()       # before the page: nothing can come after it
        t = time.perf_counter()
        page = s.get(url(link), timeout=120)
        stats.record("provider page", page, (time.perf_counter() - t) * 1000)
        waiting = _waiting(page.text)
        tok = TOKEN_RE.search(page.text).group(1)
        if not waiting:
            if finished:
                return
            time.sleep(0.2)
            continue
        for rid, version in waiting[:10]:
            decline = rng.random() < 0.5
            data = {"csrf_token": tok, "version": version,
                    "status": "declined" if decline else "accepted"}
            if decline:
                data["decline_reason"] = rng.choice(REASONS)
            r = _post(s, url(f"{link}/referrals/{rid}"), data, stats, "answer")
            with stats.lock:
                if r.status_code == 303:
                    stats.changes.append((rid, data["status"]))
                elif r.status_code == 409:
                    stats.conflicts["answer"] += 1
            answered += 1
            if answered % 15 == 0:
                r = _post(s, url(f"{link}/vacancies"), {"csrf_token": tok,
                                                         "vacancies": str(rng.randint(0, 5))},
                          stats, "vacancies")
                with stats.lock:
                    stats.vacancy_updates += r.status_code == 303


def setup(store, args) -> tuple[list[str], list[dict], list[str]]:
    """Referrer accounts, providers with private links, the areas: (names, providers with
    their link path and services, area codes)."""
    names = [f"ref{i:02d}" for i in range(args.referrers)]
    pw = accounts.hash_password(PASSWORD)
    for n in names:
        store.add_user(n, "referrer", pw)
    a = store.read_assets()
    a = a[a["is_provider"]].sort_values("id").head(args.providers)
    provs = []
    for r in a.to_dict("records"):
        token = tokens.new_token()
        store.issue_provider_link(r["id"], tokens.token_hash(token), email=None, by="load test")
        provs.append({"id": r["id"], "link": f"/provider/{token}",
                      "services": r["service_types"].split("|"),
                      "groups": r["client_groups"].split("|")})
    areas = list(store.read_areas()["code"])
    return names, provs, areas


def jobs_for(names, provs, areas, total, seed=11):
    rng = random.Random(seed)
    per: dict[str, list] = {n: [] for n in names}
    for i in range(total):
        p = provs[i % len(provs)]
        n = names[i % len(names)]
        per[n].append((f"LT-{i:05d}", p["id"], rng.choice(p["services"]),
                       rng.choice(p["groups"]), rng.choice(areas)))
    return per


def run_clients(bases, names, provs, per, args):
    """Referrers and answering providers at once: (stats, (send s, total s, timed out))."""
    stats = Stats()
    senders = [functools.partial(referrer, RoundRobin(bases, k), n, per[n], stats)
               for k, n in enumerate(names)]
    answerers = [functools.partial(provider, RoundRobin(bases, i), p["link"], stats, i)
                 for i, p in enumerate(provs)]
    return stats, run_crowds(senders, answerers, args.timeout)


def verify(store, stats) -> dict:
    """What the store holds against what the clients were told."""
    rows = store.list_referrals()
    by_ref = Counter(r["case_ref"] for r in rows)
    by_key = Counter(r["request_key"] for r in rows)
    told = Counter(rid for rid, _ in stats.changes)
    broken, version_off, count_off = [], [], []
    for r in rows:
        hist = store.referral_history(r["id"])
        chain = [(e["from_status"], e["to_status"]) for e in hist]
        ok = chain and chain[0] == (None, "sent") and all(
            chain[i][1] == chain[i + 1][0] for i in range(len(chain) - 1)) \
            and chain[-1][1] == r["status"]
        if not ok:
            broken.append(r["id"])
        if r["version"] != len(hist):
            version_off.append(r["id"])
        if len(hist) - 1 != told.get(r["id"], 0):
            count_off.append(r["id"])
    counts = store.counts()
    return {"stored": len(rows), "events": counts["referral_events"],
            "once": sum(1 for c in stats.sent if by_ref.get(c) == 1
                        and by_key.get(stats.sent[c]["key"]) == 1),
            "lost": [c for c in stats.sent if by_ref.get(c, 0) == 0],
            "duplicated": [c for c, n in by_ref.items() if n > 1],
            "extra": len(rows) - len(stats.sent), "broken": broken,
            "version_off": version_off, "count_off": count_off,
            "statuses": Counter(r["status"] for r in rows),
            "turned_away": sum(1 for r in rows if r["decline_reason"] == "no_capacity")}


def report(args, stats, v, secs, servers) -> bool:
    send_secs, total_secs, timed_out = secs
    server5xx = sum(n for (_k, code), n in stats.status.items() if code >= 500)
    print("\n=== AssetMap referral load test (loopback) ===")
    print(f"referrers {args.referrers}, providers answering {args.providers}, waitress threads "
          f"{args.threads}, server processes {args.processes}")
    print(f"referrals sent OK        {len(stats.sent)} of {args.total} in {send_secs:.1f} s "
          f"({len(stats.sent) / max(send_secs, 1e-9):.1f}/s)")
    for kind in ("refer", "answer", "provider page"):
        xs = stats.ms.get(kind, [])
        print(f"{kind + ' ms':<24} p50 {pct(xs, 50):.0f}  p95 {pct(xs, 95):.0f}  max "
              f"{max(xs or [0]):.0f}  ({len(xs)})")
    print(f"status changes told OK   {len(stats.changes)} "
          f"({Counter(s for _, s in stats.changes)}); conflicts refused "
          f"{dict(stats.conflicts)}; vacancy confirmations {stats.vacancy_updates}")
    print(f"stored referrals         {v['stored']} (extra {v['extra']}); events {v['events']}")
    print(f"stored exactly once      {v['once']} of {len(stats.sent)}; lost {len(v['lost'])}; "
          f"duplicated {len(v['duplicated'])}")
    print(f"status changes kept      chains broken {len(v['broken'])}; versions off "
          f"{len(v['version_off'])}; events vs changes told off {len(v['count_off'])}")
    print(f"final statuses           {dict(v['statuses'])}; turned away (no capacity) "
          f"{v['turned_away']}")
    print("HTTP statuses            " + ", ".join(f"{k} {c}: {n}" for (k, c), n in
                                                  sorted(stats.status.items())))
    print(f"server errors (5xx)      {server5xx}")
    if servers.log_errors() is not None:
        print(f"server log errors        {servers.log_errors()}")
    print(f"wall time                {total_secs:.1f} s{' (TIMED OUT)' if timed_out else ''}")
    ok = (len(stats.sent) == args.total and v["once"] == args.total and not v["lost"]
          and not v["duplicated"] and v["extra"] == 0 and not v["broken"]
          and not v["version_off"] and not v["count_off"] and server5xx == 0
          and not stats.errors and not timed_out and not servers.log_errors())
    if stats.errors:
        print("errors:", *stats.errors[:10], sep="\n  ")
    print("RESULT", "PASS" if ok else "FAIL")
    return ok


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--referrers", type=int, default=50)
    ap.add_argument("--total", type=int, default=1000)
    ap.add_argument("--providers", type=int, default=12, help="providers answering")
    ap.add_argument("--threads", type=int, default=16, help="waitress worker threads")
    ap.add_argument("--grid", action="store_true", help="a small built-in grid, not the demo")
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--db", default=None, help="store URL; ITS TABLES ARE DROPPED AND REBUILT")
    ap.add_argument("--processes", type=int, default=1)
    ap.add_argument("--start-timeout", type=float, default=300.0)
    args = ap.parse_args(argv)
    # the server helpers size their connection limit from these (load_contribute's names)
    args.contributors, args.planners = args.referrers, args.providers
    return args


def _stop_on_sigterm(*_):
    raise SystemExit(143)


def main(argv=None):
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="assetmap-load-referrals-"))
    t0 = time.perf_counter()
    store = build_store(args.db or f"sqlite:///{tmp / 'load.sqlite'}", args.grid)
    if args.grid:
        _grid_providers(store)
    names, provs, areas = setup(store, args)
    print(f"store: {len(areas)} areas, {len(provs)} providers with links, {len(names)} "
          f"referrers (ready in {time.perf_counter() - t0:.1f} s)", flush=True)
    config = {"DATABASE": store.url, "INSTANCE_PATH": str(tmp / "instance"),
              "SECRET_KEY": uuid.uuid4().hex, "ANALYSIS_REFRESH": "off",
              "SUBMISSION_LIMIT": 20}
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    servers = None
    try:
        if args.processes == 1:
            servers = InProcessServer(config, args)
        else:
            servers = ServerProcesses(config, args, tmp)
            servers.wait_ready(args.start_timeout)
        stats, secs = run_clients(servers.bases, names, provs,
                                  jobs_for(names, provs, areas, args.total), args)
        ok = report(args, stats, verify(store, stats), secs, servers)
    finally:
        if servers is not None:
            servers.stop()
    return 0 if ok else 1


def _grid_providers(store) -> None:
    """A dozen approved providers on the built-in grid (it has no assets of its own)."""
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import Point
    areas = store.read_areas(level=None)
    pts = areas.geometry.representative_point().iloc[:12]
    ids = [f"grid-p{i:02d}" for i in range(len(pts))]
    gdf = gpd.GeoDataFrame({"id": ids, "name": [f"Grid provider {i}" for i in range(len(ids))],
                            "category": "micro_provider", "source": "import",
                            "status": "approved"},
                           geometry=[Point(p.x, p.y) for p in pts], crs=4326)
    prov = pd.DataFrame({"asset_id": ids, "service_types": "home_support|befriending",
                         "client_groups": "older_people|dementia", "quality_mark": "none",
                         "cqc_registered": False, "direct_payments": True,
                         "preferred_list": False, "vacancies": 3.0})
    store.write_assets(gdf, prov)


if __name__ == "__main__":
    sys.exit(main())
