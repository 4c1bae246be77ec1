"""The contribution and moderation workflow (assetmap/store/moderation.py), on SQLite and
PostgreSQL + PostGIS. The data a view hands the store is ``Contribution.as_data()`` (see
``storehelp.contribution``)."""
from __future__ import annotations

import pytest
from shapely.geometry import Point

from assetmap.errors import ConflictError, InputError, NotFound

from storehelp import any_store, contribution, make_areas, seeded  # noqa: F401 (fixtures)


def test_new_submission_is_pending_until_approved(seeded):
    store, (lon, lat) = seeded
    v0 = store.data_version()
    data = contribution(lon, lat)
    made = store.create_submission(data, token_hash="a" * 64, submitted_by=None)
    aid, sid = made["asset_id"], made["id"]
    assert isinstance(sid, int) and aid.startswith("community-")
    assert store.data_version() == v0 + 1
    # pending: invisible to public reads, visible to moderators
    assert aid not in set(store.read_assets()["id"])
    assert aid in set(store.read_assets(statuses=("pending",))["id"])
    a = store.get_asset(aid)
    assert (a["status"], a["source"], a["version"]) == ("pending", "community", 1)
    assert a["created_by"] == "community (anonymous)" and a["last_reviewed"] is None
    assert a["service_types"] == "home_support|befriending" and a["hourly_price"] == 18.5
    assert a["geometry"].equals_exact(Point(lon, lat), 1e-9)
    sub = store.get_submission(sid)
    assert (sub["kind"], sub["status"], sub["version"], sub["base_version"]) == \
        ("new", "pending", 1, 1)
    assert (sub["asset_status"], sub["asset_version"], sub["asset_name"],
            sub["asset_category"], sub["asset_home_based"]) == \
        ("pending", 1, "Ashbrook Home Helpers", "micro_provider", False)
    assert sub["data"] == data and sub["submitted_by"] is None
    assert store.submission_by_token("a" * 64)["id"] == sid
    assert store.count_submissions() == {"pending": 1}

    # a stale submission version or a stale asset version: nothing changes at all
    with pytest.raises(ConflictError):
        store.approve_submission(sid, expected_version=7, expected_asset_version=1,
                                 reviewer="pat")
    with pytest.raises(ConflictError):
        store.approve_submission(sid, expected_version=1, expected_asset_version=7,
                                 reviewer="pat")
    sub = store.get_submission(sid)
    assert (sub["status"], sub["version"], sub["asset_status"], sub["asset_version"]) == \
        ("pending", 1, "pending", 1)

    v = store.approve_submission(sid, expected_version=1, expected_asset_version=1,
                                 reviewer="pat")
    assert v == 2
    sub = store.get_submission(sid)
    assert (sub["status"], sub["version"], sub["reviewed_by"]) == ("approved", 2, "pat")
    assert sub["reviewed_at"] and sub["asset_status"] == "approved"
    a = store.get_asset(aid)
    assert a["status"] == "approved" and a["updated_by"] == "pat" and a["last_reviewed"]
    assert aid in set(store.read_assets()["id"])
    hist = store.asset_history(aid)
    assert list(hist["action"]) == ["submitted", "approved"]
    assert list(hist["version"]) == [1, 2]
    assert list(hist["changed_by"]) == ["community (anonymous)", "pat"]
    # a second planner acting on the same page
    with pytest.raises(ConflictError, match="already approved by pat"):
        store.approve_submission(sid, expected_version=1, expected_asset_version=1,
                                 reviewer="sam")
    assert store.count_submissions() == {"approved": 1}


