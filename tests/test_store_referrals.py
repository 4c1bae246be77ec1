"""Referrals in the store (SQLite, and PostGIS when a test server is set): create with
checks, one record per form post, moves only as the workflow allows with every change in
the audit trail, scoped reads, grouped counts, providers' links, vacancy confirmations."""
import datetime as dt
import threading

import pandas as pd
import pytest

from assetmap.errors import ConflictError, InputError, NotFound, PermissionDenied

from storehelp import any_store, make_areas, make_assets, seeded  # noqa: F401

AREA = "E01990002"


def _referral(store, **over):
    kw = dict(asset_id="t-1", service_type="home_support", client_group="older_people",
              area_code=AREA, case_ref="ASC-1001", notes="Prefers mornings", created_by="rita")
    kw.update(over)
    return store.create_referral(**kw)


def test_a_referral_is_stored_with_its_first_event_without_changing_the_data_version(seeded):
    store, _ = seeded
    v0 = store.data_version()
    r = _referral(store)
    assert r["created"] and r["status"] == "sent" and r["version"] == 1
    assert r["provider_name"] == "Asset 1 <b>&</b>" and r["area_name"] == "Testford 002A"
    assert store.data_version() == v0
    assert [(e["from_status"], e["to_status"], e["by"]) for e in
            store.referral_history(r["id"])] == [(None, "sent", "rita")]
    assert store.counts()["referrals"] == 1 and store.counts()["referral_events"] == 1


@pytest.mark.parametrize("over,field", [
    ({"case_ref": "Jane Smith 1"}, "case_ref"), ({"case_ref": "AB1 2CD"}, "case_ref"),
    ({"notes": "Call 07700 900123"}, "notes"), ({"service_type": "transport"}, "service_type"),
    ({"service_type": "nonsense"}, "service_type"), ({"client_group": "x"}, "client_group"),
    ({"area_code": "E01999999"}, "area_code"), ({"area_code": ""}, "area_code")])
def test_bad_referrals_are_refused_and_nothing_is_stored(seeded, over, field):
    store, _ = seeded
    with pytest.raises(InputError) as e:
        _referral(store, **over)
    assert e.value.field == field
    assert store.counts()["referrals"] == 0


def test_only_published_providers_take_referrals(seeded):
    store, _ = seeded
    with pytest.raises(NotFound):
        _referral(store, asset_id="t-0")             # a library, no service record
    with pytest.raises(NotFound):
        _referral(store, asset_id="nope")
    store.set_asset_status("t-1", "retired", expected_version=None, changed_by="pat")
    with pytest.raises(NotFound):
        _referral(store)


def test_place_and_provider_names_in_notes_are_not_names(seeded):
    store, _ = seeded
    r = _referral(store, notes="Lives in Testford 002A, Middle Ward; knows Asset 1 already")
    assert r["notes"].startswith("Lives in Testford")


def test_a_form_posted_twice_makes_one_referral(seeded):
    store, _ = seeded
    a = _referral(store, request_key="k-1")
    b = _referral(store, request_key="k-1")
    assert a["id"] == b["id"] and a["created"] and not b["created"]
    with pytest.raises(ConflictError):
        _referral(store, request_key="k-1", created_by="rob")   # someone else's form
    assert store.counts()["referrals"] == 1


