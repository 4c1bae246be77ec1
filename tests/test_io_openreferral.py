"""Open Referral UK: export, import of any valid feed (keeping ids and every field the
model can hold, and the rest verbatim), round trips (JSON and CSV package), privacy."""
from __future__ import annotations

import copy
import json

import geopandas as gpd
import pandas as pd
import pytest
from test_io_common import CODES, area_store, centre, io_store, write_boundaries  # noqa: F401

from assetmap import model, settings
from assetmap.errors import InputError
from assetmap.io.boundaries import import_boundaries
from assetmap.io.openreferral import (
    TABLES,
    export_openreferral,
    import_openreferral,
    mapping,
    services_page,
    uid,
)

FIELDS = ["id", "name", "category", "description", "address", "postcode", "opening_hours",
          "website", "home_based", "last_reviewed", "service_types", "client_groups",
          "hourly_price", "quality_mark", "cqc_registered", "cqc_location_id",
          "direct_payments", "preferred_list", "staff_fte", "capacity_hours", "vacancies",
          "community_focus", "radius_km", "charity_number", "company_number", "reach",
          "area_served", "area_served_geojson", "capacity_places", "vacancies_confirmed",
          "quality_mark_by", "cqc_rating", "community_tags"]
POLY = json.dumps({"type": "Polygon", "coordinates": [[
    [-2.40, 53.40], [-2.30, 53.40], [-2.30, 53.50], [-2.40, 53.50], [-2.40, 53.40]]]})


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
        "contact": ["0161 111 2222", "0161 222 3333; help@example.org", "0161 333 4444",
                    "07700 900123"],
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
        "reach": ["both", None, "visits"], "area_served": [f"{CODES[0]}|{CODES[1]}", None, None],
        "area_served_geojson": [None, None, POLY], "capacity_places": [None, 12.0, None],
        "vacancies_confirmed": ["2025-03-01", None, None],
        "quality_mark_by": ["council", None, "self"], "cqc_rating": ["Good", None, None],
        "community_tags": [None, "urdu|lgbt", None],
    })
    store.write_assets(assets, prov)


def _public_records(store):
    from assetmap.privacy import public_assets
    a = public_assets(store.read_assets(statuses=None))
    a["lon"] = a.geometry.x.round(6)
    a["lat"] = a.geometry.y.round(6)
    cols = [c for c in FIELDS if c in a] + ["lon", "lat", "contact"]
    df = pd.DataFrame(a)[cols].sort_values("id").reset_index(drop=True)
    # the feed leaves out a home-based provider's postcode as well as its address
    df.loc[df["home_based"].astype(bool), "postcode"] = None
    return df.astype(object).where(df.notna(), None)


def _fresh(tmp_path, name="fresh"):
    from assetmap.store import Store
    fresh = Store(f"sqlite:///{tmp_path / (name + '.sqlite')}")
    import_boundaries(fresh, write_boundaries(tmp_path / f"{name}.geojson"))
    return fresh


def _no_empty_values(obj, path="") -> list:
    """Paths of None, blank strings and empty lists or objects anywhere in ``obj``."""
    bad = []
    if isinstance(obj, dict):
        if not obj:
            bad.append(path)
        for k, v in obj.items():
            bad += _no_empty_values(v, f"{path}/{k}")
    elif isinstance(obj, list):
        if not obj:
            bad.append(path)
        for i, v in enumerate(obj):
            bad += _no_empty_values(v, f"{path}/{i}")
    elif obj is None or (isinstance(obj, str) and not obj.strip()):
        bad.append(path)
    return bad


