"""Moderation (issue 6): the queue with a map and duplicate warnings, diffs for updates,
approve / edit / reject with a reason, review dates and the stale flag, retire and
reinstate, the audit trail with restore, and the analysis refresh after approval."""
from __future__ import annotations

import datetime as dt
import re

import geopandas as gpd
import shapely
from sqlalchemy import update

from assetmap import settings
from assetmap.community import duplicates, refresh, review, tokens
from assetmap.store import assets as assets_table
from assetmap.store import providers as providers_table

from contribhelp import (
    approve,
    inside_point,
    pending_ids,
    provider_form,
    store_of,
    submit,
    versions,
)


def _near(store, asset, metres=40.0):
    g = gpd.GeoSeries([asset.geometry], crs=4326).to_crs(settings.ANALYSIS_CRS).iloc[0]
    p = gpd.GeoSeries([shapely.Point(g.x + metres, g.y)], crs=settings.ANALYSIS_CRS).to_crs(4326)
    return float(p.iloc[0].x), float(p.iloc[0].y)


def test_queue_shows_pending_with_map_and_duplicate_warnings(contrib_app, form_client):
    store = store_of(contrib_app)
    anon = form_client()
    existing = store.read_assets().iloc[5]
    lon, lat = _near(store, existing)
    submit(anon, provider_form(lon, lat, name=existing["name"].upper() + " Ltd"))
    lon2, lat2 = inside_point(store, area_index=30)
    submit(anon, provider_form(lon2, lat2, name="Entirely Original Name"))
    submit(anon, provider_form(lon2, lat2, name="CQC One", cqc_registered="on",
                               cqc_location_id="1-555000111"))
    lon3, lat3 = inside_point(store, area_index=2)
    submit(anon, provider_form(lon3, lat3, name="CQC Two", cqc_registered="on",
                               cqc_location_id="1-555000111"))
    pat = form_client("pat")
    r = pat.get("/moderate")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    text = r.get_data(as_text=True)
    assert "4 submissions waiting" in text
    assert "L.map(" in text and "circleMarker" in text.replace("circle_marker", "circleMarker")
    rows = dict(re.findall(r'<tr data-submission="(\d+)">(.*?)</tr>', text, re.S))
    ids = pending_ids(store)
    assert "Possible duplicate" in rows[str(ids[0])]
    assert "Possible duplicate" not in rows[str(ids[1])]
    item = pat.get(f"/moderate/{ids[0]}").get_data(as_text=True)
    assert 'id="duplicates"' in item and "similar name 40 m away" in item
    assert "same CQC location id 1-555000111" in pat.get(
        f"/moderate/{ids[3]}").get_data(as_text=True)
    assert 'id="duplicates"' not in pat.get(f"/moderate/{ids[1]}").get_data(as_text=True)


def test_duplicate_rules():
    known = gpd.GeoDataFrame(
        {"id": ["a", "b", "c"], "name": ["St Mary's Lunch Club", "Far Away Club", "Other"],
         "status": ["approved"] * 3, "category": ["other"] * 3, "home_based": [False] * 3,
         "postcode": ["AB1 2CD", None, "XY1 1XY"], "cqc_location_id": [None, None, "1-99999"]},
        geometry=[shapely.Point(-1.0, 52.0), shapely.Point(-1.2, 52.1), shapely.Point(-1.3, 52.2)],
        crs=4326)
    near = {"name": "St Marys Lunch Club", "lon": -1.0005, "lat": 52.0, "postcode": None}
    hits = duplicates.find_duplicates(near, known)
    assert [h["id"] for h in hits] == ["a"] and "similar name" in hits[0]["reasons"][0]
    far = {"name": "Far Away Club", "lon": -1.0, "lat": 52.0}
    assert duplicates.find_duplicates(far, known) == []                       # 15 km away
    assert duplicates.find_duplicates({"name": "x", "postcode": "xy1 1xy"}, known)[0]["id"] == "c"
    assert duplicates.find_duplicates({"name": "x", "cqc_location_id": "1-99999"},
                                      known)[0]["id"] == "c"
    assert duplicates.find_duplicates(near, known, exclude_ids=["a"]) == []
    assert duplicates.name_similarity("The Lunch Club Ltd", "lunch club") == 1.0


