"""GIS-native exports (issue 14) on the analysed demo borough: RFC 7946 GeoJSON (no crs
member, right-hand rule, 6 decimals, feature ids), GeoPackages with proper field types and
their data dictionary inside, EPSG:27700, one naming scheme, a data dictionary beside every
file, the indicator export with its metadata, and empty (not 0) where a value does not
apply."""
from __future__ import annotations

import json
import sqlite3

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import Polygon

from assetmap import pipeline
from assetmap.cli import main
from assetmap.errors import InputError
from assetmap.io import export, geofiles


def _export(store, layer, path, **kw):
    return export.export_layer(store, layer, path, load_run=pipeline.load, **kw)


def _rings(geom):
    for p in getattr(geom, "geoms", [geom]):
        yield True, p.exterior
        for hole in p.interiors:
            yield False, hole


def test_geojson_is_rfc_7946(demo_store, tmp_path):
    out = tmp_path / "gaps.geojson"
    n = _export(demo_store, "gaps", out)
    text = out.read_text()
    doc = json.loads(text)
    # issue 12: provenance as a top-level foreign member (RFC 7946 section 6.1), no crs
    assert set(doc) == {"type", "features", "metadata"} and '"crs"' not in text
    assert doc["metadata"]["run_id"] == demo_store.latest_run()["id"]
    assert doc["metadata"]["licence"] and doc["metadata"]["made"]
    units = {c["column"]: c["unit"] for c in doc["metadata"]["columns"]}
    assert "area_code" in units and units["geometry"] == "EPSG:4326"
    feats = doc["features"]
    assert len(feats) == n and len({f["id"] for f in feats}) == n
    assert feats[0]["id"] == f"{feats[0]['properties']['area_code']}/" \
                             f"{feats[0]['properties']['group']}/{feats[0]['properties']['unit']}"
    for f in feats[:300]:
        geom = shapely.geometry.shape(f["geometry"])
        for exterior, ring in _rings(geom):
            assert ring.is_ccw == exterior            # right-hand rule
        xy = np.array([c for ring in f["geometry"]["coordinates"] for c in
                       (ring if f["geometry"]["type"] == "Polygon" else ring[0])])
        assert np.allclose(xy, np.round(xy, 6)) and (-2 < xy[:, 0]).all() and \
            (xy[:, 0] < 0).all()
    non_gaps = [f["properties"] for f in feats if not f["properties"]["is_gap"]]
    assert non_gaps and all(p["gap_rank"] is None for p in non_gaps)     # empty, never 0
    assert any(p["service_type"] is None for p in non_gaps)              # '' is null


def test_orientation_fixes_clockwise_input():
    cw = Polygon([(0, 0), (0, 1), (1, 1), (1, 0)], holes=[[(0.2, 0.2), (0.4, 0.2), (0.4, 0.4)]])
    assert not cw.exterior.is_ccw
    fixed = geofiles.rfc7946_geometries([cw])[0]
    assert fixed.exterior.is_ccw and not fixed.interiors[0].is_ccw
    doc = geofiles.feature_collection(gpd.GeoDataFrame({"a": [np.nan]}, geometry=[cw],
                                                       crs=4326))
    assert doc["features"][0]["properties"] == {"a": None} and doc["features"][0]["id"] == 1


def test_gpkg_types_metadata_and_dictionary_in_27700(demo_store, tmp_path):
    out = tmp_path / "providers.gpkg"
    _export(demo_store, "providers", out, crs="27700")
    info = pyogrio.read_info(out, layer="providers")
    assert info["crs"] == "EPSG:27700" and info["geometry_type"] == "Point"
    types = dict(zip(info["fields"], info["ogr_types"]))
    subtypes = dict(zip(info["fields"], info["ogr_subtypes"]))
    assert types["last_reviewed"] == "OFTDate" and types["created_at"] == "OFTDateTime"
    assert types["version"] in ("OFTInteger", "OFTInteger64")
    assert subtypes["direct_payments"] == "OFSTBoolean" and types["hourly_price"] == "OFTReal"
    assert info["layer_metadata"]["DESCRIPTION"].startswith("Micro-providers")
    inside = gpd.read_file(out, layer="data_dictionary")
    beside = pd.read_csv(tmp_path / "providers.gpkg.dictionary.csv")
    assert inside["column"].tolist() == beside["column"].tolist()
    cols = beside[beside["type"] != "provenance"]
    assert set(cols["column"]) == set(info["fields"]) | {"geometry"}
    assert beside.set_index("column").loc["hourly_price", "unit"] == "GBP per hour"
    # issue 12: the run, data version and licence in the GeoPackage's own metadata
    run = demo_store.latest_run()
    assert info["layer_metadata"]["RUN_ID"] == str(run["id"])
    assert info["layer_metadata"]["DATA_VERSION"] == str(demo_store.data_version())
    assert "OpenStreetMap" in info["layer_metadata"]["LICENCE"]
    assert pyogrio.read_info(out, layer="providers")["dataset_metadata"]["RUN_ID"] == \
        str(run["id"])
    g = gpd.read_file(out, layer="providers")
    assert 400_000 < g.geometry.x.min() < 500_000          # eastings, not degrees
    con = sqlite3.connect(out)
    assert con.execute("SELECT count(*) FROM providers WHERE address = ''").fetchone() == (0,)
    con.close()


