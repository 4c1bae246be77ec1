"""Categories of imported assets (assetmap/io/asset_categories.py): words, file names,
category mapping files (``--category-map``) and warm spaces by their venue type."""
from __future__ import annotations

import pytest
from test_io_common import area_store, centre, io_store, snapshot, write_csv  # noqa: F401

from assetmap import model
from assetmap.errors import InputError
from assetmap.io.asset_categories import (
    category_from_filename,
    category_of,
    load_category_map,
    venue_category,
)
from assetmap.io.assets_csv import import_assets


@pytest.mark.parametrize("word, cat", [
    ("Dentist", "dentist"), ("Dental practice", "dentist"), ("Food bank", "food_bank"),
    ("community pantry", "food_bank"), ("Hospital", "hospital"), ("Post Office", "post_office"),
    ("bus stop", "transport_stop"), ("Metrolink stop", "transport_stop"),
    ("Railway station", "transport_stop"), ("Warm space", "warm_space"),
    ("Warm Welcome", "warm_space"), ("supermarket", "food_shop"), ("GP", "gp_practice"),
    ("Bus, tram or rail stop", "transport_stop"), ("spaceport", None), ("", None)])
def test_words(word, cat):
    assert category_of(word) == cat


def test_every_category_is_its_own_word():
    for key, label in model.ASSET_CATEGORIES.items():
        assert category_of(key) == key and category_of(label) == key


@pytest.mark.parametrize("name, cat", [
    ("trafford_dentists.csv", "dentist"), ("trafford_food_banks.csv", "food_bank"),
    ("trafford_hospitals.geojson", "hospital"), ("trafford_post_offices.geojson", "post_office"),
    ("trafford_bus_stops.csv", "transport_stop"), ("trafford_metrolink_stops.geojson",
                                                   "transport_stop"),
    ("trafford_train_stops.geojson", "transport_stop"), ("rutland_warm_spaces.geojson",
                                                         "warm_space"),
    ("trafford_general_practices.csv", "gp_practice"), ("trafford_libraries.csv", "library"),
    ("trafford_places_of_worship.geojson", "faith_venue"), ("public_toilets.csv", None)])
def test_file_names(name, cat):
    assert category_from_filename(name) == cat


@pytest.mark.parametrize("name, address, cat", [
    ("Ketton Library", "Ketton Library, Rutland PE9 3TE", "library"),
    ("Coppice Library & Wellbeing Centre", None, "library"),
    ("All Saints Church, Stretford", None, "faith_venue"),
    ("Altrincham URC", "Altrincham United Reformed Church, Cheshire", "faith_venue"),
    ("Stretford Public Hall", None, "community_centre"),
    ("Sale West Youth Centre", None, "community_centre"),
    ("The Tea Room", "The Friends Of Victoria Park, Manchester", "cafe_pub"),
    ("Circle Funerals", "Circle Funerals, Altrincham", None),
    ("MenZone", "Beacon Centre, Lancashire M11 4FB", None)])
def test_warm_space_venues(name, address, cat):
    assert venue_category(name, address) == cat


def test_yaml_and_csv_maps(tmp_path):
    (tmp_path / "m.yaml").write_text("column: CLASSIFICA\ndefault: other\nmap:\n"
                                     "  Place Of Worship: faith_venue\n  Hospital: Hospital\n")
    cm = load_category_map(tmp_path / "m.yaml")
    assert cm.column == "CLASSIFICA" and cm.default == "other"
    assert cm.of("place of worship") == "faith_venue" and cm.of("HOSPITAL") == "hospital"
    assert cm.of("Dentist") == "dentist"            # not listed: the usual words
    assert cm.of("Spaceport") == "other"            # then the default
    (tmp_path / "flat.yml").write_text("Surgery (NHS): gp_practice\nChemist: pharmacy\n")
    assert load_category_map(tmp_path / "flat.yml").of("surgery nhs") == "gp_practice"
    write_csv(tmp_path / "m.csv", ["value", "category"], [["Foodbank Voucher", "food_bank"],
                                                          ["Drop-in", "warm space"]])
    cm = load_category_map(tmp_path / "m.csv")
    assert cm.of("foodbank voucher") == "food_bank" and cm.of("drop in") == "warm_space"
    assert cm.of("elsewhere") is None