@pytest.mark.parametrize("via", ["json", "csv"])
def test_round_trip_into_a_fresh_store(area_store, tmp_path, via, monkeypatch):
    """Everything public goes out and comes back (the preferred list where the council
    publishes it; a council-verified mark when the planner imports the council's own feed
    with council_verified_marks)."""
    monkeypatch.setattr(settings, "PUBLISH_PREFERRED_LIST", True)
    _seed(area_store)
    counts = export_openreferral(area_store, tmp_path / "feed")
    assert counts["services"] == 4 and counts["cost_option"] == 2
    fresh = _fresh(tmp_path)
    src = tmp_path / "feed" / "services.json" if via == "json" else tmp_path / "feed"
    if via == "csv":
        (tmp_path / "feed" / "services.json").unlink()
    rep = import_openreferral(fresh, src, council_verified_marks=True)
    assert rep.written == {"assets": 4, "providers": 3}
    want, got = _public_records(area_store), _public_records(fresh)
    pd.testing.assert_frame_equal(want, got, check_dtype=False)
    # and the export of the import is the export we started from
    export_openreferral(fresh, tmp_path / "again")
    a = json.loads((tmp_path / "feed" / "services.json").read_text()) if via == "json" else \
        None
    if a is not None:
        b = json.loads((tmp_path / "again" / "services.json").read_text())
        strip = [{k: v for k, v in s.items() if k != "last_modified"} for s in a["contents"]]
        again = [{k: v for k, v in s.items() if k != "last_modified"} for s in b["contents"]]
        assert strip == again
    fresh.dispose()


def test_trust_signals_in_the_feed(area_store, tmp_path):
    """Where the standard has a place: accreditations (the mark, who awarded it, the CQC
    rating), languages (name and ISO 639 code); the focus terms as a taxonomy; the rest as
    provider details. The preferred list stays out unless the council publishes it; an
    imported mark is self-declared unless the import says the feed is the council's."""
    _seed(area_store)
    export_openreferral(area_store, tmp_path / "feed")
    feed = json.loads((tmp_path / "feed" / "services.json").read_text())["contents"]
    by = {next(a["value"] for a in s["attributes"] if a["taxonomy_term"]["code"] ==
               "assetmap_id"): s for s in feed}
    assert by["mp-1"]["accreditations"] == ("AssetMap quality mark: gold (verified by the "
                                            "council); CQC overall rating: Good")
    assert by["mp-home"]["accreditations"] == "AssetMap quality mark: silver (self-declared)"
    assert by["mp-2"]["languages"][0]["name"] == "Urdu" and \
        by["mp-2"]["languages"][0]["code"] == "ur"
    terms = {a["taxonomy_term"]["code"] for a in by["mp-2"]["attributes"]
             if a["taxonomy_term"]["taxonomy"] == "AssetMap community focus"}
    assert terms == {"urdu", "lgbt"}
    assert "preferred_list" not in json.dumps(feed)               # not published
    fresh = _fresh(tmp_path)
    import_openreferral(fresh, tmp_path / "feed" / "services.json")
    got = fresh.read_assets().set_index("id")
    assert got.at["mp-1", "quality_mark_by"] == "self"            # not the council's feed
    assert got.at["mp-1", "cqc_rating"] == "Good"
    assert got.at["mp-2", "community_tags"] == "urdu|lgbt"
    assert not got["preferred_list"].any()
    fresh.dispose()


def test_languages_of_other_feeds_become_focus_terms():
    s = {"languages": [{"name": "English", "code": "en"}, {"name": "Polish"},
                       {"code": "GU"}, {"name": "Klingon"}]}
    assert mapping.community_tags(s, {}) == "gujarati|polish"
    assert mapping.trust_fields({"accreditations": "CQC rating: requires improvement"},
                                {})["cqc_rating"] == "requires improvement"


