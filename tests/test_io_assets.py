"""Assets and providers from CSV/XLSX/GeoJSON, and the CQC directory."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from test_io_common import area_store, centre, io_store, snapshot, write_csv  # noqa: F401

from assetmap.errors import InputError
from assetmap.io.assets_csv import import_assets
from assetmap.io.cqc import import_cqc
from assetmap.io.postcodes import import_postcodes


@pytest.fixture
def pc_store(area_store, tmp_path):
    """Test areas plus two postcodes inside them and one outside."""
    (a, b), (c, d) = centre(0), centre(3)
    write_csv(tmp_path / "pcs.csv", ["postcode", "lon", "lat"],
              [["M1 1AA", a, b], ["M1 1AB", c, d], ["M9 9ZZ", a + 0.2, b]])
    import_postcodes(area_store, tmp_path / "pcs.csv")
    return area_store


def test_latlon_and_postcode_rows(pc_store, tmp_path):
    lon, lat = centre(1)
    path = write_csv(tmp_path / "assets.csv",
                     ["name", "category", "lat", "lon", "postcode", "telephone", "opening_hours"],
                     [["Hall", "Community centre", lat, lon, "", "0161 000", "Mo-Fr 09:00-17:00"],
                      ["Books", "library", "", "", "m1 1ab", "", ""],
                      ["St Mary", "place of worship", "NA", "NA", "M1 1AA", "", ""]])
    rep = import_assets(pc_store, path)
    assert rep.written["assets"] == 3
    a = pc_store.read_assets().set_index("name")
    assert a.at["Hall", "category"] == "community_centre"
    assert a.at["Books", "postcode"] == "M1 1AB"
    assert a.at["Books", "geometry"].x == pytest.approx(centre(3)[0])
    assert a.at["St Mary", "category"] == "faith_venue"
    assert a.at["Hall", "contact"] == "0161 000" and a.at["Hall", "contact_public"]
    assert not a["is_provider"].any()
    # same file again: no duplicates, versions go up
    import_assets(pc_store, path)
    assert pc_store.counts()["assets"] == 3
    assert set(pc_store.read_assets()["version"]) == {2}


def test_providers_with_service_columns(pc_store, tmp_path):
    lon, lat = centre(2)
    path = write_csv(tmp_path / "providers.csv",
                     ["id", "name", "category", "lat", "lon", "service_types", "client_groups",
                      "hourly_price", "quality_mark", "staff_fte", "capacity_hours",
                      "vacancies", "home_based", "contact", "charity_number"],
                     [["mp-1", "Helping Hands", "micro_provider", lat, lon,
                       "Support in the home|befriending", "older_people|Dementia", "£18.50",
                       "Gold", 2, 30, 5, "yes", "07700 900000", "1234567"]])
    rep = import_assets(pc_store, path)
    assert rep.written == {"assets": 1, "providers": 1}
    p = pc_store.read_assets().iloc[0]
    assert p["id"] == "mp-1" and p["service_types"] == "home_support|befriending"
    assert p["client_groups"] == "older_people|dementia" and p["hourly_price"] == 18.5
    assert p["quality_mark"] == "gold" and p["home_based"] and not p["contact_public"]
    # another file naming the same charity updates that record instead of adding one
    path2 = write_csv(tmp_path / "again.csv",
                      ["name", "category", "lat", "lon", "client_groups", "charity_number"],
                      [["Helping Hands CIC", "micro_provider", lat, lon, "carers", "1234567"]])
    rep = import_assets(pc_store, path2)
    assert pc_store.counts()["assets"] == 1
    assert pc_store.read_assets().iloc[0]["client_groups"] == "carers"


def test_xlsx_and_geojson(pc_store, tmp_path):
    lon, lat = centre(0)
    pd.DataFrame({"Name": ["Park"], "Category": ["park"], "Latitude": [lat],
                  "Longitude": [lon]}).to_excel(tmp_path / "a.xlsx", index=False)
    assert import_assets(pc_store, tmp_path / "a.xlsx").written["assets"] == 1
    (tmp_path / "warm_spaces.geojson").write_text(json.dumps({
        "type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
            "title": "Warm room", "hours": {"_text": "Tue"}},
            "geometry": {"type": "Point", "coordinates": [lon, lat]}}]}))
    rep = import_assets(pc_store, tmp_path / "warm_spaces.geojson")
    assert rep.written["assets"] == 1
    assert any("file name" in n for n in rep.notes)
    # a warm-space file: its own category unless the venue's name says what it is
    assert set(pc_store.read_assets()["category"]) == {"park", "warm_space"}


def test_each_bad_row_kind(pc_store, tmp_path):
    before = snapshot(pc_store)
    lon, lat = centre(0)
    path = write_csv(tmp_path / "bad.csv", ["name", "category", "lat", "lon", "postcode"], [
        ["Good", "library", lat, lon, ""],
        ["No cat", "spaceport", lat, lon, ""],            # 2 unknown category
        ["Unknown pc", "library", "", "", "M5 5XX"],       # 3 postcode not in lookup
        ["Outside", "library", "", "", "M9 9ZZ"],          # 4 outside the areas
        ["Swapped", "library", lon, lat, ""],              # 5 lat/lon swapped
        ["Junk", "library", "north", lon, ""],             # 6 malformed number
        ["", "library", lat, lon, ""],                     # 7 blank name
        ["Nowhere", "library", "", "", ""],                # 8 no location
        ["Bad pc", "library", "", "", "NOT-A-POSTCODE"],   # 9 malformed postcode
    ])
    with pytest.raises(InputError) as e:
        import_assets(pc_store, path)
    got = {(x.row, x.field) for x in e.value.errors}
    assert got == {(2, "category"), (3, "postcode"), (4, "postcode"), (5, "lat"), (6, "lat"),
                   (7, "name"), (8, "postcode"), (9, "postcode")}
    assert "bad.csv" in str(e.value)
    assert snapshot(pc_store) == before
    rep = import_assets(pc_store, path, skip_bad=True)
    assert rep.written["assets"] == 1 and len(rep.skipped) == 8
    assert "skipped 8 bad row(s)" in rep.summary()


def test_missing_columns_and_bad_files(pc_store, tmp_path):
    write_csv(tmp_path / "x.csv", ["foo", "lat", "lon"], [["a", 1, 2]])
    with pytest.raises(InputError) as e:        # --name-column must name a column
        import_assets(pc_store, tmp_path / "x.csv", category="library", name_column="title")
    assert e.value.field == "title" and "foo, lat, lon" in e.value.message
    lon, lat = centre(0)
    write_csv(tmp_path / "things.csv", ["name", "lat", "lon"], [["a", lat, lon]])
    with pytest.raises(InputError) as e:
        import_assets(pc_store, tmp_path / "things.csv")
    assert e.value.field == "category" and "--category" in e.value.message
    with pytest.raises(InputError) as e:
        import_assets(pc_store, tmp_path / "things.csv", category="spaceport")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InputError, match="empty"):
        import_assets(pc_store, tmp_path / "empty.csv", category="library")
    (tmp_path / "cut.csv").write_text(f"name,lat,lon\na,{lat},{lon}\nb,{lat}")
    with pytest.raises(InputError, match="truncated"):
        import_assets(pc_store, tmp_path / "cut.csv", category="library")
    write_csv(tmp_path / "prov.csv", ["name", "category", "lat", "lon", "service_types"],
              [["p", "micro_provider", lat, lon, "juggling"]])
    with pytest.raises(InputError) as e:
        import_assets(pc_store, tmp_path / "prov.csv")
    assert (e.value.row, e.value.field) == (1, "service_types")


CQC_HEAD = ["name", "cqc_id", "type", "address", "postcode", "telephone", "website", "provider",
            "inspection_date", "cqc_webpage", "area_name", "area_code", "lon", "lat"]


def test_cqc_directory_to_providers(pc_store, tmp_path):
    lon, lat = centre(1)
    rows = [["Oak House", "1-111", "Nursing homes", "1 Oak Rd, Sale", "M1 1AA", "0161", "NA",
             "Oak Ltd", "2024-01-02", "https://x/1-111", "T", "E0800009", lon, lat],
            ["Care At Home", "1-222", "Homecare agencies|Supported living", "2 Elm", "M1 1AB",
             "", "", "Elm Ltd", "2023-05-05", "", "", "", "", ""],
            ["Oak House again", "1-111", "Nursing homes", "", "M1 1AA", "", "", "", "", "",
             "", "", lon, lat]]
    path = write_csv(tmp_path / "care_homes.csv", CQC_HEAD, rows)
    rep = import_cqc(pc_store, path)
    assert rep.written == {"assets": 2, "providers": 2}
    a = pc_store.read_assets().set_index("id")
    assert a.at["cqc-1-111", "service_types"] == "accommodation"
    assert a.at["cqc-1-222", "service_types"] == "domiciliary_care|home_support"
    assert a.at["cqc-1-111", "cqc_registered"] and a.at["cqc-1-111", "cqc_location_id"] == "1-111"
    assert a.at["cqc-1-111", "last_reviewed"] == "2024-01-02"
    assert any("repeats" in n for n in rep.notes)
    import_cqc(pc_store, path)
    assert pc_store.counts()["providers"] == 2


def test_cqc_hsca_layout_with_flags(pc_store, tmp_path):
    lon, lat = centre(2)
    head = ["Location ID", "Location Name", "Location Postal Code", "Location Latitude",
            "Location Longitude", "Care homes beds", "Location Latest Overall Rating",
            "Service type - Domiciliary care service", "Service user band - Dementia",
            "Service user band - Older People"]
    path = write_csv(tmp_path / "hsca.csv", head,
                     [["1-333", "Rose Care", "M1 1AA", lat, lon, "40", "Good", "Y", "Y", "Y"]])
    import_cqc(pc_store, path)
    r = pc_store.read_assets().iloc[0]
    assert r["client_groups"] == "older_people|dementia"
    assert r["capacity_places"] == 40 and pd.isna(r["capacity_hours"])   # beds are places
    assert "CQC rating: Good" in r["description"]


def test_cqc_bad_input(pc_store, tmp_path):
    write_csv(tmp_path / "nocqc.csv", ["name", "postcode"], [["a", "M1 1AA"]])
    with pytest.raises(InputError) as e:
        import_cqc(pc_store, tmp_path / "nocqc.csv")
    assert e.value.field == "cqc_location_id"
    path = write_csv(tmp_path / "blank.csv", CQC_HEAD,
                     [["A", "", "Nursing homes", "", "M1 1AA"] + [""] * 9])
    with pytest.raises(InputError) as e:
        import_cqc(pc_store, path)
    assert (e.value.row, e.value.field) == (1, "cqc_location_id")


def test_cross_border_rows_kept_farther_ones_refused(area_store, tmp_path, monkeypatch):
    places = {"Inside": centre(0), "Edge": centre(0, dx=-50),       # 50 m out: inside
              "Across": centre(0, dx=-1500), "Far": centre(0, dx=-3000)}
    path = write_csv(tmp_path / "gps.csv", ["name", "lat", "lon"],
                     [[n, lat, lon] for n, (lon, lat) in places.items()])
    before = snapshot(area_store)
    with pytest.raises(InputError) as e:
        import_assets(area_store, path)
    assert (e.value.row, e.value.field) == (4, "lat") and "more than 2 km" in e.value.message
    assert "gps.csv" in str(e.value) and snapshot(area_store) == before
    rep = import_assets(area_store, path, skip_bad=True)
    assert rep.written["assets"] == 3
    assert any("1 row(s) lie outside the stored areas but within 2 km" in n for n in rep.notes)
    a = area_store.read_assets().set_index("name")
    assert a["cross_border"].to_dict() == {"Inside": False, "Edge": False, "Across": True}
    assert set(a["category"]) == {"gp_practice"}
    monkeypatch.setattr("assetmap.settings.CROSS_BORDER_BUFFER_KM", 1.0)
    with pytest.raises(InputError) as e:
        import_assets(area_store, path)
    assert {x.row for x in e.value.errors} == {3, 4} and "more than 1 km" in e.value.message


def test_providers_with_reach_places_and_vacancy_dates(pc_store, tmp_path):
    """The reach columns (issue 10) are read and stored; a wrong one is refused naming the
    file, row and field."""
    from test_io_common import CODES
    lon, lat = centre(2)
    poly = json.dumps({"type": "Polygon", "coordinates": [[[lon - .01, lat - .01],
                                                           [lon + .01, lat - .01],
                                                           [lon, lat + .01],
                                                           [lon - .01, lat - .01]]]})
    head = ["id", "name", "category", "lat", "lon", "service_types", "client_groups",
            "reach", "area_served", "area_served_geojson", "capacity_places", "vacancies",
            "vacancies_confirmed"]
    path = write_csv(tmp_path / "reach.csv", head, [
        ["mp-r1", "Round Help", "micro_provider", lat, lon, "home_support", "dementia",
         "visits", f"{CODES[0]}|{CODES[1].lower()}", "", "", "", ""],
        ["mp-r2", "Shared Lives", "micro_provider", lat, lon, "accommodation", "older_people",
         "venue", "", poly, 3, 1, "2026-01-31"]])
    import_assets(pc_store, path)
    p = pc_store.read_assets().set_index("id")
    assert p.at["mp-r1", "reach"] == "visits"
    assert p.at["mp-r1", "area_served"] == f"{CODES[0]}|{CODES[1]}".upper()
    assert p.at["mp-r2", "capacity_places"] == 3 and p.at["mp-r2", "vacancies"] == 1
    assert p.at["mp-r2", "vacancies_confirmed"] == "2026-01-31"
    assert json.loads(p.at["mp-r2", "area_served_geojson"])["type"] == "Polygon"
    for col, value, words in (("area_served_geojson", '{"type": "Point", "coordinates": [0, 0]}',
                               "must be a polygon"),
                              ("vacancies_confirmed", "31/01/2026", "is not a date"),
                              ("reach", "sometimes", "is not one of")):
        row = ["mp-bad", "Bad", "micro_provider", lat, lon, "home_support", "dementia",
               "", "", "", "", "", ""]
        row[head.index(col)] = value
        bad = write_csv(tmp_path / f"bad_{col}.csv", head, [row])
        with pytest.raises(InputError) as e:
            import_assets(pc_store, bad)
        assert words in str(e.value) and col in str(e.value) and "row" in str(e.value), e.value


# --- trust signals (issue 11, item 5) ---------------------------------------------------------
def test_cqc_import_fills_the_rating(pc_store, tmp_path):
    lon, lat = centre(2)
    head = ["Location ID", "Location Name", "Location Postal Code", "Location Latitude",
            "Location Longitude", "Location Latest Overall Rating",
            "Service type - Domiciliary care service", "Service user band - Older People"]
    rows = [["1-401", "Good Care", "", lat, lon, "Good", "Y", "Y"],
            ["1-402", "Better Care", "", lat, lon, "Requires Improvement", "Y", "Y"],
            ["1-403", "New Care", "", lat, lon, "Not yet rated", "Y", "Y"],
            ["1-404", "Quiet Care", "", lat, lon, "", "Y", "Y"]]
    import_cqc(pc_store, write_csv(tmp_path / "hsca.csv", head, rows))
    a = pc_store.read_assets().set_index("id")
    assert a.at["cqc-1-401", "cqc_rating"] == "Good"
    assert a.at["cqc-1-402", "cqc_rating"] == "Requires improvement"
    assert a.at["cqc-1-403", "cqc_rating"] is None and a.at["cqc-1-404", "cqc_rating"] is None
    assert "CQC rating: Good" in a.at["cqc-1-401", "description"]      # the text is kept


def _trust_csv(tmp_path):
    lon, lat = centre(1)
    head = ["name", "category", "lat", "lon", "client_groups", "quality_mark",
            "quality_mark_by", "cqc_rating", "cqc_location_id", "community_tags",
            "community_focus"]
    rows = [["Sahara Care", "micro_provider", lat, lon, "older_people", "gold", "council",
             "good", "1-555", "Urdu|gujarati", "South Asian elders"],
            ["Polska Pomoc", "micro_provider", lat, lon, "older_people", "Silver", "self",
             "", "", "", "Polish speakers"],
            ["Anyone Helps", "micro_provider", lat, lon, "older_people", "bronze", "",
             "", "", "", ""]]
    return write_csv(tmp_path / "providers.csv", head, rows)


def test_csv_trust_fields_self_declared_unless_the_council_says(pc_store, tmp_path):
    import_assets(pc_store, _trust_csv(tmp_path))
    a = pc_store.read_assets().set_index("name")
    assert list(a["quality_mark_by"]) == ["self"] * 3        # a file says what is claimed
    assert a.at["Sahara Care", "cqc_rating"] == "Good"
    assert a.at["Sahara Care", "community_tags"] == "urdu|gujarati"
    assert a.at["Polska Pomoc", "community_tags"] == "polish"   # read from the free text
    assert a.at["Anyone Helps", "community_tags"] is None
    import_assets(pc_store, _trust_csv(tmp_path), council_verified_marks=True)
    a = pc_store.read_assets().set_index("name")
    assert a.at["Sahara Care", "quality_mark_by"] == "council"
    assert a.at["Polska Pomoc", "quality_mark_by"] == "self"     # the row says self
    assert a.at["Anyone Helps", "quality_mark_by"] == "council"


@pytest.mark.parametrize("col, value", [("cqc_rating", "Excellent"),
                                        ("community_tags", "urdu|klingon")])
def test_csv_bad_trust_fields_name_row_and_field(pc_store, tmp_path, col, value):
    lon, lat = centre(1)
    path = write_csv(tmp_path / "bad.csv", ["name", "category", "lat", "lon",
                                            "client_groups", col],
                     [["A", "micro_provider", lat, lon, "older_people", value]])
    with pytest.raises(InputError) as e:
        import_assets(pc_store, path)
    assert (e.value.row, e.value.field) == (1, col)


def test_cli_council_verified_marks_option(pc_store, tmp_path, runner):
    from assetmap.cli import main
    r = runner.invoke(main, ["--db", pc_store.url, "import", "assets",
                             str(_trust_csv(tmp_path)), "--council-verified-marks"])
    assert r.exit_code == 0, r.output
    a = pc_store.read_assets().set_index("name")
    assert a.at["Sahara Care", "quality_mark_by"] == "council"
