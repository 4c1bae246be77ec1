"""Boundary import: formats, CRSs, column detection, LA filter, bad input, idempotence."""
from __future__ import annotations

import json

import pandas as pd
import pytest
import shapely
from test_io_common import (  # noqa: F401
    CODES,
    LA_CODE,
    area_store,
    boundary_frame,
    io_store,
    snapshot,
    write_boundaries,
)

from assetmap.errors import InputError
from assetmap.io.boundaries import import_boundaries, level_of


@pytest.mark.parametrize("name,crs", [("b.geojson", "EPSG:4326"), ("b.gpkg", "EPSG:27700"),
                                      ("b.shp", "EPSG:27700"), ("b3857.geojson", "EPSG:3857")])
def test_good_file_any_format_and_crs(io_store, tmp_path, name, crs):
    path = write_boundaries(tmp_path / name, crs=crs)
    rep = import_boundaries(io_store, path)
    assert rep.written["areas"] == 4
    areas = io_store.read_areas()
    assert list(areas["code"]) == CODES
    assert set(areas["level"]) == {"lsoa"}
    assert areas.crs.to_epsg() == 4326
    assert areas.total_bounds[0] > -2.6 and areas.total_bounds[2] < -2.2
    assert list(areas["parent_code"]) == [LA_CODE] * 4
    for geom, lon, lat in zip(areas.geometry, areas["pwc_lon"], areas["pwc_lat"]):
        assert shapely.contains_xy(geom, lon, lat)


def test_columns_given_and_detected(io_store, tmp_path):
    gdf = boundary_frame(code_col="zone", name_col="label", extra=False)
    gdf.to_file(tmp_path / "z.geojson", driver="GeoJSON")
    rep = import_boundaries(io_store, tmp_path / "z.geojson", code_column="zone",
                            name_column="label")
    assert rep.written["areas"] == 4
    assert io_store.read_areas()["name"].iloc[0] == "Testborough 001A"
    gdf = boundary_frame(code_col="area_code", name_col="area_name", extra=False)
    gdf.to_file(tmp_path / "a.geojson", driver="GeoJSON")
    assert import_boundaries(io_store, tmp_path / "a.geojson").written["areas"] == 4


def test_levels_from_code_prefix():
    assert level_of("E01006074") == "lsoa" and level_of("E02001259") == "msoa"
    assert level_of("E05015239") == "ward" and level_of("E08000009") == "la"
    assert level_of("W01000001") == "lsoa" and level_of("X99") is None


def test_la_filter_by_code_and_name(io_store, tmp_path):
    gdf = boundary_frame()
    gdf.loc[3, "LAD22CD"] = "E08900002"
    gdf.loc[3, "LAD22NM"] = "Otherton"
    gdf.loc[3, "LSOA21NM"] = "Otherton 001A"
    gdf.to_file(tmp_path / "two.geojson", driver="GeoJSON")
    assert import_boundaries(io_store, tmp_path / "two.geojson", la=LA_CODE).written["areas"] == 3
    assert import_boundaries(io_store, tmp_path / "two.geojson", la="Otherton",
                             replace=True).written["areas"] == 1
    assert list(io_store.read_areas()["code"]) == [CODES[3]]
    with pytest.raises(InputError) as e:
        import_boundaries(io_store, tmp_path / "two.geojson", la="Nowhere")
    assert e.value.field == "la"


def test_wrong_crs_leaves_store_unchanged(area_store, tmp_path):
    before = snapshot(area_store)
    gdf = boundary_frame(crs="EPSG:27700")
    gdf = gdf.set_crs("EPSG:4326", allow_override=True)   # metres declared as degrees
    gdf.to_file(tmp_path / "wrong.gpkg", driver="GPKG")
    with pytest.raises(InputError) as e:
        import_boundaries(area_store, tmp_path / "wrong.gpkg")
    assert e.value.field == "geometry" and "CRS" in e.value.message
    assert "wrong.gpkg" in str(e.value)
    assert snapshot(area_store) == before


def test_no_crs_bng_is_recognised(io_store, tmp_path):
    write_boundaries(tmp_path / "n.shp", crs="EPSG:27700")
    (tmp_path / "n.prj").unlink()
    rep = import_boundaries(io_store, tmp_path / "n.shp")
    assert rep.written["areas"] == 4 and any("British National Grid" in n for n in rep.notes)


