"""Accounts (issue 6): argon2 password hashing, sign-in with rate limiting, secure session
cookies, roles, user management in the web app and from the CLI."""
from __future__ import annotations

import json
import time

import pytest

from assetmap import accounts
from assetmap.errors import InputError

from contribhelp import store_of


# --- passwords and limits (no web app) ---------------------------------------------------------
def test_argon2_hash_and_verify():
    h = accounts.hash_password("a fine long password")
    assert h.startswith("$argon2id$")
    assert "a fine long password" not in h
    assert accounts.verify_password(h, "a fine long password")
    assert not accounts.verify_password(h, "a fine long passworD")
    assert not accounts.verify_password(None, "anything")            # unknown user
    assert not accounts.verify_password("not-a-hash", "anything")
    assert accounts.hash_password("same") != accounts.hash_password("same")   # salted
    assert not accounts.needs_rehash(h)


@pytest.mark.parametrize("pw,name", [("short", "x"), ("alice-alice", "alice-alice"),
                                      ("aaaaaaaaaaaa", "x"), ("x" * 300, "y")])
def test_weak_passwords_refused(pw, name):
    with pytest.raises(InputError):
        accounts.check_password_strength(pw, name)


def test_rate_limiter_window():
    lim = accounts.RateLimiter(3, 0.3)
    assert all(lim.hit("k") for _ in range(3))
    assert not lim.hit("k")
    assert lim.blocked("k") > 0
    assert lim.hit("other")
    time.sleep(0.35)
    assert lim.blocked("k") == 0 and lim.hit("k")
    lim.reset("k")
    assert lim.blocked("k") == 0


@pytest.mark.parametrize("target,ok", [("/moderate", True), ("/moderate?x=1", True),
                                       ("//evil.example/", False), ("https://evil.example/", False),
                                       ("/\\evil.example", False), ("", False), (None, False)])
def test_safe_next(target, ok):
    assert (accounts.safe_next(target, "DEFAULT") == target) is ok


