"""Limits that protect and remember (issue 13, item 6): failed sign-ins counted per (account,
address) pair with growing delays, never a lock anyone can put on an account; a per-address
budget across all accounts; counts kept in the store (across restarts and processes, SQLite
and PostGIS through the same code), pruned when old; client addresses taken from
X-Forwarded-For only behind the configured number of trusted proxies."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from assetmap import accounts
from assetmap.accounts import limits

from conftest import CONTRIB_USERS, FormClient, _make_app
from contribhelp import inside_point, provider_form, store_of
from storehelp import any_store  # noqa: F401 (fixture)

ATTACKER, PLANNER_DESK = "198.51.100.7", "203.0.113.20"
PAT_PW = CONTRIB_USERS["pat"][1]


class Clock:
    """A clock the limits read instead of the real one (``limits.now``): it stands still
    (an attack as fast as can be) unless a test moves it."""

    def __init__(self):
        self.t = time.time()

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(limits, "now", c)
    return c


def sign_in(fc: FormClient, name: str, password: str, addr: str, **headers):
    fc.get("/login", environ_base={"REMOTE_ADDR": addr}, headers=headers)
    return fc.post("/login", {"name": name, "password": password},
                   environ_base={"REMOTE_ADDR": addr}, headers=headers)


# --- the attack --------------------------------------------------------------------------------
def test_hundred_wrong_guesses_from_one_address_do_not_keep_the_planner_out(contrib_app,
                                                                             clock):
    attacker, planner = FormClient(contrib_app), FormClient(contrib_app)
    statuses = []
    for i in range(100):
        r = sign_in(attacker, "pat", f"guess-{i}-wrong", ATTACKER)
        statuses.append(r.status_code)
        if r.status_code == 429:
            assert int(r.headers["Retry-After"]) >= 1
        if i == 50:                               # mid-attack, from the planner's desk
            assert sign_in(planner, "pat", PAT_PW, PLANNER_DESK).status_code == 302
            assert planner.get("/moderate").status_code == 200
    free = contrib_app.config.get("LOGIN_MAX_FAILURES", 5)
    assert statuses[:free] == [401] * free        # only these were tried against the hash
    assert set(statuses[free:]) == {429}
    # after the attack: the planner signs in again from their address; the attacking address
    # waits even with the right password (it cannot tell a right guess from a wrong one)
    assert sign_in(FormClient(contrib_app), "pat", PAT_PW, PLANNER_DESK).status_code == 302
    r = sign_in(FormClient(contrib_app), "pat", PAT_PW, ATTACKER)
    assert r.status_code == 429 and "Too many failed sign-in attempts" in r.get_data(as_text=True)
    # other accounts from the attacking address are not delayed by guesses at pat
    assert sign_in(FormClient(contrib_app), "cora", CONTRIB_USERS["cora"][1],
                   ATTACKER).status_code == 302


def test_delays_double_up_to_the_cap_and_then_expire(contrib_app, clock):
    contrib_app.config.update(LOGIN_MAX_FAILURES=3, LOGIN_FIRST_DELAY_S=2.0,
                              LOGIN_MAX_DELAY_S=60.0, LOGIN_MAX_FAILURES_PER_IP=1000)
    fc = FormClient(contrib_app)
    for _ in range(3):
        assert sign_in(fc, "pat", "wrong-guess-here", ATTACKER).status_code == 401
    waits = []
    for _ in range(7):              # a patient attacker: waits out each delay, guesses again
        r = sign_in(fc, "pat", "wrong-guess-here", ATTACKER)
        assert r.status_code == 429
        wait = int(r.headers["Retry-After"])
        waits.append(wait)
        clock.t += wait - 0.5
        assert sign_in(fc, "pat", "wrong-guess-here", ATTACKER).status_code == 429  # not yet
        clock.t += 0.5
        assert sign_in(fc, "pat", "wrong-guess-here", ATTACKER).status_code == 401
    assert waits == [2, 4, 8, 16, 32, 60, 60]
    # the right password once the delay is over: signed in, and the pair's count is cleared
    clock.t += 60
    assert sign_in(fc, "pat", PAT_PW, ATTACKER).status_code == 302
    assert store_of(contrib_app).login_failures_of("pat", ATTACKER, since=0) == (0, None)


def test_per_address_budget_across_accounts_stays(contrib_app, clock):
    contrib_app.config["LOGIN_MAX_FAILURES_PER_IP"] = 6
    fc = FormClient(contrib_app)
    for i in range(6):                     # one guess each at many names: no pair is delayed
        assert sign_in(fc, f"user{i}", "guess-guess-guess", ATTACKER).status_code == 401
    assert sign_in(fc, "pat", PAT_PW, ATTACKER).status_code == 429
    assert sign_in(FormClient(contrib_app), "pat", PAT_PW, PLANNER_DESK).status_code == 302


# --- remembered ---------------------------------------------------------------------------------
def test_failed_sign_ins_survive_a_restart_and_other_processes(contrib_app, tmp_path, clock):
    db = contrib_app.config["DATABASE"]
    fc = FormClient(contrib_app)
    for _ in range(5):
        assert sign_in(fc, "pat", "wrong-guess-here", ATTACKER).status_code == 401
    store_of(contrib_app).dispose()
    # a new app and store on the same file: the server restarted
    again = _make_app(db, tmp_path / "restarted")
    assert sign_in(FormClient(again), "pat", PAT_PW, ATTACKER).status_code == 429
    assert sign_in(FormClient(again), "pat", PAT_PW, PLANNER_DESK).status_code == 302
    # another process counts failures for another pair; this one sees them
    code = ("import sys; from assetmap import accounts; from assetmap.store import Store; "
            "t = accounts.LoginThrottle(Store(sys.argv[1])); "
            "[t.failed('cora', '192.0.2.9') for _ in range(5)]")
    subprocess.run([sys.executable, "-c", code, db], check=True, timeout=120)
    assert sign_in(FormClient(again), "cora", CONTRIB_USERS["cora"][1],
                   "192.0.2.9").status_code == 429


def test_submission_limit_survives_a_restart(contrib_app, tmp_path):
    contrib_app.config["SUBMISSION_LIMIT"] = 2
    store = store_of(contrib_app)
    lon, lat = inside_point(store)
    fc, addr = FormClient(contrib_app), {"REMOTE_ADDR": ATTACKER}
    fc.get("/contribute", environ_base=addr)
    for i in range(2):
        r = fc.post("/contribute", provider_form(lon, lat, name=f"Group {i}"), environ_base=addr)
        assert r.status_code == 303
    again = _make_app(contrib_app.config["DATABASE"], tmp_path / "restarted", SUBMISSION_LIMIT=2)
    fc2 = FormClient(again)
    fc2.get("/contribute", environ_base=addr)
    r = fc2.post("/contribute", provider_form(lon, lat, name="Group 3"), environ_base=addr)
    assert r.status_code == 429
    r = fc2.post("/contribute", provider_form(lon, lat, name="Group 4"),
                 environ_base={"REMOTE_ADDR": PLANNER_DESK})
    assert r.status_code == 303


def test_limits_in_the_store_count_prune_and_forget(any_store):
    """The store's counters on SQLite and PostGIS, with times passed in."""
    s, w = any_store, {"window": 10.0, "limit": 2}
    v0 = s.data_version()
    assert s.rate_hit("submit", "a", now=100.0, **w) == 0
    assert s.rate_hit("submit", "a", now=101.0, **w) == 0
    assert s.rate_hit("submit", "a", now=102.0, **w) == pytest.approx(8.0)  # not counted
    assert s.rate_wait("submit", "a", now=105.0, **w) == pytest.approx(5.0)
    assert s.rate_hit("submit", "b", now=102.0, **w) == 0                   # per key
    assert s.rate_wait("submit", "a", now=110.5, **w) == 0
    assert s.limit_counts()["rate_events"] == 3
    assert s.rate_hit("submit", "a", now=200.0, **w) == 0                   # prunes the rest
    assert s.limit_counts()["rate_events"] == 1
    s.rate_reset("submit", "a")
    assert s.limit_counts()["rate_events"] == 0

    assert [s.record_login_failure("Pat", "10.0.0.1", now=t, forget_before=0) for t in
            (1.0, 2.0, 3.0)] == [1, 2, 3]
    assert s.login_failures_of("Pat", "10.0.0.1", since=0) == (3, 3.0)
    assert s.login_failures_of("Pat", "10.0.0.2", since=0) == (0, None)
    assert s.login_failures_of("Pat", "10.0.0.1", since=5.0) == (0, None)   # forgotten
    # a run that ended before forget_before starts again; forgotten pairs are pruned
    assert s.record_login_failure("Pat", "10.0.0.1", now=100.0, forget_before=50.0) == 1
    s.record_login_failure("other", "10.0.0.9", now=101.0, forget_before=50.0)
    assert s.prune_limits(before=100.5) == 1
    assert s.login_failures_of("other", "10.0.0.9", since=0) == (1, 101.0)
    s.clear_login_failures("other", "10.0.0.9")
    assert s.limit_counts()["login_failures"] == 0
    assert s.data_version() == v0                      # limits are not data