def test_the_tabular_export_is_an_hsds_data_package(area_store, tmp_path):
    _seed(area_store)
    export_openreferral(area_store, tmp_path / "feed")
    dp = json.loads((tmp_path / "feed" / "datapackage.json").read_text())
    assert dp["profile"] == "tabular-data-package"
    paths = {r["name"]: r["path"] for r in dp["resources"]}
    assert paths["service_at_location"] == "service_at_location.csv"
    assert paths["service"] == "services.csv" and paths["taxonomy"] == "taxonomies.csv"
    for name, path in paths.items():
        assert TABLES[name] == path and (tmp_path / "feed" / path).exists()
        cols = pd.read_csv(tmp_path / "feed" / path, nrows=0).columns.tolist()
        assert [f["name"] for f in next(r for r in dp["resources"] if r["name"] == name)
                ["schema"]["fields"]] == cols
    assert not (tmp_path / "feed" / "service_at_locations.csv").exists()
    phones = pd.read_csv(tmp_path / "feed" / "phones.csv", dtype=str)
    assert set(phones["number"]) == {"0161 111 2222", "0161 222 3333"}   # public only
    assert phones["contact_id"].notna().all()


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
    assert _no_empty_values(allp) == []
    by = {s["id"]: s for s in allp}
    s = by[uid("service", "mp-1")]
    assert "capacities" not in s                      # HSDS 3.1, not 3.0
    assert s["status"] == "active" and s["accreditations"].startswith("AssetMap quality mark: gold")
    assert s["email"] == "help@example.org"
    assert [p["number"] for p in s["contacts"][0]["phones"]] == ["0161 222 3333"]
    assert s["cost_options"][0] == {**s["cost_options"][0], "amount": 18.5, "currency": "GBP"}
    details = {a["taxonomy_term"]["code"]: a.get("value") for a in s["attributes"]}
    assert details["capacity_hours"] == "40" and details["vacancies"] == "5"
    assert details["reach"] == "both"
    assert {"home" in x.get("attending_type", "") for x in s.get("schedules", [])} <= {True}
    uris = [a.get("uri") for a in s["service_areas"]]
    assert uris[:2] == [f"http://statistics.data.gov.uk/id/statistical-geography/{c}"
                        for c in CODES[:2]]
    ids = {i["identifier_type"]: i["identifier"]
           for i in s["organization"]["organization_identifiers"]}
    assert ids == {"CQC location ID": "1-999", "Company number": "01234567"}
    home = by[uid("service", "mp-home")]
    loc = home["service_at_locations"][0]["location"]
    assert "addresses" not in loc and "Approximate" in loc["name"]
    exact = centre(3, 123, 321)
    assert (loc["longitude"], loc["latitude"]) != pytest.approx(exact, abs=1e-5)
    assert "contacts" not in home and "email" not in home       # contact not public
    assert "contacts" not in by[uid("service", "mp-2")]
    mp2_loc = by[uid("service", "mp-2")]["service_at_locations"][0]["location"]
    assert "3 Mid Lane" in mp2_loc["description"]               # no postcode: no address
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
    assert e.value.row == 1 and e.value.field == "postcode" and "s1" in e.value.message
    assert area_store.counts()["assets"] == 0


