"""Assets as they come (assetmap/io/asset_features.py): polygons and lines become a point
on them and keep their outline, parts of one place are merged, and records without a name
are named by category and street, postcode or position."""
from __future__ import annotations

import json

import geopandas as gpd
import pytest
from pyproj import Transformer
from shapely.geometry import LineString, Polygon, box, mapping
from test_io_common import ORIGIN, area_store, io_store, snapshot, write_csv  # noqa: F401

from assetmap.errors import InputError
from assetmap.io.asset_features import fallback_name, merge_parts
from assetmap.io.assets_csv import import_assets
from assetmap.io.postcodes import import_postcodes

_TO_LL = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def ll(x, y):
    """lon/lat of a point (metres) from the test areas' south-west corner."""
    return _TO_LL.transform(ORIGIN[0] + x, ORIGIN[1] + y)


def to_ll(geom):
    from shapely.ops import transform
    return transform(lambda x, y, z=None: _TO_LL.transform(x + ORIGIN[0], y + ORIGIN[1]), geom)


def feature(props, geom):
    return {"type": "Feature", "properties": props, "geometry": mapping(to_ll(geom))}


def write_geojson(path, features):
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


#: A U-shaped building: its centroid lies in the courtyard, outside the walls.
U_SHAPE = Polygon([(100, 100), (400, 100), (400, 400), (330, 400), (330, 170), (170, 170),
                   (170, 400), (100, 400)])


def test_polygons_and_lines_become_points_on_them(area_store, tmp_path):
    assert not U_SHAPE.contains(U_SHAPE.centroid)
    path = write_geojson(tmp_path / "hospitals.geojson", [
        feature({"DISTNAME": "Hall", "ID": "a"}, U_SHAPE),
        feature({"DISTNAME": "Path", "ID": "b"}, LineString([(600, 600), (900, 600)])),
        feature({"DISTNAME": "Spot", "ID": "c"}, box(1200, 1200, 1210, 1210).centroid)])
    rep = import_assets(area_store, path)
    assert rep.written["assets"] == 3
    a = area_store.read_assets().set_index("id")
    assert set(a["category"]) == {"hospital"}                    # from the file name
    assert to_ll(U_SHAPE).contains(a.at["a", "geometry"])
    assert to_ll(LineString([(600, 600), (900, 600)])).distance(a.at["b", "geometry"]) < 1e-7
    fp = area_store.read_footprints().set_index("id")
    assert set(fp.index) == {"a", "b"}                             # a point has no outline
    assert fp.at["a", "geometry"].symmetric_difference(to_ll(U_SHAPE)).area < \
        1e-3 * to_ll(U_SHAPE).area


def test_parts_of_one_place_are_merged(area_store, tmp_path):
    path = write_geojson(tmp_path / "hospitals.geojson", [
        feature({"DISTNAME": "General Hospital", "ID": "h1"}, box(100, 100, 200, 200)),
        feature({"DISTNAME": "General Hospital", "ID": "h2"}, box(230, 100, 300, 150)),
        feature({"DISTNAME": "General Hospital", "ID": "h3"}, box(1500, 1500, 1600, 1600)),
        feature({"DISTNAME": "Clinic", "ID": "c1"}, box(210, 210, 250, 250))])
    rep = import_assets(area_store, path)
    a = area_store.read_assets().set_index("id")
    assert sorted(a.index) == ["c1", "h1", "h3"]                  # h2 is part of h1
    fp = area_store.read_footprints().set_index("id")
    assert fp.at["h1", "geometry"].geom_type == "MultiPolygon"
    assert fp.at["h1", "geometry"].contains(a.at["h1", "geometry"])
    assert any("merged" in n and "'General Hospital': 2" in n for n in rep.notes)
    import_assets(area_store, path)                               # again: nothing new
    assert area_store.counts()["assets"] == 3