def test_update_shows_a_diff_against_the_current_record(contrib_app, form_client):
    store = store_of(contrib_app)
    target = store.read_assets()
    target = target[~target["home_based"] & ~target["name"].str.contains("<")].iloc[3]
    anon = form_client()
    anon.get("/contribute")
    lon, lat = _near(store, target, 120)
    form = {"asset_id": target["id"], "name": "Renamed Place", "category": target["category"],
            "lat": f"{lat:.6f}", "lon": f"{lon:.6f}", "description": target["description"]}
    if isinstance(target.get("service_types"), str):
        form.update(service_types=target["service_types"].split("|"),
                    client_groups=target["client_groups"].split("|"), is_provider="on")
    assert anon.post("/contribute", form).status_code == 303
    sid = pending_ids(store)[0]
    text = form_client("pat").get(f"/moderate/{sid}").get_data(as_text=True)
    diff = re.search(r'<table class="data diff" id="diff">(.*?)</table>', text, re.S).group(1)
    assert "Renamed Place" in diff and target["name"] in diff
    assert "moved 120 m" in diff


def test_approve_publishes_records_who_and_refreshes(contrib_app, form_client):
    contrib_app.config["ANALYSIS_REFRESH"] = "sync"
    store = store_of(contrib_app)
    run0 = store.latest_run()
    lon, lat = inside_point(store)
    submit(form_client(), provider_form(lon, lat, name="Fresh Start Group"))
    sid = pending_ids(store)[0]
    pat = form_client("pat")
    r = approve(pat, sid)
    assert r.status_code == 303
    assert "now on the public map" in pat.get("/moderate").get_data(as_text=True)
    sub = store.get_submission(sid)
    a = store.get_asset(sub["asset_id"])
    assert sub["status"] == "approved" and sub["reviewed_by"] == "pat"
    assert a["status"] == "approved" and a["last_reviewed"] and a["updated_by"] == "pat"
    assert "Fresh Start Group" in form_client().get("/").get_data(as_text=True)
    hist = store.asset_history(a["id"])
    assert list(hist["action"]) == ["submitted", "approved"]
    assert list(hist["changed_by"]) == ["community (anonymous)", "pat"]
    run1 = store.latest_run()
    assert run1 is not None and (run0 is None or run1["id"] > run0["id"])
    assert run1["data_version"] == store.data_version()


def test_background_refresh_coalesces(contrib_app):
    store = store_of(contrib_app)
    run0 = store.latest_run()
    r = refresh.refresher(store)
    for _ in range(5):
        refresh.request_refresh(store, "background")
    assert r.wait(60)
    run1 = store.latest_run()
    assert run1["id"] > (run0["id"] if run0 else 0)
    assert run1["id"] - (run0["id"] if run0 else 0) <= 2          # a burst: one or two runs


def test_reject_with_reason_then_the_contributor_corrects_it(contrib_app, form_client):
    store = store_of(contrib_app)
    anon = form_client()
    lon, lat = inside_point(store)
    token = submit(anon, provider_form(lon, lat, name="Maybe Group"))
    sid = pending_ids(store)[0]
    pat = form_client("pat")
    page = pat.get(f"/moderate/{sid}").get_data(as_text=True)
    r = pat.post(f"/moderate/{sid}/reject", {**versions(page), "reason": ""})
    assert r.status_code == 400 and "give a reason" in r.get_data(as_text=True).lower()
    r = pat.post(f"/moderate/{sid}/reject",
                 {**versions(page), "reason": "Please add opening hours"})
    assert r.status_code == 303
    assert store.get_asset(store.get_submission(sid)["asset_id"])["status"] == "rejected"
    mine = anon.get(f"/submission/{token}").get_data(as_text=True)
    assert "not approved" in mine and "Please add opening hours" in mine
    version = re.search(r'name="version" value="(\d+)"', mine).group(1)
    assert anon.post(f"/submission/{token}", provider_form(lon, lat, name="Maybe Group",
                                                           oh_fr_open="10:00", oh_fr_close="11:00",
                                                           version=version)).status_code == 303
    sub = store.get_submission(sid)
    assert sub["status"] == "pending" and sub["asset_status"] == "pending" and not sub["reason"]
    assert "Maybe Group" not in form_client().get("/").get_data(as_text=True)


def test_planner_corrects_then_approves(contrib_app, form_client):
    store = store_of(contrib_app)
    lon, lat = inside_point(store)
    submit(form_client(), provider_form(lon, lat, name="Typo Gruop"))
    sid = pending_ids(store)[0]
    pat = form_client("pat")
    page = pat.get(f"/moderate/{sid}").get_data(as_text=True)
    assert 'name="preferred_list"' in page                # planners may set it
    r = pat.post(f"/moderate/{sid}/edit", {**provider_form(lon, lat, name="Typo Group",
                                                           preferred_list="on", lat="", lon=""),
                                           **versions(page), "and_approve": "1"})
    assert r.status_code == 303
    a = store.get_asset(store.get_submission(sid)["asset_id"])
    assert a["name"] == "Typo Group" and a["status"] == "approved" and a["preferred_list"]
    assert round(a["geometry"].x, 6) == round(lon, 6)         # location kept
    assert list(store.asset_history(a["id"])["action"]) == ["submitted", "edit", "approved"]