def test_reject_with_reason_then_amend_then_approve(seeded):
    store, (lon, lat) = seeded
    made = store.create_submission(contribution(lon, lat, provider=False), token_hash="b" * 64,
                                   submitted_by="cora")
    sid, aid = made["id"], made["asset_id"]
    with pytest.raises(InputError) as e:
        store.reject_submission(sid, reason="  ", expected_version=1,
                                expected_asset_version=1, reviewer="pat")
    assert e.value.field == "reason"
    with pytest.raises(ConflictError):
        store.reject_submission(sid, reason="no", expected_version=2,
                                expected_asset_version=1, reviewer="pat")
    store.reject_submission(sid, reason="Please add opening hours", expected_version=1,
                            expected_asset_version=None, reviewer="pat")
    sub = store.get_submission(sid)
    assert (sub["status"], sub["reason"], sub["version"]) == \
        ("rejected", "Please add opening hours", 2)
    assert store.get_asset(aid)["status"] == "rejected"
    assert aid not in set(store.read_assets(statuses=("approved", "pending"))["id"])
    with pytest.raises(ConflictError):
        store.reject_submission(sid, reason="again", expected_version=2,
                                expected_asset_version=None, reviewer="pat")
    assert [s["id"] for s in store.list_submissions(("rejected",), submitted_by="cora")] == [sid]
    assert store.list_submissions(("rejected",), submitted_by="someone else") == []

    fixed = contribution(lon, lat, provider=False, name="Maybe Group",
                         opening_hours="Fr 10:00-11:00")
    with pytest.raises(ConflictError):             # the contributor's page was stale
        store.amend_submission(sid, fixed, expected_version=1, changed_by="cora")
    out = store.amend_submission(sid, fixed, expected_version=2, changed_by="cora")
    assert out == {"id": sid, "asset_id": aid, "kind": "new"}
    sub = store.get_submission(sid)
    assert (sub["status"], sub["reason"], sub["reviewed_by"], sub["version"]) == \
        ("pending", None, None, 3)
    assert sub["data"] == fixed
    a = store.get_asset(aid)
    assert (a["status"], a["name"], a["opening_hours"], a["version"]) == \
        ("pending", "Maybe Group", "Fr 10:00-11:00", 3)
    assert list(store.asset_history(aid)["action"]) == ["submitted", "rejected", "amended"]
    assert store.approve_submission(sid, expected_version=3, expected_asset_version=3,
                                    reviewer="pat") == 4
    assert store.get_asset(aid)["name"] == "Maybe Group"


def test_amending_an_approved_asset_makes_a_new_proposal(seeded):
    store, (lon, lat) = seeded
    made = store.create_submission(contribution(lon, lat), token_hash="c" * 64,
                                   submitted_by="cora")
    store.approve_submission(made["id"], expected_version=1, expected_asset_version=1,
                             reviewer="pat")
    change = contribution(None, None, name="Ashbrook Helpers")
    out = store.amend_submission(made["id"], change, expected_version=2, changed_by="cora")
    assert out["kind"] == "update" and out["asset_id"] == made["asset_id"]
    assert out["id"] != made["id"]
    # the private link now shows the proposal; the public record is unchanged
    latest = store.submission_by_token("c" * 64)
    assert (latest["id"], latest["kind"], latest["status"], latest["base_version"]) == \
        (out["id"], "update", "pending", 2)
    assert store.get_asset(made["asset_id"])["name"] == "Ashbrook Home Helpers"
    assert [s["id"] for s in store.list_submissions(statuses=None,
                                                    asset_id=made["asset_id"])] == \
        [made["id"], out["id"]]
    assert [s["id"] for s in store.list_submissions(statuses=None, limit=1)] == [made["id"]]
    # a retired asset cannot be changed through the link any more
    store.set_asset_status(made["asset_id"], "retired", expected_version=2, changed_by="pat")
    with pytest.raises(ConflictError, match="retired"):
        store.amend_submission(made["id"], change, expected_version=2, changed_by="cora")
    with pytest.raises(NotFound):
        store.submission_by_token("d" * 64)
    with pytest.raises(NotFound):
        store.get_submission(10_000)


