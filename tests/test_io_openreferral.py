"""Open Referral UK: export, round trip (JSON and CSV package), the /services page."""
from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from test_io_common import area_store, centre, io_store, write_boundaries  # noqa: F401

from assetmap import model
from assetmap.errors import InputError
from assetmap.io.boundaries import import_boundaries
from assetmap.io.openreferral import export_openreferral, import_openreferral, services_page, uid

FIELDS = ["id", "name", "category", "description", "address", "postcode", "opening_hours",
          "website", "home_based", "last_reviewed", "service_types", "client_groups",
          "hourly_price", "quality_mark", "cqc_registered", "cqc_location_id",
          "direct_payments", "preferred_list", "staff_fte", "capacity_hours", "vacancies",
          "community_focus", "radius_km", "charity_number", "company_number"]


def _seed(store):
    pts = [centre(0), centre(1), centre(2), centre(3, 123, 321)]
    assets = gpd.GeoDataFrame({
        "id": ["lib-1", "mp-1", "mp-2", "mp-home"],
        "name": ["Town Library", "Helping Hands", "Day Club", "Home Helper"],
        "category": ["library", "micro_provider", "micro_provider", "micro_provider"],
        "description": ["Books", "Support at home", None, "Care from my home"],
        "address": ["1 High St, Sale", "2 Low Rd, Sale", "3 Mid Lane", "4 Secret Close"],
        "postcode": ["M1 1AA", "M1 1AB", None, "M1 1AD"],
        "opening_hours": ["Mo-Fr 09:00-17:00", None, "Tu 10:00-14:00", None],
        "contact": ["0161 111", "help@example.org", "0161 333", "07700 900123"],
        "contact_public": [True, True, False, False],
        "website": ["https://lib.example", None, None, None],
        "home_based": [False, False, False, True],
        "last_reviewed": ["2025-01-02", "2025-02-03", None, None],
    }, geometry=gpd.points_from_xy([p[0] for p in pts], [p[1] for p in pts]), crs=4326)
    prov = pd.DataFrame({
        "asset_id": ["mp-1", "mp-2", "mp-home"],
        "service_types": ["home_support|befriending", "day_activities", "domiciliary_care"],
        "client_groups": ["older_people|dementia", "older_people", "carers"],
        "hourly_price": [18.5, None, 20.0], "quality_mark": ["gold", "none", "silver"],
        "cqc_registered": [True, False, False], "cqc_location_id": ["1-999", None, None],
        "direct_payments": [True, False, True], "preferred_list": [False, True, False],
        "staff_fte": [2.5, None, 1.0], "capacity_hours": [40.0, 20.0, None],
        "vacancies": [5.0, None, None], "community_focus": [None, "Urdu speakers", None],
        "radius_km": [3.0, None, None], "charity_number": [None, "1122334", None],
        "company_number": ["01234567", None, None],
    })
    store.write_assets(assets, prov)


def _public_records(store):
    from assetmap.privacy import public_assets
    a = public_assets(store.read_assets(statuses=None))
    a["lon"] = a.geometry.x.round(6)
    a["lat"] = a.geometry.y.round(6)
    cols = FIELDS + ["lon", "lat", "contact"]
    df = pd.DataFrame(a)[cols].sort_values("id").reset_index(drop=True)
    # the feed leaves out a home-based provider's postcode as well as its address
    df.loc[df["home_based"].astype(bool), "postcode"] = None
    return df.astype(object).where(df.notna(), None)


@pytest.mark.parametrize("via", ["json", "csv"])
def test_round_trip_into_a_fresh_store(area_store, tmp_path, via):
    _seed(area_store)
    counts = export_openreferral(area_store, tmp_path / "feed")
    assert counts["services"] == 4 and counts["cost_options"] == 2
    fresh_path = tmp_path / "fresh.sqlite"
    from assetmap.store import Store
    fresh = Store(f"sqlite:///{fresh_path}")
    import_boundaries(fresh, write_boundaries(tmp_path / "b.geojson"))
    src = tmp_path / "feed" / "services.json" if via == "json" else tmp_path / "feed"
    if via == "csv":
        (tmp_path / "feed" / "services.json").unlink()
    rep = import_openreferral(fresh, src)
    assert rep.written == {"assets": 4, "providers": 3}
    want, got = _public_records(area_store), _public_records(fresh)
    pd.testing.assert_frame_equal(want, got, check_dtype=False)
    fresh.dispose()


def test_reimport_into_same_store_changes_nothing(area_store, tmp_path):
    _seed(area_store)
    before = _public_records(area_store)
    export_openreferral(area_store, tmp_path / "feed")
    import_openreferral(area_store, tmp_path / "feed" / "services.json")
    assert area_store.counts()["assets"] == 4
    after = _public_records(area_store)
    # the home-based provider's exact point stays private in the store
    pd.testing.assert_frame_equal(before, after, check_dtype=False)
    exact = area_store.get_asset("mp-home")["geometry"]
    assert exact.x == pytest.approx(centre(3, 123, 321)[0])