def test_contributor_cannot_put_themselves_on_the_preferred_list(contrib_app, form_client):
    store = store_of(contrib_app)
    lon, lat = inside_point(store)
    token = submit(form_client(), provider_form(lon, lat, preferred_list="on"))
    a = store.get_asset(store.submission_by_token(tokens.token_hash(token))["asset_id"])
    assert not a["preferred_list"]


def test_review_dates_and_stale_flag(contrib_app, form_client):
    store = store_of(contrib_app)
    ids = list(store.read_assets()["id"][:3])
    old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=settings.STALE_AFTER_DAYS + 5)
           ).isoformat()
    recent = dt.datetime.now(dt.timezone.utc).isoformat()
    with store.engine.begin() as c:
        c.execute(update(assets_table).values(last_reviewed=recent))
        c.execute(update(assets_table).where(assets_table.c.id.in_(ids[:2]))
                  .values(last_reviewed=old))
        # providers whose vacancies were not confirmed lately are on the stale list too
        # (issue 11; tested in test_views_provider_link): confirm them all today here
        c.execute(update(providers_table).values(vacancies_confirmed=dt.date.today().isoformat()))
    assert review.review_due(old) and not review.review_due(recent)
    assert review.review_due(None)
    pat = form_client("pat")
    text = pat.get("/moderate/assets?stale=1").get_data(as_text=True)
    listed = set(re.findall(r'href="/moderate/asset/([^"]+)"', text))
    assert listed == set(ids[:2])
    assert "review due" in pat.get(f"/moderate/asset/{ids[0]}").get_data(as_text=True)
    page = pat.get(f"/moderate/asset/{ids[0]}").get_data(as_text=True)
    r = pat.post(f"/moderate/asset/{ids[0]}/reviewed",
                 {"asset_version": versions(page)["asset_version"]})
    assert r.status_code == 303
    assert not review.review_due(store.get_asset(ids[0])["last_reviewed"])
    text = pat.get("/moderate/assets?stale=1").get_data(as_text=True)
    assert set(re.findall(r'href="/moderate/asset/([^"]+)"', text)) == {ids[1]}
    assert store.asset_history(ids[0])["action"].iloc[-1] == "reviewed"


def test_retire_and_reinstate_nothing_deleted(contrib_app, form_client):
    store = store_of(contrib_app)
    a = store.read_assets()
    a = a[~a["home_based"]].iloc[7]
    pat = form_client("pat")
    page = pat.get(f"/moderate/asset/{a['id']}").get_data(as_text=True)
    v = versions(page)["asset_version"]
    assert pat.post(f"/moderate/asset/{a['id']}/status",
                    {"asset_version": v, "action": "retire", "reason": ""}).status_code == 400
    r = pat.post(f"/moderate/asset/{a['id']}/status",
                 {"asset_version": v, "action": "retire", "reason": "Closed in March"})
    assert r.status_code == 303
    assert a["id"] not in set(store.read_assets()["id"])                 # not public
    assert store.get_asset(a["id"])["status"] == "retired"              # but kept
    hist = store.asset_history(a["id"])
    assert hist["action"].iloc[-1] == "retired" and hist["reason"].iloc[-1] == "Closed in March"
    page = pat.get(f"/moderate/asset/{a['id']}").get_data(as_text=True)
    r = pat.post(f"/moderate/asset/{a['id']}/status",
                 {"asset_version": versions(page)["asset_version"], "action": "reinstate"})
    assert r.status_code == 303 and a["id"] in set(store.read_assets()["id"])
    # there is no way to delete an asset through the app
    assert not [r for r in contrib_app.url_map.iter_rules()
                if "DELETE" in r.methods or "delete" in r.rule and r.rule.startswith("/moderate")]