def test_concurrent_twin_posts_make_one_referral(seeded):
    store, _ = seeded
    out = []
    threads = [threading.Thread(target=lambda: out.append(_referral(store, request_key="twin")))
               for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({r["id"] for r in out}) == 1 and sum(r["created"] for r in out) == 1
    assert store.counts()["referrals"] == 1


def test_moves_follow_the_workflow_and_every_one_is_audited(seeded):
    store, _ = seeded
    r = _referral(store)
    with pytest.raises(PermissionDenied):
        store.change_referral(r["id"], "accepted", actor="referrer", by="rita")
    d = store.change_referral(r["id"], "declined", actor="provider", by="provider: P",
                              reason="no_capacity", expected_version=1)
    assert (d["status"], d["answer"], d["decline_reason"], d["version"]) == \
        ("declined", "declined", "no_capacity", 2)
    with pytest.raises(ConflictError):                  # the page showed version 1
        store.change_referral(r["id"], "closed", actor="referrer", by="rita",
                              expected_version=1)
    c = store.change_referral(r["id"], "closed", actor="referrer", by="rita")
    assert (c["status"], c["answer"], c["decline_reason"]) == ("closed", "declined",
                                                                "no_capacity")
    with pytest.raises(ConflictError):
        store.change_referral(r["id"], "declined", actor="provider", by="p",
                              reason="no_capacity")
    hist = store.referral_history(r["id"])
    assert [(e["from_status"], e["to_status"], e["reason"]) for e in hist] == [
        (None, "sent", None), ("sent", "declined", "no_capacity"), ("declined", "closed", None)]


def test_reads_and_changes_are_scoped_to_their_referrer_and_provider(seeded):
    store, _ = seeded
    r = _referral(store)
    assert store.get_referral(r["id"], created_by="rita")["case_ref"] == "ASC-1001"
    assert store.get_referral(r["id"], asset_id="t-1")["id"] == r["id"]
    for kw in ({"created_by": "rob"}, {"asset_id": "t-3"}):
        with pytest.raises(NotFound):
            store.get_referral(r["id"], **kw)
    with pytest.raises(NotFound):
        store.change_referral(r["id"], "withdrawn", actor="referrer", by="rob", created_by="rob")
    with pytest.raises(NotFound):
        store.change_referral(r["id"], "accepted", actor="provider", by="x", asset_id="t-3")
    assert store.get_referral(r["id"])["status"] == "sent"
    assert [x["id"] for x in store.list_referrals(created_by="rita")] == [r["id"]]
    assert store.list_referrals(created_by="rob") == []
    assert store.list_referrals(asset_id="t-3") == []


def test_notices_are_the_other_partys_changes(seeded):
    store, _ = seeded
    r = _referral(store)
    store.change_referral(r["id"], "accepted", actor="provider", by="provider: P")
    store.change_referral(r["id"], "withdrawn", actor="referrer", by="rita")
    mine = store.referral_events_for(created_by="rita")
    assert [e["to_status"] for e in mine] == ["accepted"]
    theirs = store.referral_events_for(asset_id="t-1")
    assert [e["to_status"] for e in theirs] == ["withdrawn", "sent"]


def test_grouped_counts_never_carry_a_case_reference(seeded):
    store, _ = seeded
    for i, (area, reason) in enumerate([(AREA, "no_capacity"), (AREA, "no_capacity"),
                                        ("E01990001", "outside_area"), (AREA, None)]):
        r = _referral(store, area_code=area, case_ref=f"ASC-{i}")
        if reason:
            store.change_referral(r["id"], "declined", actor="provider", by="p", reason=reason)
    c = store.referral_counts()
    assert list(c.columns) == ["service_type", "client_group", "area_code", "status", "answer",
                               "decline_reason", "n"]
    assert c["n"].sum() == 4 and "ASC" not in c.to_csv()
    got = {(r.area_code, r.status, r.decline_reason): r.n for r in c.itertuples()}
    assert got[(AREA, "declined", "no_capacity")] == 2
    assert got[(AREA, "sent", None)] == 1
    assert store.referral_counts(area_codes=["E01990001"])["n"].sum() == 1
    assert store.referral_counts(since="2999-01-01").empty
    assert store.referral_counts(service_type="befriending").empty


def test_provider_links_issue_revoke_and_replace(seeded):
    store, _ = seeded
    with pytest.raises(NotFound):
        store.issue_provider_link("t-0", "h0", email=None, by="pat")      # not a provider
    store.issue_provider_link("t-1", "h1", email="care@p.example", by="pat")
    assert store.provider_by_link("h1")["asset_id"] == "t-1"
    assert store.provider_link_status("t-1")["email"] == "care@p.example"
    store.issue_provider_link("t-1", "h2", email=None, by="pat")          # replaces h1
    with pytest.raises(NotFound):
        store.provider_by_link("h1")
    assert store.provider_by_link("h2")["provider_name"] == "Asset 1 <b>&</b>"
    assert store.revoke_provider_links("t-1", by="pat") == 1
    assert store.revoke_provider_links("t-1", by="pat") == 0
    with pytest.raises(NotFound):
        store.provider_by_link("h2")
    assert store.provider_link_status("t-1") is None


def test_vacancies_are_confirmed_at_once_as_a_new_version(seeded):
    store, _ = seeded
    before = store.get_asset("t-1")
    v0 = store.data_version()
    v = store.confirm_vacancies("t-1", 0, by="provider: P", today=dt.date(2024, 5, 1))
    after = store.get_asset("t-1")
    assert v == before["version"] + 1 == after["version"]
    assert after["vacancies"] == 0 and after["vacancies_confirmed"] == "2024-05-01"
    assert after["status"] == "approved" and after["name"] == before["name"]
    assert store.data_version() > v0                  # the directory shows vacancies
    hist = store.asset_history("t-1")
    assert hist["action"].iloc[-1] == "vacancies confirmed"
    assert hist["reason"].iloc[-1] == "0 vacancies on 2024-05-01"
    conf = store.capacity_confirmations().set_index("asset_id")
    assert conf.loc["t-1", "vacancies_confirmed"] == "2024-05-01"
    for bad in (-1, "many", 10 ** 9, float("nan")):
        with pytest.raises(InputError):
            store.confirm_vacancies("t-1", bad, by="p")
    with pytest.raises(NotFound):
        store.confirm_vacancies("t-0", 1, by="p")
    assert isinstance(store.capacity_confirmations(), pd.DataFrame)


def test_new_stores_have_the_tables(seeded):
    store, _ = seeded
    from assetmap.store import metadata
    assert {"referrals", "referral_events", "provider_links"} <= set(metadata.tables)
    assert make_areas is not None and make_assets is not None