def test_external_feed_minimal(area_store, tmp_path):
    lon, lat = centre(1)
    feed = {"total_items": 1, "contents": [{
        "id": "abc", "name": "Lunch club", "status": "active", "url": "https://x",
        "cost_options": [{"id": "c", "amount": 4, "currency": "GBP",
                          "amount_description": "per hour"}],
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
    # the service keeps its own id in the feed
    assert services_page(area_store)["contents"][0]["id"] == "abc"


# --- a rich service from another feed ------------------------------------------------------
SID = "ac148810-d857-441c-9679-408f346de14b"


def rich_service(lon, lat) -> dict:
    """A UK-profile service with phones, contacts, languages, eligibility, ages, fees,
    accreditations, funding, a service area and how to attend."""
    return {
        "id": SID, "organization_id": "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610",
        "name": "Community Befriending", "status": "active",
        "description": "Weekly visits and calls for people living alone.",
        "url": "https://befriending.example.org", "email": "hello@befriending.example.org",
        "eligibility_description": "Older people living alone, and their carers",
        "minimum_age": 60, "maximum_age": 120, "fees_description": "Free for most people",
        "accreditations": "Befriending Networks Quality Mark",
        "assured_date": "2024-05-01", "alert": "New volunteers welcome",
        "last_modified": "2024-06-01T10:30:45.123Z",
        "organization": {"id": "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610",
                         "name": "Befriending Trust", "description": "A local charity",
                         "email": "office@befriending.example.org",
                         "website": "https://trust.example.org",
                         "logo": "https://trust.example.org/logo.png",
                         "organization_identifiers": [{
                             "id": "d4dbcebc-0802-47cb-8651-b937ac4f2f3e",
                             "identifier_scheme": "GB-CHC", "identifier_type": "Charity number",
                             "identifier": "1234567"}]},
        "contacts": [{"id": "1e7efce3-639b-4880-940c-b95cd30cdb50", "name": "Ann Persona",
                      "title": "Coordinator",
                      "phones": [{"id": "5b2b3b0e-7b8a-4a0e-9d8a-1b2c3d4e5f60",
                                  "number": "0161 496 0000", "type": "voice",
                                  "description": "Weekdays"},
                                 {"id": "6c3c4c1f-8c9b-4b1f-8e9b-2c3d4e5f6a71",
                                  "number": "07700 900456", "type": "text"}]}],
        "languages": [{"id": "2989d3ed-c547-48f8-8f9d-432d81c7892e", "name": "Urdu",
                       "code": "ur"},
                      {"id": "3a9ad4fe-d658-49f9-9e4a-543e92d8a93f", "name": "English",
                       "code": "en"}],
        "cost_options": [{"id": "1fdf4d39-3d80-484d-9f92-a8ffa08621e7", "option": "Visits",
                          "amount": 12.5, "currency": "GBP", "amount_description": "per hour",
                          "valid_from": "2024-01-01", "valid_to": "2024-12-31"},
                         {"id": "2aeb5e4a-4e91-495e-a0a3-b9bb9e7a1230",
                          "option": "Membership", "amount": 10,
                          "amount_description": "per year"}],
        "funding": [{"id": "1f2df32c-bf08-4b8e-bd6f-e834014b19bc",
                     "source": "The council and the National Lottery"}],
        "service_areas": [{"id": "381c64f1-a724-4884-9c21-ac96c21cca3e",
                           "name": CODES[0], "service_area": "Our neighbourhood",
                           "uri": "http://statistics.data.gov.uk/id/statistical-geography/"
                                  + CODES[0]},
                          {"id": "4a2d75e2-b835-4995-8d32-bd07d2ddb94f", "name": "Drawn area",
                           "extent": POLY, "extent_type": "geojson"}],
        "schedules": [{"id": "48102e86-bb50-41c4-8f1e-e269368c41d1", "freq": "WEEKLY",
                       "interval": 1, "byday": "TU,TH", "opens_at": "10:00",
                       "closes_at": "16:00", "attending_type": "We visit you at home",
                       "notes": "Not on bank holidays"}],
        "attributes": [{"id": "ae58cc39-8b70-4ab1-8aea-786882e5ac8e",
                        "taxonomy_term_id": "bf7e0b1c-6d1b-4c59-8f0f-4a8d2f7f1e11",
                        "link_type": "service_type",
                        "taxonomy_term": {"id": "bf7e0b1c-6d1b-4c59-8f0f-4a8d2f7f1e11",
                                          "name": "Befriending", "description": "Befriending",
                                          "taxonomy": "Council service types",
                                          "taxonomy_id": "c1a8e0f2-7d35-4f0b-b6a1-3f0a7b9c2d44"}}],
        "service_at_locations": [{"id": "e94c9f38-1e8f-4564-91d4-d53501ab1765",
                                  "location": {
                                      "id": "f2a3b4c5-d6e7-4f80-9a1b-2c3d4e5f6071",
                                      "location_type": "physical", "name": "Trust office",
                                      "latitude": round(lat, 6), "longitude": round(lon, 6),
                                      "external_identifier": "100012345678",
                                      "external_identifier_type": "UPRN",
                                      "addresses": [{
                                          "id": "0b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b",
                                          "address_1": "5 Chapel Street", "city": "Sale",
                                          "state_province": "Greater Manchester",
                                          "postal_code": "M33 7AB", "country": "GB",
                                          "address_type": "physical"}]}}],
    }


def leaves(obj, path=()) -> set:
    """(path, value) of every leaf; list items are named by their id where they have one."""
    out = set()
    if isinstance(obj, dict):
        for k, v in obj.items():
            out |= leaves(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            key = v.get("id", i) if isinstance(v, dict) else i
            out |= leaves(v, path + (key,))
    else:
        out.add((path, json.dumps(obj)))
    return out


def _exported(store, tmp_path, name="out") -> dict:
    export_openreferral(store, tmp_path / name)
    feed = json.loads((tmp_path / name / "services.json").read_text())
    return {s["id"]: s for s in feed["contents"]}


def test_import_keeps_every_field_and_export_gives_every_leaf_back(area_store, tmp_path):
    lon, lat = centre(2)
    original = rich_service(lon, lat)
    (tmp_path / "one.json").write_text(json.dumps(original))    # a /services/{id} body
    rep = import_openreferral(area_store, tmp_path / "one.json")
    assert rep.written == {"assets": 1, "providers": 1}
    a = area_store.read_assets().iloc[0]
    # what the model can hold is in the model
    assert a["id"] == f"or-{SID}" and a["name"] == "Community Befriending"
    assert a["contact"] == "0161 496 0000; 07700 900456; hello@befriending.example.org"
    assert model.split_list(a["client_groups"]) == ["older_people", "carers"]
    assert model.split_list(a["service_types"]) == ["befriending"]
    assert a["hourly_price"] == 12.5 and a["reach"] == "visits"
    assert a["area_served"] == CODES[0] and json.loads(a["area_served_geojson"])
    assert a["community_focus"] == "Languages: Urdu" and a["charity_number"] == "1234567"
    assert a["opening_hours"] == "Tu,Th 10:00-16:00" and a["last_reviewed"] == "2024-05-01"
    assert a["website"] == "https://befriending.example.org"
    # and the export gives every leaf value back, at the same place
    out = _exported(area_store, tmp_path)[SID]
    missing = leaves(original) - leaves(out)
    assert missing == set()
    # a second trip (import the export into a fresh store) changes nothing
    fresh = _fresh(tmp_path, "second")
    (tmp_path / "two.json").write_text(json.dumps(out))
    import_openreferral(fresh, tmp_path / "two.json")
    again = _exported(fresh, tmp_path, "out2")[SID]
    assert leaves(original) - leaves(again) == set()
    assert {k: v for k, v in again.items() if k != "url"} == \
        {k: v for k, v in out.items() if k != "url"}
    fresh.dispose()


def test_the_tabular_package_round_trips_every_leaf(area_store, tmp_path):
    lon, lat = centre(2)
    original = rich_service(lon, lat)
    (tmp_path / "one.json").write_text(json.dumps(original))
    import_openreferral(area_store, tmp_path / "one.json")
    export_openreferral(area_store, tmp_path / "pkg")
    (tmp_path / "pkg" / "services.json").unlink()
    fresh = _fresh(tmp_path, "pkg")
    import_openreferral(fresh, tmp_path / "pkg")
    out = _exported(fresh, tmp_path, "pkg-out")[SID]
    assert leaves(original) - leaves(out) == set()
    fresh.dispose()


def test_an_edit_in_assetmap_wins_over_the_kept_value(area_store, tmp_path):
    lon, lat = centre(2)
    (tmp_path / "one.json").write_text(json.dumps(rich_service(lon, lat)))
    import_openreferral(area_store, tmp_path / "one.json")
    aid = f"or-{SID}"
    area_store.update_asset(aid, {"asset": {"contact": "0161 999 8888"}},
                            expected_version=None, changed_by="pat")
    s = _exported(area_store, tmp_path)[SID]
    numbers = [p["number"] for c in s["contacts"] for p in c.get("phones", [])]
    assert numbers == ["0161 999 8888"] and "email" not in s
    assert s["alert"] == "New volunteers welcome"          # unrelated kept fields stay
    assert s["organization"]["logo"] == "https://trust.example.org/logo.png"
    # the contact made private: no kept phone, e-mail or contact is published
    area_store.update_asset(aid, {"asset": {"contact_public": False,
                                            "contact": "0161 496 0000"}},
                            expected_version=None, changed_by="pat")
    s = _exported(area_store, tmp_path, "out2")[SID]
    text = json.dumps(s)
    assert "0161 496 0000" not in text and "07700 900456" not in text
    assert "hello@befriending" not in text and "Ann Persona" not in text


@pytest.mark.parametrize("extra, groups", [
    ({"minimum_age": 12}, None),                                  # 12+ is not older people
    ({"minimum_age": 65}, ["older_people"]),
    ({"eligibility_description": "People with dementia and their carers"},
     ["dementia", "carers"]),
    ({"eligibility_description": "Young carers", "minimum_age": 8, "maximum_age": 17},
     ["carers"]),
    ({}, None),
])
def test_client_groups_come_from_eligibility_and_ages(area_store, tmp_path, extra, groups):
    lon, lat = centre(1)
    s = {"id": "9b1f0c2e-1111-4a5b-8c6d-7e8f9a0b1c2d", "name": "Club", "status": "active",
         "cost_options": [{"id": "c1", "amount": 3, "amount_description": "per hour"}],
         "service_at_locations": [{"id": "x", "location": {"id": "y", "latitude": lat,
                                                           "longitude": lon}}], **extra}
    (tmp_path / "f.json").write_text(json.dumps({"contents": [s]}))
    rep = import_openreferral(area_store, tmp_path / "f.json")
    a = area_store.read_assets().iloc[0]
    if groups is None:      # nothing assumed: a community asset, its price kept verbatim
        assert not a["is_provider"] and rep.written == {"assets": 1}
        assert any("say nothing of who they are for" in n for n in rep.notes)
        out = services_page(area_store)["contents"][0]
        assert out["cost_options"][0]["amount"] == 3
    else:
        assert model.split_list(a["client_groups"]) == groups


def test_services_outside_the_borough_are_reported_one_by_one(area_store, tmp_path):
    lon, lat = centre(1)
    inside = rich_service(lon, lat)
    away = copy.deepcopy(inside)
    away["id"], away["name"] = "7d0e5b1a-2222-4c3d-9e8f-0a1b2c3d4e5f", "Far Away Club"
    away["service_at_locations"][0]["location"].update(latitude=51.5, longitude=-0.12)
    (tmp_path / "f.json").write_text(json.dumps({"contents": [inside, away]}))
    with pytest.raises(InputError, match="outside"):
        import_openreferral(area_store, tmp_path / "f.json")
    rep = import_openreferral(area_store, tmp_path / "f.json", skip_bad=True)
    assert rep.written["assets"] == 1 and len(rep.skipped) == 1
    err = rep.skipped[0]
    assert err.row == 2 and away["id"] in err.message and "Far Away Club" in err.message
    assert "outside" in rep.summary()


def test_pages_in_a_folder_and_old_names(area_store, tmp_path):
    lon, lat = centre(0)
    pages = tmp_path / "pages"
    pages.mkdir()
    for i in (1, 2):
        s = {"id": f"0000000{i}-0000-4000-8000-000000000000", "name": f"Group {i}",
             "status": "active", "regular_schedules": [{"id": f"s{i}", "description": "Mo"}],
             "service_at_locations": [{"id": f"l{i}", "location": {
                 "id": f"x{i}", "latitude": lat, "longitude": lon,
                 "physical_addresses": [{"address_1": f"{i} Road", "postal_code": "M1 1AA"}]}}]}
        (pages / f"page-{i}.json").write_text(json.dumps({"contents": [s]}))
    import_openreferral(area_store, pages)
    a = area_store.read_assets(statuses=None).sort_values("name")
    assert a["name"].tolist() == ["Group 1", "Group 2"]
    assert a["opening_hours"].tolist() == ["Mo", "Mo"] and a["address"].iloc[0] == "1 Road"