def test_gaps_gpkg_counts_are_integers_and_ranks_empty(demo_store, tmp_path):
    out = tmp_path / "gaps.gpkg"
    _export(demo_store, "gaps", out)
    info = pyogrio.read_info(out, layer="gaps")
    types = dict(zip(info["fields"], info["ogr_types"]))
    assert types["gap_rank"] == "OFTInteger64" and types["need_class"] == "OFTInteger64"
    assert types["need"] == "OFTReal" and info["geometry_type"] == "MultiPolygon"
    con = sqlite3.connect(out)
    ranks = con.execute("SELECT min(gap_rank), count(gap_rank), sum(is_gap) FROM gaps "
                        "WHERE is_gap = 1").fetchone()
    none = con.execute("SELECT count(gap_rank) FROM gaps WHERE is_gap = 0").fetchone()
    con.close()
    assert ranks[0] == 1 and ranks[1] == ranks[2] and none == (0,)


def test_one_naming_scheme_across_layers(demo_store, tmp_path):
    for layer in ("areas", "need", "access", "gaps", "hotspots", "indicators", "e2sfca"):
        frame = export.layer_frame(demo_store, layer, pipeline.load)
        cols = list(frame.columns)
        assert cols[:2] == ["area_code", "area_name"] or \
            cols[4:6] == ["area_code", "area_name"], (layer, cols[:6])
        assert "code" not in cols and "name" not in cols, layer
        assert not [c for c in cols if c.endswith(("_x", "_y"))], layer
    need = export.layer_frame(demo_store, "need", pipeline.load)
    assert "pop_65_plus" in need and "indicator_pop_65_plus" in need
    assert need["pop_65_plus"].min() > 100 and need["indicator_pop_65_plus"].max() < 100


def test_indicator_export_has_value_ci_count_denominator_title_unit_period(demo_store,
                                                                            tmp_path, runner):
    out = tmp_path / "ind.csv"
    r = runner.invoke(main, ["--db", demo_store.url, "export", "indicators", "-o", str(out)])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out)
    assert list(df.columns[:6]) == ["indicator_id", "title", "unit", "period", "area_code",
                                    "area_name"]
    for col in ("value", "lower_ci", "upper_ci", "count", "denominator"):
        assert col in df
    llti = df[df["indicator_id"] == "llti"]
    assert llti["title"].nunique() == 1 and (llti["unit"] == "%").all()
    assert llti["period"].notna().all()
    ok = llti.dropna(subset=["lower_ci"])
    assert len(ok) and ((ok["lower_ci"] <= ok["value"]) & (ok["value"] <= ok["upper_ci"])).all()
    dic = pd.read_csv(tmp_path / "ind.csv.dictionary.csv").set_index("column")
    assert dic.loc["lower_ci", "meaning"].startswith("lower 95%")


def test_csv_in_27700_has_eastings_and_geojson_refuses_it(demo_store, tmp_path, runner):
    out = tmp_path / "assets.csv"
    r = runner.invoke(main, ["--db", demo_store.url, "export", "assets", "-o", str(out),
                             "--crs", "EPSG:27700"])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out)
    assert {"easting", "northing"} <= set(df) and "lon" not in df
    assert df["easting"].between(400_000, 500_000).all()
    r = runner.invoke(main, ["--db", demo_store.url, "export", "assets", "-o",
                             str(tmp_path / "a.geojson"), "--crs", "27700"])
    assert r.exit_code == 2 and "RFC 7946" in r.output
    r = runner.invoke(main, ["--db", demo_store.url, "export", "assets", "-o",
                             str(tmp_path / "a.csv"), "--crs", "3857"])
    assert r.exit_code == 2 and "27700" in r.output
    with pytest.raises(InputError):
        geofiles.crs_for("abc")


def test_every_layer_every_format_has_its_dictionary(demo_store, tmp_path):
    for layer in export.LAYERS:
        for fmt in ("csv", "gpkg", "geojson"):
            out = tmp_path / f"{layer}.{fmt}"
            _export(demo_store, layer, out)
            dic = pd.read_csv(tmp_path / f"{layer}.{fmt}.dictionary.csv", keep_default_na=False)
            # issue 12: after the column rows, rows of type "provenance" say where the file
            # comes from (run, data version, date made, licence)
            about = dic[dic["type"] == "provenance"].set_index("column")["meaning"]
            assert about["file.run_id"] == str(demo_store.latest_run()["id"]), layer
            assert about["file.licence"] and about["file.made"], layer
            dic = dic[dic["type"] != "provenance"]
            assert set(dic["type"]) <= set(geofiles.TYPES), layer
            described = dic[dic["meaning"] == ""]
            assert described.empty, (layer, fmt, described["column"].tolist())