def test_services_page_envelope_and_privacy(area_store):
    _seed(area_store)
    page = services_page(area_store, page=1, per_page=3)
    assert set(page) == {"total_items", "total_pages", "page_number", "size", "first_page",
                         "last_page", "empty", "contents"}
    assert (page["total_items"], page["total_pages"], page["size"]) == (4, 2, 3)
    assert page["first_page"] and not page["last_page"] and not page["empty"]
    last = services_page(area_store, page=2, per_page=3)
    assert last["last_page"] and last["size"] == 1
    beyond = services_page(area_store, page=5, per_page=3)
    assert beyond["empty"] and beyond["contents"] == []
    allp = services_page(area_store, per_page=10)["contents"]
    by = {s["id"]: s for s in allp}
    s = by[uid("service", "mp-1")]
    for k in ("id", "name", "description", "url", "status", "organization",
              "service_at_locations", "cost_options", "capacities", "attributes"):
        assert k in s
    assert s["status"] == "active" and s["accreditations"].endswith("gold")
    assert s["cost_options"][0] == {**s["cost_options"][0], "amount": 18.5, "currency": "GBP"}
    assert s["capacities"][0]["maximum"] == 40 and s["capacities"][0]["available"] == 5
    ids = {i["identifier_type"]: i["identifier"]
           for i in s["organization"]["organization_identifiers"]}
    assert ids == {"CQC location ID": "1-999", "Company number": "01234567"}
    home = by[uid("service", "mp-home")]
    loc = home["service_at_locations"][0]["location"]
    assert loc["addresses"] == [] and "Approximate" in loc["name"]
    exact = centre(3, 123, 321)
    assert (loc["longitude"], loc["latitude"]) != pytest.approx(exact, abs=1e-5)
    assert home["contacts"] == [] and home["email"] is None     # contact not public
    assert by[uid("service", "mp-2")]["contacts"] == []
    listing = services_page(area_store, full=False)["contents"][0]
    assert "service_at_locations" not in listing and "organization" in listing
    json.dumps(page)   # serialisable


def test_services_page_from_a_frame(area_store):
    _seed(area_store)
    frame = area_store.read_assets()
    frame = frame[frame["is_provider"]]
    page = services_page(frame, page=1, per_page=50)
    assert page["total_items"] == 3


def test_bad_feeds(area_store, tmp_path):
    (tmp_path / "cut.json").write_text('{"contents": [{"id": "a", "name"')
    with pytest.raises(InputError, match="truncated"):
        import_openreferral(area_store, tmp_path / "cut.json")
    (tmp_path / "other.json").write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(InputError, match="not an Open Referral"):
        import_openreferral(area_store, tmp_path / "other.json")
    (tmp_path / "empty.json").write_text('{"contents": []}')
    with pytest.raises(InputError, match="no services"):
        import_openreferral(area_store, tmp_path / "empty.json")
    (tmp_path / "dir").mkdir()
    with pytest.raises(InputError, match="services"):
        import_openreferral(area_store, tmp_path / "dir")
    feed = {"contents": [{"id": "s1", "name": "Nowhere service", "status": "active"}]}
    (tmp_path / "noloc.json").write_text(json.dumps(feed))
    with pytest.raises(InputError) as e:
        import_openreferral(area_store, tmp_path / "noloc.json")
    assert e.value.row == 1 and e.value.field == "postcode"
    assert area_store.counts()["assets"] == 0


def test_external_feed_minimal(area_store, tmp_path):
    lon, lat = centre(1)
    feed = {"total_items": 1, "contents": [{
        "id": "abc", "name": "Lunch club", "status": "active", "url": "https://x",
        "cost_options": [{"id": "c", "amount": 4, "currency": "GBP"}],
        "attributes": [{"id": "t", "taxonomy_term": {"name": "Older people",
                                                     "taxonomy": "Other"}}],
        "service_at_locations": [{"id": "sal", "location": {
            "id": "l", "latitude": lat, "longitude": lon,
            "addresses": [{"address_1": "Church Hall", "city": "Sale",
                           "postal_code": "M33 1AA"}]}}]}]}
    (tmp_path / "feed.json").write_text(json.dumps(feed))
    rep = import_openreferral(area_store, tmp_path / "feed.json")
    a = area_store.read_assets().iloc[0]
    assert a["id"] == "or-abc" and a["category"] == "other" and a["hourly_price"] == 4
    assert a["client_groups"] == "older_people" and a["address"] == "Church Hall, Sale"
    assert rep.written["providers"] == 1
    assert model.split_list(a["service_types"]) == ["other"]
