"""Password strength (issue 13, item 9): a minimum length and a minimum zxcvbn score
(settings), with zxcvbn's advice in the message, wherever a password is set: the admin
page (new users and resets), ``assetmap users add`` / ``passwd`` and the /account page."""
from __future__ import annotations

import hashlib
import time

import pytest

from assetmap import accounts, settings
from assetmap.errors import InputError

from conftest import CONTRIB_USERS
from contribhelp import store_of

WEAK = ["password12", "Password1!", "qwertyuiop", "1234567890", "iloveyou12", "abcabcabcabc",
        "Ashbrook2024"]
STRONG = ["heron-lantern-7731", "correct horse battery staple", "Tq8#vL2!mZr9",
          "walrus meadow kettle"]


@pytest.mark.parametrize("pw", WEAK)
def test_guessable_passwords_are_refused_with_advice(pw):
    with pytest.raises(InputError) as e:
        accounts.check_password_strength(pw, "someone")
    assert e.value.field == "password"
    assert e.value.message.startswith("the password is too easy to guess: ")
    assert "add another word or two" in e.value.message.lower()


@pytest.mark.parametrize("pw", STRONG)
def test_hard_to_guess_passwords_are_accepted(pw):
    accounts.check_password_strength(pw, "someone")
    assert accounts.guessability(pw)[0] >= settings.PASSWORD_MIN_SCORE


def test_zxcvbn_advice_is_passed_on():
    score, advice = accounts.guessability("qwertyuiop")
    assert score <= 1 and "common password" in advice.lower()
    with pytest.raises(InputError, match="common password"):
        accounts.check_password_strength("qwertyuiop")


def test_the_user_name_counts_as_known():
    accounts.check_password_strength("gardenia-pat-44", "pat")       # fine for pat
    with pytest.raises(InputError, match="too easy to guess"):
        accounts.check_password_strength("margaretholloway1", "margaretholloway")
    with pytest.raises(InputError, match="must not be the user name"):
        accounts.check_password_strength("Some Long Name", "some long name")


def test_length_and_score_are_settings(monkeypatch):
    with pytest.raises(InputError, match="at least 10 characters"):
        accounts.check_password_strength("k7#Rw!2pQ", "x")             # strong but short
    monkeypatch.setattr(settings, "PASSWORD_MIN_LENGTH", 9)
    accounts.check_password_strength("k7#Rw!2pQ", "x")
    monkeypatch.setattr(settings, "PASSWORD_MIN_SCORE", 0)
    accounts.check_password_strength("password12", "x")
    monkeypatch.setattr(settings, "PASSWORD_MIN_SCORE", 4)
    with pytest.raises(InputError, match="too easy to guess"):
        accounts.check_password_strength("changed-pw-4444", "x")      # scores 3


def test_a_long_password_is_judged_quickly():
    t0 = time.perf_counter()
    with pytest.raises(InputError):
        accounts.check_password_strength("a" * 256, "x")
    accounts.check_password_strength("".join(hashlib.sha256(bytes([i])).hexdigest()
                                             for i in range(4)), "x")       # 256 characters
    assert time.perf_counter() - t0 < 5


# --- wherever a password is set ---------------------------------------------------------------------
@pytest.mark.parametrize("pw", ["password12", "Password1!", "qwertyuiop"])
def test_admin_page_refuses_weak_passwords(contrib_app, form_client, pw):
    store = store_of(contrib_app)
    pat = form_client("pat")
    r = pat.post("/admin/users", {"name": "newbie", "role": "coordinator", "password": pw})
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "too easy to guess: add another word or two" in page
    assert store.get_user(name="newbie") is None
    cora = store.get_user(name="cora")
    r = pat.post(f"/admin/users/{cora['id']}", {"action": "password", "password": pw})
    assert r.status_code == 400 and "too easy to guess" in r.get_data(as_text=True)
    assert store.get_user(name="cora")["password_hash"] == cora["password_hash"]
    r = pat.post("/admin/users", {"name": "newbie", "role": "coordinator",
                                  "password": "heron-lantern-7731"})
    assert r.status_code == 303 and store.get_user(name="newbie") is not None


@pytest.mark.parametrize("pw", ["password12", "Password1!", "qwertyuiop"])
def test_account_page_refuses_weak_passwords(contrib_app, form_client, pw):
    store = store_of(contrib_app)
    before = store.get_user(name="connie")["password_hash"]
    connie = form_client("connie")
    r = connie.post("/account", {"current_password": CONTRIB_USERS["connie"][1],
                                 "new_password": pw, "confirm_password": pw})
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "The password is too easy to guess: add another word" in page
    assert store.get_user(name="connie")["password_hash"] == before


@pytest.mark.parametrize("pw", ["password12", "Password1!", "qwertyuiop"])
def test_cli_refuses_weak_passwords(contrib_app, runner, pw):
    from assetmap.cli import main
    db = ["--db", contrib_app.config["DATABASE"]]
    r = runner.invoke(main, db + ["users", "add", "newbie", "--role", "planner",
                                  "--password-stdin"], input=pw + "\n")
    assert r.exit_code == 2 and "too easy to guess: add another word or two" in r.output
    r = runner.invoke(main, db + ["users", "passwd", "cora", "--password-stdin"],
                      input=pw + "\n")
    assert r.exit_code == 2 and "too easy to guess" in r.output
    r = runner.invoke(main, db + ["users", "add", "newbie", "--role", "planner",
                                  "--password-stdin"], input="walrus meadow kettle\n")
    assert r.exit_code == 0, r.output