def test_proposed_update_edit_and_approve(seeded):
    store, _ = seeded
    cur = store.get_asset("t-0")                        # a library without a service record
    assert not cur["is_provider"]
    data = contribution(None, None, name="Asset Zero Renamed", category="micro_provider")
    made = store.propose_update("t-0", data, token_hash=None, submitted_by="cora")
    assert made["asset_id"] == "t-0"
    sub = store.get_submission(made["id"])
    assert (sub["kind"], sub["base_version"], sub["asset_status"]) == ("update", 1, "approved")
    assert store.get_asset("t-0")["name"] == cur["name"]        # untouched until approved
    with pytest.raises(NotFound):
        store.propose_update("no-such-asset", data, token_hash=None, submitted_by="cora")

    # a planner corrects the proposal: only the submission changes
    data2 = contribution(None, None, name="Asset Zero (renamed)", category="micro_provider")
    with pytest.raises(ConflictError):
        store.edit_submission(made["id"], data2, expected_version=5, expected_asset_version=1,
                              changed_by="pat")
    store.edit_submission(made["id"], data2, expected_version=1, expected_asset_version=1,
                          changed_by="pat")
    sub = store.get_submission(made["id"])
    assert sub["version"] == 2 and sub["data"] == data2 and sub["asset_version"] == 1

    # the asset moved on meanwhile (someone reviewed it): approving the stale page conflicts
    assert store.mark_reviewed("t-0", expected_version=1, changed_by="sam") == 2
    with pytest.raises(ConflictError, match="by sam"):
        store.approve_submission(made["id"], expected_version=2, expected_asset_version=1,
                                 reviewer="pat")
    assert store.get_submission(made["id"])["status"] == "pending"
    assert store.approve_submission(made["id"], expected_version=2, expected_asset_version=2,
                                    reviewer="pat") == 3
    a = store.get_asset("t-0")
    assert (a["name"], a["category"], a["updated_by"], a["version"]) == \
        ("Asset Zero (renamed)", "micro_provider", "pat", 3)
    assert a["is_provider"] and a["service_types"] == "home_support|befriending"
    assert a["geometry"].equals_exact(cur["geometry"], 1e-9)     # lon/lat None: kept
    assert list(store.asset_history("t-0")["action"]) == ["import", "reviewed",
                                                          "approved update"]
    with pytest.raises(ConflictError):
        store.edit_submission(made["id"], data2, expected_version=3, expected_asset_version=3,
                              changed_by="pat")


def test_planner_edits_a_pending_new_asset(seeded):
    store, (lon, lat) = seeded
    made = store.create_submission(contribution(lon, lat), token_hash=None, submitted_by=None)
    moved = contribution(lon + 0.001, lat, name="Ashbrook Helpers CIC")
    with pytest.raises(ConflictError):
        store.edit_submission(made["id"], moved, expected_version=1, expected_asset_version=9,
                              changed_by="pat")
    assert store.get_submission(made["id"])["version"] == 1      # rolled back as a whole
    store.edit_submission(made["id"], moved, expected_version=1, expected_asset_version=1,
                          changed_by="pat")
    a = store.get_asset(made["asset_id"])
    assert (a["name"], a["status"], a["version"]) == ("Ashbrook Helpers CIC", "pending", 2)
    assert a["geometry"].equals_exact(Point(lon + 0.001, lat), 1e-9)


def test_concurrent_approvals_one_wins(any_store):
    """Two planners approve the same submission at the same moment: one wins, the other
    gets a ConflictError (not a lock error or a duplicate), on both backends."""
    import threading
    areas = make_areas()
    any_store.write_areas(areas)
    p = areas.geometry.iloc[2].centroid
    made = any_store.create_submission(contribution(p.x, p.y), token_hash=None,
                                       submitted_by=None)
    results, go = {}, threading.Barrier(2)

    def approve(who):
        go.wait()
        try:
            results[who] = any_store.approve_submission(
                made["id"], expected_version=1, expected_asset_version=1, reviewer=who)
        except ConflictError as e:
            results[who] = e

    threads = [threading.Thread(target=approve, args=(w,)) for w in ("pat", "sam")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    won = [w for w, r in results.items() if r == 2]
    lost = [w for w, r in results.items() if isinstance(r, ConflictError)]
    assert len(won) == 1 and len(lost) == 1, results
    sub = any_store.get_submission(made["id"])
    assert (sub["status"], sub["version"], sub["reviewed_by"]) == ("approved", 2, won[0])
    assert list(any_store.asset_history(made["asset_id"])["action"]) == ["submitted",
                                                                        "approved"]