def test_bad_maps_name_file_row_and_field(tmp_path):
    write_csv(tmp_path / "bad.csv", ["value", "category"], [["A", "library"], ["B", "casino"]])
    with pytest.raises(InputError) as e:
        load_category_map(tmp_path / "bad.csv")
    assert (e.value.file, e.value.row) == (str(tmp_path / "bad.csv"), 2)
    assert "casino" in e.value.message and "'B'" in e.value.field
    (tmp_path / "bad.yaml").write_text("map: [1, 2]\n")
    with pytest.raises(InputError, match="map"):
        load_category_map(tmp_path / "bad.yaml")
    (tmp_path / "bad2.yaml").write_text("a: [b\n")
    with pytest.raises(InputError, match="YAML"):
        load_category_map(tmp_path / "bad2.yaml")
    with pytest.raises(InputError, match="no such"):
        load_category_map(tmp_path / "missing.yaml")


def test_import_through_a_map(area_store, tmp_path):
    rows = [[f"Place {i}", kind, *reversed(centre(i))]
            for i, kind in enumerate(["Place Of Worship", "Hospital", "Unusual", "Dentist"])]
    path = write_csv(tmp_path / "os_buildings.csv", ["name", "CLASSIFICA", "lat", "lon"], rows)
    (tmp_path / "m.yaml").write_text("column: CLASSIFICA\nmap:\n  Place Of Worship: faith_venue\n"
                                     "  Hospital: hospital\n")
    before = snapshot(area_store)
    with pytest.raises(InputError) as e:                       # 'Unusual' is nowhere
        import_assets(area_store, path, category_map=tmp_path / "m.yaml")
    assert (e.value.row, e.value.field) == (3, "category") and "category map" in e.value.message
    assert snapshot(area_store) == before
    (tmp_path / "m.yaml").write_text("column: CLASSIFICA\ndefault: other\nmap:\n"
                                     "  Place Of Worship: faith_venue\n  Hospital: hospital\n")
    import_assets(area_store, path, category_map=tmp_path / "m.yaml")
    got = area_store.read_assets().set_index("name")["category"].to_dict()
    assert got == {"Place 0": "faith_venue", "Place 1": "hospital", "Place 2": "other",
                   "Place 3": "dentist"}
    # without 'column:' the map reads the file's type column, or --category-column
    path2 = write_csv(tmp_path / "typed.csv", ["name", "type", "lat", "lon"],
                      [["Typed", "Hospital", *reversed(centre(0))]])
    with pytest.raises(InputError, match="the category map's column 'CLASSIFICA'"):
        import_assets(area_store, path2, category_map=tmp_path / "m.yaml")
    (tmp_path / "nocol.yaml").write_text("Hospital: hospital\n")
    rep = import_assets(area_store, path2, category_map=tmp_path / "nocol.yaml")
    assert any("column 'type'" in n for n in rep.notes)
    path3 = write_csv(tmp_path / "other.csv", ["name", "kind_of_place", "lat", "lon"],
                      [["Other col", "Hospital", *reversed(centre(1))]])
    with pytest.raises(InputError, match="--category-column"):
        import_assets(area_store, path3, category_map=tmp_path / "nocol.yaml")
    import_assets(area_store, path3, category_map=tmp_path / "nocol.yaml",
                  category_column="kind_of_place")
    assert area_store.read_assets().set_index("name").at["Other col", "category"] == "hospital"


def test_warm_space_file_keeps_real_categories(area_store, tmp_path):
    rows = [["Oakham Library", "Oakham Library, Oakham", "Free wifi", *reversed(centre(0))],
            ["St Mary's Church", "", "", *reversed(centre(1))],
            ["Tuesday Drop-in", "12 High St", "Tea", *reversed(centre(2))]]
    path = write_csv(tmp_path / "warm_spaces.csv",
                     ["title", "address", "description", "lat", "lon"], rows)
    rep = import_assets(area_store, path)
    a = area_store.read_assets().set_index("name")
    assert a["category"].to_dict() == {"Oakham Library": "library",
                                       "St Mary's Church": "faith_venue",
                                       "Tuesday Drop-in": "warm_space"}
    assert a.at["Oakham Library", "description"] == "Warm space: Free wifi"
    assert a.at["St Mary's Church", "description"] == "Warm space"
    assert a.at["Tuesday Drop-in", "description"] == "Tea"
    assert any("2 warm space(s) filed by their venue type" in n for n in rep.notes)
