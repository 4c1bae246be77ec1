"""Sessions that end (issue 13, item 7): a per-user session version in the session stamp,
checked on every request, so a copied cookie is refused after sign-out, a password change,
a role change or deactivation; an idle timeout and a whole-life bound on a session."""
from __future__ import annotations

import sqlite3
import time

import pytest
from conftest import CONTRIB_USERS, FormClient

from assetmap import accounts
from assetmap.accounts import sessions
from assetmap.store import Store

from contribhelp import store_of
from storehelp import any_store  # noqa: F401 (fixture)


def copy_of(fc: FormClient):
    """Another browser holding a copy of ``fc``'s session cookie (as a thief would)."""
    thief = fc.app.test_client()
    thief.set_cookie("session", fc.client.get_cookie("session").value)
    return thief


def signed_in(client, path="/my/submissions") -> bool:
    r = client.get(path)
    assert r.status_code in (200, 302)
    return r.status_code == 200


def test_copied_cookie_is_refused_after_sign_out(form_client):
    connie = form_client("connie")
    old_cookie = connie.client.get_cookie("session").value
    thief = copy_of(connie)
    assert signed_in(thief)                              # a copy works while signed in
    assert connie.post("/logout").status_code == 302
    assert not signed_in(connie.client)
    assert not signed_in(thief)                          # ... and not after sign-out
    replay = connie.app.test_client()                    # the exact old cookie, replayed
    replay.set_cookie("session", old_cookie)
    assert not signed_in(replay)
    # signing in again gives a new session; the old copies stay dead
    connie.login("connie")
    assert signed_in(connie.client) and not signed_in(replay)


def test_copied_cookie_is_refused_after_a_password_change(form_client):
    connie = form_client("connie")
    thief = copy_of(connie)
    r = connie.post("/account", {"current_password": CONTRIB_USERS["connie"][1],
                                 "new_password": "heron-lantern-7731",
                                 "confirm_password": "heron-lantern-7731"})
    assert r.status_code == 200 and "has been changed" in r.get_data(as_text=True)
    assert signed_in(connie.client)                      # the changing session carries on
    assert not signed_in(thief)


@pytest.mark.parametrize("change", ["role", "deactivate", "password"])
def test_planner_changes_void_the_users_sessions(contrib_app, form_client, change):
    store = store_of(contrib_app)
    cora = form_client("cora")
    thief = copy_of(cora)
    uid = store.get_user(name="cora")["id"]
    form = {"role": {"action": "role", "role": "contributor"}, "deactivate": {
        "action": "deactivate"}, "password": {"action": "password",
                                             "password": "otter-biscuit-9042"}}[change]
    assert form_client("pat").post(f"/admin/users/{uid}", form).status_code == 303
    assert not signed_in(cora.client, "/account") and not signed_in(thief, "/account")


def test_cli_password_change_voids_sessions(contrib_app, form_client, runner):
    from assetmap.cli import main
    connie = form_client("connie")
    r = runner.invoke(main, ["--db", contrib_app.config["DATABASE"], "users", "passwd",
                             "connie", "--password-stdin"], input="walrus-meadow-5518\n")
    assert r.exit_code == 0, r.output
    assert not signed_in(connie.client)


class Clock:
    def __init__(self):
        self.t = time.time()

    def __call__(self):
        return self.t


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(sessions, "now", c)
    return c


def test_idle_sessions_end(contrib_app, form_client, clock):
    contrib_app.config["SESSION_IDLE_MINUTES"] = 30
    connie = form_client("connie")
    for _ in range(6):                       # used every 29 minutes: stays signed in (3 h)
        clock.t += 29 * 60
        assert signed_in(connie.client)
    thief = copy_of(connie)
    clock.t += 31 * 60                       # then left alone for 31 minutes
    assert not signed_in(connie.client)
    assert not signed_in(thief)
    connie.login("connie")                   # signing in again works as usual
    assert signed_in(connie.client)


def test_a_session_has_a_whole_life(contrib_app, form_client, clock):
    contrib_app.config["SESSION_IDLE_MINUTES"] = 60
    connie = form_client("connie")
    hours = contrib_app.config.get("SESSION_HOURS", 8)
    for _ in range(int(hours * 2) - 1):      # busy all day, every 30 minutes
        clock.t += 30 * 60
        assert signed_in(connie.client)
    clock.t += 31 * 60
    assert not signed_in(connie.client)


def test_why_void_names_the_reason():
    user = {"id": 3, "active": True, "password_hash": "h", "session_version": 4}
    data = accounts.new_session(user, 1000.0)
    kw = {"idle_s": 60.0, "lifetime_s": 600.0}
    assert accounts.why_void(data, user, 1030.0, **kw) is None
    assert "idle" in accounts.why_void(data, user, 1061.0, **kw)
    assert "long ago" in accounts.why_void(dict(data, seen=1590), user, 1601.0, **kw)
    assert "signed out" in accounts.why_void(data, dict(user, session_version=5), 1001.0, **kw)
    assert "signed out" in accounts.why_void(data, dict(user, password_hash="h2"), 1001.0, **kw)
    assert accounts.why_void(data, dict(user, active=False), 1001.0, **kw)
    assert accounts.why_void(data, None, 1001.0, **kw)
    assert accounts.why_void({"uid": 3, "stamp": data["stamp"]}, user, 1001.0, **kw)
    assert accounts.session_stamp("h", 1) != accounts.session_stamp("h", 2)


# --- the store's session versions -----------------------------------------------------------------
def test_session_version_moves_on_every_change(any_store):
    uid = any_store.add_user("alice", "planner", "h1")
    version = lambda: any_store.get_user(user_id=uid)["session_version"]  # noqa: E731
    assert version() == 0
    any_store.end_sessions(uid)
    assert version() == 1
    for change in ({"role": "coordinator"}, {"active": False}, {"active": True},
                   {"password_hash": "h2"}):
        before = version()
        any_store.update_user(uid, **change)
        assert version() == before + 1
    assert "session_version" in any_store.list_users().columns


def test_an_older_store_gains_the_session_version(tmp_path):
    path = tmp_path / "old.sqlite"
    s = Store(f"sqlite:///{path}")
    s.add_user("alice", "planner", "h1")
    s.dispose()
    con = sqlite3.connect(path)
    # as stores were before issue 13 (schema 1, before migrations: no alembic_version, no
    # provider reach columns); opening it now runs the migrations (issue 14)
    con.executescript("ALTER TABLE users DROP COLUMN session_version; DROP TABLE alembic_version; "
                      "UPDATE meta SET value = '1' WHERE key = 'schema'; " + "".join(
                          f"ALTER TABLE providers DROP COLUMN {c}; " for c in (
                              "reach", "area_served", "area_served_geojson", "capacity_places",
                              "vacancies_confirmed",
                              "quality_mark_by", "cqc_rating", "community_tags"))   # schema 7
                      + "ALTER TABLE areas DROP COLUMN approximate_geometry; "    # schema 4
                      "ALTER TABLE assets DROP COLUMN footprint; "
                      "ALTER TABLE assets DROP COLUMN oruk_extra; ")              # schema 5
    con.close()
    again = Store(f"sqlite:///{path}")
    user = again.get_user(name="alice")
    assert user["session_version"] == 0 and user["password_hash"] == "h1"
    again.end_sessions(user["id"])
    assert again.get_user(name="alice")["session_version"] == 1