def test_history_and_restore_any_version(contrib_app, form_client):
    store = store_of(contrib_app)
    a = store.read_assets()
    a = a[~a["home_based"]].iloc[9]
    pat = form_client("pat")

    def edit(name):
        page = pat.get(f"/moderate/asset/{a['id']}").get_data(as_text=True)
        form = {"name": name, "category": a["category"], "lat": "", "lon": "",
                "description": "changed", **versions(page)}
        if isinstance(a.get("service_types"), str):
            form.update(service_types=a["service_types"].split("|"),
                        client_groups=a["client_groups"].split("|"), is_provider="on")
        assert pat.post(f"/moderate/asset/{a['id']}/edit", form).status_code == 303

    edit("Second Name")
    edit("Third Name")
    hist = store.asset_history(a["id"])
    first = int(hist["id"].iloc[0])
    text = pat.get(f"/moderate/asset/{a['id']}/history").get_data(as_text=True)
    assert "Second Name" in text and "Third Name" in text and "pat" in text
    assert text.count("Restore version") == len(hist) - 1
    cur = store.get_asset(a["id"])
    r = pat.post(f"/moderate/asset/{a['id']}/restore/{first}",
                 {"asset_version": str(cur["version"])})
    assert r.status_code == 303
    now = store.get_asset(a["id"])
    assert now["name"] == a["name"] and now["version"] == cur["version"] + 1
    hist2 = store.asset_history(a["id"])
    assert len(hist2) == len(hist) + 1 and hist2["action"].iloc[-1].startswith("restored v")
    # a restore from an out-of-date page is refused
    r = pat.post(f"/moderate/asset/{a['id']}/restore/{first}",
                 {"asset_version": str(cur["version"])})
    assert r.status_code == 409
    assert form_client("cora").post(f"/moderate/asset/{a['id']}/restore/{first}",
                                    {"asset_version": str(now["version"])}).status_code == 403


def test_approving_an_update_after_another_edit_is_refused(contrib_app, form_client):
    """A planner approves a proposed change while another planner edited the record: the
    approval is refused with a clear message and the other edit stands."""
    store = store_of(contrib_app)
    target = store.read_assets()
    target = target[~target["home_based"]].iloc[12]
    anon = form_client()
    anon.get("/contribute")
    form = {"asset_id": target["id"], "name": "Proposed Name", "category": target["category"],
            "lat": "", "lon": ""}
    if isinstance(target.get("service_types"), str):
        form.update(service_types=target["service_types"].split("|"),
                    client_groups=target["client_groups"].split("|"), is_provider="on")
    assert anon.post("/contribute", form).status_code == 303
    sid = pending_ids(store)[0]
    pat, pia = form_client("pat"), form_client("pia")
    review = pat.get(f"/moderate/{sid}").get_data(as_text=True)
    page = pia.get(f"/moderate/asset/{target['id']}").get_data(as_text=True)
    edit = {**form, "name": "Pia's Correction", **versions(page)}
    edit.pop("asset_id")
    assert pia.post(f"/moderate/asset/{target['id']}/edit", edit).status_code == 303
    r = pat.post(f"/moderate/{sid}/approve", versions(review))
    assert r.status_code == 409
    assert "was changed by pia" in r.get_data(as_text=True)
    assert store.get_asset(target["id"])["name"] == "Pia's Correction"
    assert store.get_submission(sid)["status"] == "pending"            # still there to review


def test_only_a_planner_verifies_a_quality_mark(contrib_app, form_client):
    """A planner's tick makes the mark council-verified; a contributor's later update keeps
    it only while the mark is unchanged, and a changed mark is self-declared again."""
    store = store_of(contrib_app)
    lon, lat = inside_point(store)
    token = submit(form_client(), provider_form(lon, lat, quality_mark="gold",
                                                quality_mark_verified="1"))
    sub = store.submission_by_token(tokens.token_hash(token))
    pat = form_client("pat")
    approve(pat, sub["id"])
    aid = sub["asset_id"]
    assert store.get_asset(aid)["quality_mark_by"] == "self"
    page = pat.get(f"/moderate/asset/{aid}").get_data(as_text=True)
    assert 'name="quality_mark_verified"' in page
    r = pat.post(f"/moderate/asset/{aid}/edit", {
        **provider_form(lon, lat, quality_mark="gold", quality_mark_verified="1"),
        **versions(page)})
    assert r.status_code == 303, r.get_data(as_text=True)[:2000]
    assert store.get_asset(aid)["quality_mark_by"] == "council"
    page = pat.get(f"/moderate/asset/{aid}").get_data(as_text=True)
    assert re.search(r'name="quality_mark_verified" id="f-quality_mark_verified" value="1"'
                     r' checked', page)

    def contributor_update(mark):
        fc = form_client()
        fc.get(f"/contribute?asset={aid}")
        r = fc.post("/contribute", {**provider_form(lon, lat, quality_mark=mark,
                                                    quality_mark_verified="1"),
                                    "asset_id": aid, "lat": "", "lon": ""})
        assert r.status_code == 303, r.get_data(as_text=True)[:2000]
        approve(pat, pending_ids(store)[0])
        return store.get_asset(aid)["quality_mark_by"]
    assert contributor_update("gold") == "council"       # unchanged: still verified
    assert contributor_update("silver") == "self"        # changed by the provider