def test_throttle_and_limiter_have_the_same_policy_in_memory_and_in_the_store(any_store, clock):
    for backend in (accounts.MemoryLimits(), any_store):
        t = accounts.LoginThrottle(backend, free=2, first=2.0, cap=5.0, memory=100.0)
        t.failed("Pat", "a")
        assert t.wait("pat", "a") == 0
        t.failed("pat", "a")
        assert t.wait("PAT", "a") == pytest.approx(2.0)
        assert t.wait("pat", "b") == 0
        t.failed("pat", "a"), t.failed("pat", "a")
        assert t.wait("pat", "a") == pytest.approx(5.0)              # capped
        clock.t += 101
        assert t.wait("pat", "a") == 0                                # forgotten
        t.succeeded("pat", "a")
        lim = accounts.RateLimiter(2, 10, backend=backend, bucket="x")
        assert lim.hit("k") and lim.hit("k") and not lim.hit("k")
        clock.t += 10.5
        assert lim.blocked("k") == 0


# --- behind a reverse proxy ------------------------------------------------------------------------
@pytest.mark.parametrize("hops", [0, 1])
def test_forwarded_addresses_count_only_behind_trusted_proxies(contrib_app, tmp_path, clock,
                                                               hops):
    app = _make_app(contrib_app.config["DATABASE"], tmp_path / f"p{hops}", TRUSTED_PROXIES=hops)
    proxy = "10.0.0.2"
    for i in range(5):       # the attacker also forges a first X-Forwarded-For entry each time
        r = sign_in(FormClient(app), "pat", "wrong-guess-here", proxy,
                    **{"X-Forwarded-For": f"192.0.2.{i}, {ATTACKER}"})
        assert r.status_code == 401
    attacker = sign_in(FormClient(app), "pat", PAT_PW, proxy,
                       **{"X-Forwarded-For": f"192.0.2.99, {ATTACKER}"})
    planner = sign_in(FormClient(app), "pat", PAT_PW, proxy,
                      **{"X-Forwarded-For": PLANNER_DESK})
    assert attacker.status_code == 429               # forged entries never spread the count
    store = store_of(app)
    if hops:      # the address the proxy saw: the attacker's pair waits, the planner's does not
        assert planner.status_code == 302
        assert store.login_failures_of("pat", ATTACKER, since=0)[0] == 5
    else:         # headers ignored: everything comes from the proxy's own address
        assert planner.status_code == 429
        assert store.login_failures_of("pat", proxy, since=0)[0] == 5