def test_missing_code_column(io_store, tmp_path):
    gdf = boundary_frame(code_col="foo", name_col="bar", extra=False)
    gdf["foo"] = ["a", "b", "c", "d"]
    gdf.to_file(tmp_path / "x.geojson", driver="GeoJSON")
    with pytest.raises(InputError) as e:
        import_boundaries(io_store, tmp_path / "x.geojson")
    assert e.value.field == "code" and "--code-column" in e.value.message
    with pytest.raises(InputError) as e:
        import_boundaries(io_store, tmp_path / "x.geojson", code_column="nope")
    assert e.value.field == "nope"


def test_bad_row_named_and_skippable(io_store, tmp_path):
    gdf = boundary_frame()
    gdf.loc[2, "LSOA21CD"] = "bogus"
    gdf.to_file(tmp_path / "bad.geojson", driver="GeoJSON")
    with pytest.raises(InputError) as e:
        import_boundaries(io_store, tmp_path / "bad.geojson")
    assert (e.value.row, e.value.field) == (3, "LSOA21CD")
    assert io_store.counts()["areas"] == 0
    rep = import_boundaries(io_store, tmp_path / "bad.geojson", skip_bad=True)
    assert rep.written["areas"] == 3 and len(rep.skipped) == 1 and rep.skipped[0].row == 3


def test_empty_truncated_and_wrong_kind(io_store, tmp_path):
    (tmp_path / "empty.geojson").write_text("")
    with pytest.raises(InputError, match="empty"):
        import_boundaries(io_store, tmp_path / "empty.geojson")
    good = json.loads(boundary_frame(crs="EPSG:4326").to_json())
    (tmp_path / "cut.geojson").write_text(json.dumps(good)[:400])
    with pytest.raises(InputError, match="not a readable boundary file"):
        import_boundaries(io_store, tmp_path / "cut.geojson")
    (tmp_path / "nofeat.geojson").write_text('{"type":"FeatureCollection","features":[]}')
    with pytest.raises(InputError):
        import_boundaries(io_store, tmp_path / "nofeat.geojson")
    pd.DataFrame({"code": CODES}).to_csv(tmp_path / "table.csv", index=False)
    with pytest.raises(InputError, match="not a boundary file"):
        import_boundaries(io_store, tmp_path / "table.csv")
    # points are centroids now (issue 17: approximate shapes, tests/test_io_centroids.py);
    # lines are still no areas
    (tmp_path / "lines.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": CODES[0]},
         "geometry": {"type": "LineString", "coordinates": [[-2.3, 53.4], [-2.31, 53.41]]}}]}))
    with pytest.raises(InputError, match="not a polygon"):
        import_boundaries(io_store, tmp_path / "lines.geojson")
    assert io_store.counts()["areas"] == 0


def test_reimport_is_idempotent_and_keeps_values(area_store, tmp_path):
    area_store.write_indicators(pd.DataFrame([{"id": "llti", "title": "LLTI", "unit": "%"}]))
    area_store.write_values(pd.DataFrame([{"indicator_id": "llti", "area_code": CODES[0],
                                           "value": 12.5}]))
    before = area_store.counts()
    import_boundaries(area_store, write_boundaries(tmp_path / "again.geojson"))
    after = area_store.counts()
    assert after["areas"] == before["areas"] == 4
    assert after["indicator_values"] == 1
    assert area_store.read_values()["value"].iloc[0] == 12.5


def test_wards_become_parents(area_store, tmp_path):
    import geopandas as gpd
    from shapely.geometry import box
    b = boundary_frame(crs=None).total_bounds
    ward = gpd.GeoDataFrame({"WD23CD": ["E05900001"], "WD23NM": ["Test Ward"]},
                            geometry=[box(*b)], crs="EPSG:27700")
    ward.to_file(tmp_path / "ward.geojson", driver="GeoJSON")
    rep = import_boundaries(area_store, tmp_path / "ward.geojson")
    assert rep.written["areas"] == 1
    lsoa = area_store.read_areas()
    assert set(lsoa["parent_code"]) == {"E05900001"}
    assert area_store.read_areas(level="ward")["code"].tolist() == ["E05900001"]
