"""What a contribution or an edit changes (assetmap.community.diffs): field rows for the
moderator's diff and the audit trail; a home address never shown, a move in metres."""
from __future__ import annotations

import shapely

from assetmap.community import diffs
from assetmap.community.forms import Contribution


def _proposal(**asset):
    return Contribution(asset={"name": "Lunch Club", "category": "library", **asset},
                        provider=None, lon=None, lat=None)


def test_diff_lists_changed_fields_with_labels():
    current = {"name": "Lunch club", "category": "library", "contact_public": False}
    rows = diffs.diff(current, _proposal(contact_public=True))
    assert rows == [
        {"field": "name", "label": "Name", "old": "Lunch club", "new": "Lunch Club"},
        {"field": "contact_public", "label": "Publish contact details", "old": "no",
         "new": "yes"}]
    assert diffs.diff({"name": "Lunch Club", "category": "library"}, _proposal()) == []


def test_diff_hides_a_home_address_and_measures_a_move():
    current = {"name": "Lunch Club", "category": "library", "home_based": True,
               "address": "1 Home Road", "geometry": shapely.Point(-0.1, 51.5)}
    proposed = _proposal(home_based=True, address="2 Home Road")
    proposed.lon, proposed.lat = -0.1, 51.5009          # about 100 m north
    rows = {r["field"]: r for r in diffs.diff(current, proposed)}
    assert rows["address"]["old"] == rows["address"]["new"] == "(a home address: not shown)"
    assert rows["location"]["new"] == "moved 100 m"


def test_diff_compares_service_lists_as_lists():
    current = {"name": "Lunch Club", "category": "library", "service_types": "a, b"}
    proposed = Contribution(asset={"name": "Lunch Club", "category": "library"},
                            provider={"service_types": "a|b", "hourly_price": 18.0},
                            lon=None, lat=None)
    rows = diffs.diff(current, proposed)
    assert [r["field"] for r in rows] == ["hourly_price"] and rows[0]["new"] == "18"


def test_version_changes_between_stored_versions():
    older = {"name": "Lunch club", "version": 1, "lon": -0.1, "lat": 51.5,
             "provider": {"hourly_price": 15.0}}
    newer = {"name": "Lunch Club", "version": 2, "updated_by": "pat", "lon": -0.1,
             "lat": 51.5009, "provider": {"hourly_price": 18.0}}
    assert diffs.version_changes(older, newer) == [
        {"label": "Name", "old": "Lunch club", "new": "Lunch Club"},
        {"label": "Hourly price (GBP)", "old": "15", "new": "18"},
        {"label": "Location", "old": "", "new": "moved 100 m"}]
    first = diffs.version_changes(None, {"name": "Lunch Club", "version": 1})
    assert first == [{"label": "Name", "old": "", "new": "Lunch Club"}]