def test_merge_parts_on_its_own():
    def rec(i, name, geom):
        g = to_ll(geom)
        return {"id": str(i), "name": name, "category": "hospital", "footprint": g,
                "lon": g.centroid.x, "lat": g.centroid.y}
    kept, merged = merge_parts([rec(1, "A", box(0, 0, 10, 10)), rec(2, "a", box(50, 0, 60, 10)),
                                rec(3, "A", box(500, 0, 510, 10)),
                                dict(rec(4, "A", box(20, 0, 30, 10)), _fallback_name=True)])
    assert [k["id"] for k in kept] == ["1", "3", "4"] and merged == [("A", 2)]


def test_fallback_names():
    lab = "Post office"
    assert fallback_name("post_office", {"address": "12 High St, Sale"}, "M33 7AB", (0, 0)) == \
        f"{lab}, 12 High St"
    assert fallback_name("post_office", {}, "M33 7AB", (0, 0)) == f"{lab}, M33 7AB"
    assert fallback_name("post_office", {}, None, (0, 0), "M33 7XY") == f"{lab} near M33 7XY"
    assert fallback_name("post_office", {}, None, (-2.31234, 53.41234)) == \
        f"{lab} at 53.4123, -2.3123"


def test_unnamed_records_are_named_and_placeholders_too(area_store, tmp_path):
    x, y = ll(500, 500)
    write_csv(tmp_path / "pcs.csv", ["postcode", "lon", "lat"], [["M1 1AA", x + 0.0005, y]])
    import_postcodes(area_store, tmp_path / "pcs.csv")
    path = write_geojson(tmp_path / "post_offices.geojson", [
        feature({"DISTNAME": "Unknown", "ID": "p1"}, box(480, 480, 520, 520)),
        feature({"DISTNAME": "Sale Post Office", "ID": "p2"}, box(1480, 480, 1520, 520))])
    rep = import_assets(area_store, path)
    names = area_store.read_assets().set_index("id")["name"].to_dict()
    assert names == {"p1": "Post office near M1 1AA", "p2": "Sale Post Office"}
    assert any("1 row(s) without a name (column 'DISTNAME' is empty or 'Unknown' there)" in n
               for n in rep.notes)
    # a table with no name column at all: every row named from its street
    x2, y2 = ll(1500, 1500)
    path = write_csv(tmp_path / "bus_stops.csv", ["atco_code", "street", "lat", "lon"],
                     [["1800A", "Marsland Road", y2, x2]])
    rep = import_assets(area_store, path)
    a = area_store.read_assets().set_index("id")
    assert a.at["urn-1800A", "name"] == "Bus, tram or rail stop, Marsland Road"
    assert any("the file has no name column" in n for n in rep.notes)


def test_name_column_option(area_store, tmp_path):
    x, y = ll(500, 500)
    path = write_csv(tmp_path / "places.csv", ["label", "title", "category", "lat", "lon"],
                     [["Good name", "x", "library", y, x], ["", "y", "library", y, x + 0.001]])
    import_assets(area_store, path, name_column="label")
    assert sorted(area_store.read_assets()["name"]) == \
        ["Good name", f"Library at {y:.4f}, {x + 0.001:.4f}"]
    # the name column found by itself: a blank name is still a bad row
    before = snapshot(area_store)
    path = write_csv(tmp_path / "blank.csv", ["name", "category", "lat", "lon"],
                     [["", "library", y, x]])
    with pytest.raises(InputError) as e:
        import_assets(area_store, path)
    assert (e.value.row, e.value.field) == (1, "name")
    assert snapshot(area_store) == before


def test_home_based_rows_keep_no_outline(area_store, tmp_path):
    g = gpd.GeoDataFrame({"name": ["Helping Hands"], "category": ["micro_provider"],
                          "home_based": ["yes"], "client_groups": ["older_people"]},
                         geometry=[to_ll(box(400, 400, 420, 420))], crs="EPSG:4326")
    g.to_file(tmp_path / "homes.geojson", driver="GeoJSON")
    import_assets(area_store, tmp_path / "homes.geojson")
    assert area_store.counts()["assets"] == 1
    assert area_store.read_footprints().empty