# --- sign in -------------------------------------------------------------------------------------
def test_login_sets_a_secure_session_cookie(contrib_app, form_client):
    contrib_app.config["SESSION_COOKIE_SECURE"] = True
    fc = form_client()
    fc.get("/login", base_url="https://localhost")
    # over HTTPS the CSRF check also wants a same-site Referer, as browsers send
    r = fc.post("/login", {"name": "pat", "password": "planner-pass-9183"},
                base_url="https://localhost", headers={"Referer": "https://localhost/login"})
    assert r.status_code == 302 and r.headers["Location"] == "/moderate"
    cookie = [h for h in r.headers.getlist("Set-Cookie") if h.startswith("session=")][0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    assert "Expires=" in cookie                       # a bounded (8 h) lifetime
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_login_logout_and_roles(contrib_app, form_client):
    fc = form_client()
    assert fc.get("/moderate").status_code == 302                    # to the sign-in page
    fc.login("pat")
    assert fc.get("/moderate").status_code == 200
    page = fc.get("/").get_data(as_text=True)
    assert "Sign out" in page and "pat (planner)" in page and 'href="/admin/users"' in page
    r = fc.post("/logout")
    assert r.status_code == 302
    assert fc.get("/moderate").status_code == 302
    assert fc.client.get("/logout").status_code == 405              # logout is a POST


def test_login_redirects_only_within_the_site(form_client):
    fc = form_client()
    fc.get("/login")
    r = fc.post("/login?next=//evil.example/x", {"name": "pat", "password": "planner-pass-9183"})
    assert r.headers["Location"] == "/moderate"
    fc = form_client()
    fc.get("/login?next=/moderate/assets")
    r = fc.post("/login", {"name": "cora", "password": "coord-pass-5521",
                           "next": "/moderate/assets"})
    assert r.headers["Location"] == "/moderate/assets"


def test_wrong_password_and_unknown_user_look_the_same(form_client):
    fc = form_client()
    fc.get("/login")
    r1 = fc.post("/login", {"name": "pat", "password": "wrong-password-1"})
    r2 = fc.post("/login", {"name": "nobody", "password": "wrong-password-1"})
    assert r1.status_code == r2.status_code == 401
    assert "Wrong user name or password" in r1.get_data(as_text=True)
    assert "Wrong user name or password" in r2.get_data(as_text=True)


def test_login_is_rate_limited(contrib_app, form_client):
    limit = contrib_app.config.get("LOGIN_MAX_FAILURES", 5)
    fc = form_client()
    fc.get("/login")
    for _ in range(limit):
        r = fc.post("/login", {"name": "pat", "password": "guess-guess-guess"})
        assert r.status_code == 401
    r = fc.post("/login", {"name": "pat", "password": "planner-pass-9183"})   # even the right one
    assert r.status_code == 429
    assert "Too many failed sign-in attempts" in r.get_data(as_text=True)
    # other users are not locked out by attempts on pat
    assert fc.post("/login", {"name": "cora", "password": "coord-pass-5521"}).status_code == 302


def test_login_rate_limit_per_address(contrib_app, form_client):
    contrib_app.config["LOGIN_MAX_FAILURES_PER_IP"] = 4
    fc = form_client()
    fc.get("/login")
    for i in range(4):
        fc.post("/login", {"name": f"user{i}", "password": "guess-guess-guess"})
    assert fc.post("/login", {"name": "pat", "password": "planner-pass-9183"}).status_code == 429


def test_password_change_signs_out_other_sessions(contrib_app, form_client):
    a, b = form_client("connie"), form_client("connie")
    r = a.post("/account", {"current_password": "contrib-pass-7402",
                            "new_password": "a-new-pass-8812",
                            "confirm_password": "a-new-pass-8812"})
    assert r.status_code == 200 and "has been changed" in r.get_data(as_text=True)
    assert a.get("/my/submissions").status_code == 200      # this session carries on
    assert b.get("/my/submissions").status_code == 302      # the other is signed out
    r = a.post("/account", {"current_password": "wrong", "new_password": "x" * 12,
                            "confirm_password": "x" * 12})
    assert r.status_code == 400


def test_password_change_guesses_are_rate_limited(contrib_app, form_client):
    contrib_app.config["LOGIN_MAX_FAILURES"] = 3
    a = form_client("connie")
    for _ in range(3):
        r = a.post("/account", {"current_password": "wrong-guess", "new_password": "x" * 12,
                                "confirm_password": "x" * 12})
        assert r.status_code == 400
    r = a.post("/account", {"current_password": "contrib-pass-7402",
                            "new_password": "a-new-pass-8812",
                            "confirm_password": "a-new-pass-8812"})
    assert r.status_code == 429 and "Too many" in r.get_data(as_text=True)


def test_deactivated_user_is_signed_out_and_cannot_sign_in(contrib_app, form_client):
    store = store_of(contrib_app)
    cora = form_client("cora")
    assert cora.get("/moderate").status_code == 200
    store.update_user(store.get_user(name="cora")["id"], active=False)
    assert cora.get("/moderate").status_code == 302
    fc = form_client()
    fc.get("/login")
    assert fc.post("/login", {"name": "cora", "password": "coord-pass-5521"}).status_code == 401


# --- user management (planners) -------------------------------------------------------------------
def test_planner_manages_users(contrib_app, form_client):
    store = store_of(contrib_app)
    pat = form_client("pat")
    assert pat.get("/admin/users").status_code == 200
    r = pat.post("/admin/users", {"name": "newbie", "role": "coordinator",
                                  "password": "newbie-pass-123"})
    assert r.status_code == 303
    u = store.get_user(name="newbie")
    assert u["role"] == "coordinator" and u["password_hash"].startswith("$argon2id$")
    r = pat.post("/admin/users", {"name": "weak", "role": "planner", "password": "short"})
    assert r.status_code == 400 and "at least 10 characters" in r.get_data(as_text=True)
    assert pat.post("/admin/users", {"name": "newbie", "role": "planner",
                                     "password": "another-pass-12"}).status_code == 400
    pat.post(f"/admin/users/{u['id']}", {"action": "role", "role": "planner"})
    assert store.get_user(name="newbie")["role"] == "planner"
    pat.post(f"/admin/users/{u['id']}", {"action": "deactivate"})
    assert not store.get_user(name="newbie")["active"]
    me = store.get_user(name="pat")["id"]
    r = pat.post(f"/admin/users/{me}", {"action": "deactivate"})
    assert r.status_code == 400 and store.get_user(name="pat")["active"]
    assert form_client("connie").get("/admin/users").status_code == 403


# --- the CLI --------------------------------------------------------------------------------------
def test_cli_users_add_and_sign_in(runner, contrib_app, form_client, monkeypatch):
    from assetmap.cli import main
    store = store_of(contrib_app)
    db = ["--db", store.url]
    r = runner.invoke(main, db + ["users", "add", "first-planner", "--role", "planner",
                                  "--password-stdin"], input="amber-kettle-pw-1\n")
    assert r.exit_code == 0, r.output
    monkeypatch.setenv("ASSETMAP_PASSWORD", "coordinator-pw-22")
    r = runner.invoke(main, db + ["users", "add", "second", "--role", "coordinator"])
    assert r.exit_code == 0, r.output
    monkeypatch.delenv("ASSETMAP_PASSWORD")
    r = runner.invoke(main, db + ["users", "add", "third", "--role", "planner"],
                      input="prompted-pw-333\nprompted-pw-333\n")
    assert r.exit_code == 0, r.output
    # bad input: exit status 2 with the message on stderr
    r = runner.invoke(main, db + ["users", "add", "x2", "--role", "planner", "--password-stdin"],
                      input="short\n")
    assert r.exit_code == 2 and "at least 10 characters" in r.output
    r = runner.invoke(main, db + ["users", "add", "second", "--role", "planner",
                                  "--password-stdin"], input="coordinator-pw-22\n")
    assert r.exit_code == 2 and "already exists" in r.output
    r = runner.invoke(main, db + ["users", "add", "x3", "--role", "admin", "--password-stdin"],
                      input="long-enough-pw\n")
    assert r.exit_code == 2
    r = runner.invoke(main, db + ["users", "list", "--json"])
    rows = json.loads(r.output)
    assert {"first-planner", "second", "third"} <= {u["name"] for u in rows}
    assert "password_hash" not in r.output
    fc = form_client()
    fc.get("/login")
    assert fc.post("/login", {"name": "first-planner",
                              "password": "amber-kettle-pw-1"}).status_code == 302
    r = runner.invoke(main, db + ["users", "passwd", "first-planner", "--password-stdin"],
                      input="changed-pw-4444\n")
    assert r.exit_code == 0
    r = runner.invoke(main, db + ["users", "deactivate", "second"])
    assert r.exit_code == 0 and not store.get_user(name="second")["active"]
