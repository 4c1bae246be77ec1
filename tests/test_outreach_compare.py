"""Saving, reopening and comparing outreach plans (assetmap.outreach.compare) on a private copy
of the demo borough."""
from __future__ import annotations

import json

import geopandas as gpd
import pytest
from shapely.geometry import Point


def test_saved_plan_reopens_unchanged(demo_store_copy):
    from assetmap import outreach
    params = {"patch": "wards", "ids": ["E05990006", "E05990001"], "client_group": "dementia"}
    plan = outreach.make_plan(demo_store_copy, params)
    pid = outreach.save(demo_store_copy, plan, name="Ferry Fields round", created_by="cora")
    again = outreach.reopen(demo_store_copy, pid)
    saved = again.pop("saved")
    assert saved["name"] == "Ferry Fields round" and saved["created_by"] == "cora"
    assert again == plan
    assert json.dumps(again, sort_keys=True) == json.dumps(plan, sort_keys=True)
    listed = demo_store_copy.list_outreach_plans()
    assert list(listed["id"]) == [pid] and listed["run_id"].iloc[0] == plan["run_id"]
    # new data does not change a saved plan
    demo_store_copy.set_meta("touched", "1")
    assert {k: v for k, v in outreach.reopen(demo_store_copy, pid).items() if k != "saved"} == plan


def test_comparison_reports_new_and_closed_assets(demo_store_copy):
    from assetmap import outreach
    store = demo_store_copy
    params = {"patch": "wards", "ids": ["E05990001"], "client_group": "older_people"}
    plan = outreach.make_plan(store, params)
    pid = outreach.save(store, plan)
    saved = outreach.reopen(store, pid)
    assert outreach.compare(store, saved)["new_assets"] == []

    top = plan["areas"][0]
    new = gpd.GeoDataFrame([{
        "id": "new-lunch-club", "name": "Tuesday Lunch Club", "category": "community_centre",
        "source": "community", "status": "approved", "version": 1}],
        geometry=[Point(top["lon"], top["lat"])], crs=4326)
    store.write_assets(new)
    gone = next(iter(saved["reach"]["assets"]))
    store.set_asset_status(gone, "retired", expected_version=None, changed_by="pat")
    diff = outreach.compare(store, saved)
    assert [a["id"] for a in diff["new_assets"]] == ["new-lunch-club"]
    assert diff["new_assets"][0]["name"] == "Tuesday Lunch Club"
    assert [(a["id"], a["status"]) for a in diff["closed_assets"]] == [(gone, "retired")]
    assert any("Tuesday Lunch Club" in s for s in diff["summary"])
    # the saved plan itself is untouched
    assert {k: v for k, v in outreach.reopen(store, pid).items() if k != "saved"} == plan


def test_comparison_reports_changed_need(demo_store_copy):
    from assetmap import outreach
    store = demo_store_copy
    plan = outreach.make_plan(store, {"patch": "wards", "ids": ["E05990001"]})
    saved = dict(plan)
    # pretend the saved plan saw a different need picture in its last area
    code = plan["patch"]["ranked"][-1]
    saved["need"] = json.loads(json.dumps(plan["need"]))
    saved["need"][code]["need_z"] -= 1.0
    diff = outreach.compare(store, saved)
    assert [r["code"] for r in diff["need_changes"]] == [code]
    assert diff["need_changes"][0]["need_change_z"] == pytest.approx(1.0, abs=0.01)
