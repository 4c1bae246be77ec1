"""Users and saved outreach plans (assetmap/store/accounts.py), on SQLite and PostgreSQL +
PostGIS."""
from __future__ import annotations

import pytest

from assetmap.errors import InputError, NotFound

from storehelp import any_store  # noqa: F401 (fixture)


def test_add_user_refuses_a_taken_name(any_store):
    uid = any_store.add_user("alice", "planner", "hash")
    assert any_store.get_user("alice")["id"] == uid
    with pytest.raises(InputError):
        any_store.add_user("alice", "planner", "hash")


def test_update_and_list_users(any_store):
    uid = any_store.add_user("alice", "planner", "h1")
    other = any_store.add_user("bob", "contributor", "h2")
    with pytest.raises(InputError) as e:
        any_store.add_user("carol", "admiral", "h")
    assert e.value.field == "role"
    any_store.update_user(uid, role="coordinator")
    any_store.update_user(uid, active=False)
    any_store.update_user(uid, password_hash="h9")
    any_store.update_user(uid)                                  # nothing to change
    u = any_store.get_user(user_id=uid)
    assert (u["name"], u["role"], u["active"], u["password_hash"]) == \
        ("alice", "coordinator", False, "h9")
    assert any_store.get_user("bob")["active"] is True
    assert any_store.get_user("nobody") is None and any_store.get_user(user_id=999) is None
    with pytest.raises(InputError):
        any_store.update_user(uid, role="admiral")
    with pytest.raises(NotFound):
        any_store.update_user(999, active=True)
    users = any_store.list_users()
    assert list(users["id"]) == [uid, other] and list(users["name"]) == ["alice", "bob"]
    assert "password_hash" not in users.columns
    assert [bool(x) for x in users["active"]] == [False, True]
    # ids as they come out of a data frame (numpy integers) work too
    any_store.update_user(users["id"].iloc[0], active=True)
    assert any_store.get_user(user_id=uid)["active"] is True
    assert any_store.counts()["users"] == 2


def test_outreach_plans_round_trip(any_store):
    v0 = any_store.data_version()
    plan = {"run_id": 3, "data_version": 7, "params": {"patch": "wards", "ids": ["E05990001"]},
            "areas": [{"code": "E01990000", "score": 1.5, "name": "Testford <b>&</b> 'A'"}],
            "route": None}
    pid = any_store.save_outreach_plan("Ferry Fields round", plan, created_by="cora")
    pid2 = any_store.save_outreach_plan("", {"params": {}}, created_by=None)
    assert any_store.data_version() == v0                       # plans are not data
    got = any_store.get_outreach_plan(pid)
    assert got["plan"] == plan and got["params"] == plan["params"]
    assert (got["name"], got["created_by"], got["run_id"], got["data_version"]) == \
        ("Ferry Fields round", "cora", 3, 7)
    assert any_store.get_outreach_plan(str(pid2))["name"] == "Outreach plan"
    listed = any_store.list_outreach_plans()
    assert list(listed["id"]) == [pid2, pid]                    # newest first
    assert list(listed.columns) == ["id", "name", "created_at", "created_by", "run_id",
                                    "data_version"]
    any_store.delete_outreach_plan(pid2)
    with pytest.raises(NotFound):
        any_store.get_outreach_plan(pid2)
    assert list(any_store.list_outreach_plans()["id"]) == [pid]
    any_store.delete_outreach_plan(pid2)                        # already gone: no error
