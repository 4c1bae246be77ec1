"""Web downloads (issue 14): the export naming (area_code/area_name), GeoPackage and British
National Grid as download options, RFC 7946 GeoJSON, and each layer's data dictionary."""
import csv
import io
import json
import re
import zipfile

import geopandas as gpd
import pyogrio
import pytest

from assetmap.views.downloads import LAYERS


def _rows(r):
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))


def test_areas_and_need_use_area_code_and_prefixed_indicators(web_client):
    areas = _rows(web_client.get("/downloads/areas.csv"))
    assert "area_code" in areas[0] and "code" not in areas[0]
    need = _rows(web_client.get("/downloads/need.csv"))
    assert "indicator_llti" in need[0] and not [c for c in need[0] if c.endswith("_x")]


def test_indicators_download_has_title_unit_period(web_client):
    rows = _rows(web_client.get("/downloads/indicators.csv?area=E01000008"))
    assert rows and {"title", "unit", "period", "value", "lower_ci", "count",
                     "denominator"} <= set(rows[0])


def test_gpkg_download_in_british_national_grid(web_client, tmp_path):
    r = web_client.get("/downloads/gaps.gpkg?crs=27700")
    assert r.status_code == 200 and r.mimetype == "application/geopackage+sqlite3"
    path = tmp_path / "gaps.gpkg"
    path.write_bytes(r.get_data())
    info = pyogrio.read_info(path, layer="gaps")
    assert info["crs"] == "EPSG:27700" and info["features"] > 0
    assert [n for n, _ in pyogrio.list_layers(path)] == ["gaps", "data_dictionary"]


def test_csv_in_27700_and_geojson_refuses_it(web_client):
    rows = _rows(web_client.get("/downloads/assets.csv?crs=27700"))
    assert "easting" in rows[0] and "lon" not in rows[0]
    assert 400_000 < float(rows[0]["easting"]) < 500_000
    assert web_client.get("/downloads/assets.geojson?crs=27700").status_code == 400
    assert web_client.get("/downloads/assets.csv?crs=3857").status_code == 400


@pytest.mark.parametrize("layer", list(LAYERS))
def test_every_layer_has_a_dictionary_linked_from_its_download(web_client, layer):
    r = web_client.get(f"/downloads/{layer}.csv")
    link = r.headers["Link"]
    assert f"/downloads/{layer}/dictionary.csv" in link and 'rel="describedby"' in link
    dic = _rows(web_client.get(f"/downloads/{layer}/dictionary.csv"))
    cols = {d["column"] for d in dic}
    assert set(_rows(r)[0]) - {"lon", "lat"} <= cols
    assert all(d["meaning"] for d in dic), [d["column"] for d in dic if not d["meaning"]]


def test_downloads_page_offers_every_option(web_client):
    html = web_client.get("/downloads").get_data(as_text=True)
    for part in ("gaps.gpkg", "crs=27700", "/downloads/gaps/dictionary.csv"):
        assert part in html


# --- downloads people can cite (issue 12) ------------------------------------------------------
def _about(dic_rows) -> dict:
    return {d["column"]: d["meaning"] for d in dic_rows if d["type"] == "provenance"}


@pytest.mark.parametrize("fmt", ["csv", "geojson", "gpkg", "zip"])
@pytest.mark.parametrize("layer", ["gaps", "assets", "indicators"])
def test_every_download_says_its_run_data_version_date_and_licence(web_client, layer, fmt,
                                                                 tmp_path):
    """Headers on every format; the dictionary it links to (with the same filters) has the
    provenance rows; the GeoJSON member, the GeoPackage metadata and the zip's README."""
    from assetmap import settings
    r = web_client.get(f"/downloads/{layer}.{fmt}?area=E01000008")
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert r.headers["X-AssetMap-Run"] == "1" and r.headers["X-AssetMap-Data-Version"]
    assert r.headers["X-AssetMap-Made"] and "OpenStreetMap" in r.headers["X-AssetMap-Licence"]
    assert "area=E01000008" in r.headers["X-AssetMap-Filters"]
    link = r.headers["Link"]
    assert f"/downloads/{layer}/dictionary.csv?area=E01000008" in link
    dic = _rows(web_client.get(link.split(">")[0].lstrip("<")))
    about = _about(dic)
    assert about["file.run_id"] == "1" and about["file.licence"] == settings.DATA_LICENCE
    assert about["file.filters"] == "area=E01000008" and about["file.made"]
    assert "E01000008" in r.headers["Content-Disposition"]
    if fmt == "geojson":
        doc = json.loads(r.get_data(as_text=True))
        assert doc["metadata"]["run_id"] == 1 and doc["metadata"]["licence"]
        assert {c["column"] for c in doc["metadata"]["columns"]} >= \
            set(doc["features"][0]["properties"]) if doc["features"] else True
        path = tmp_path / "x.geojson"
        path.write_bytes(r.get_data())
        g = gpd.read_file(path)                     # still GeoJSON to a GIS reader
        assert len(g) == len(doc["features"]) and g.crs.to_epsg() == 4326
    if fmt == "gpkg":
        path = tmp_path / "x.gpkg"
        path.write_bytes(r.get_data())
        meta = pyogrio.read_info(path, layer=layer)["layer_metadata"]
        assert meta["RUN_ID"] == "1" and meta["LICENCE"] == settings.DATA_LICENCE
        assert meta["FILTERS"] == "area=E01000008"
        gpd.read_file(path, layer=layer)
        inside = gpd.read_file(path, layer="data_dictionary")
        assert "file.licence" in set(inside["column"])
    if fmt == "zip":
        z = zipfile.ZipFile(io.BytesIO(r.get_data()))
        names = z.namelist()
        assert set(names) == {f"assetmap-{layer}-E01000008.csv",
                              f"assetmap-{layer}-E01000008.dictionary.csv", "README.txt"}
        readme = z.read("README.txt").decode()
        assert settings.DATA_LICENCE in readme and "analysis run 1" in readme
        data = list(csv.DictReader(io.StringIO(z.read(names[0]).decode())))
        assert data == _rows(web_client.get(f"/downloads/{layer}.csv?area=E01000008"))
    if fmt == "csv":                         # still plain CSV: the header row comes first
        first = r.get_data(as_text=True).splitlines()[0]
        assert not first.startswith("#") and ("area_code" in first or "id" in first)


def test_filtered_gap_downloads_have_different_names(web_client):
    def name(q):
        r = web_client.get("/downloads/gaps.csv" + q)
        assert r.status_code == 200
        return re.search(r'filename="([^"]+)"', r.headers["Content-Disposition"]).group(1)
    names = [name(""), name("?service_type=home_support"),
             name("?service_type=home_support&client_group=dementia"),
             name("?service_type=home_support&client_group=dementia&area=E01000008"),
             name("?client_group=dementia"), name("?service_type=befriending"),
             name("?crs=27700")]
    assert len(set(names)) == len(names), names
    assert names[0] == "assetmap-gaps.csv"
    assert names[3] == "assetmap-gaps-home_support-dementia-E01000008.csv"
    assert names[6] == "assetmap-gaps-epsg27700.csv"


def test_a_hostile_filter_makes_a_safe_file_name(web_client):
    hostile = '../..\\"evil";\r\nSet-Cookie: x=1<script>é'
    r = web_client.get("/downloads/gaps.csv", query_string={"area": hostile})
    assert r.status_code == 200
    cd = r.headers["Content-Disposition"]
    name = re.fullmatch(r'attachment; filename="([A-Za-z0-9_.-]+)"(; filename\*=UTF-8\'\'.+)?',
                        cd)
    assert name, cd
    assert "/" not in name.group(1) and ".." not in name.group(1)
    assert name.group(1).startswith("assetmap-gaps-") and name.group(1).endswith(".csv")
    assert "\n" not in cd and "Set-Cookie" not in r.headers


def test_downloads_page_explains_how_to_cite(web_client):
    from assetmap import settings
    html = web_client.get("/downloads").get_data(as_text=True)
    assert "gaps.zip" in html and "X-AssetMap-Run" in html
    assert "OpenStreetMap contributors" in html and settings.DATA_LICENCE[:30] in html


def test_provider_download_carries_trust_signals_not_the_unpublished_preferred_list(client):
    """Who awarded the mark, the CQC rating and the focus terms are in the providers file;
    the preferred list is not while the council does not publish it (the default)."""
    r = client.get("/downloads/providers.csv")
    head = next(csv.reader(io.StringIO(r.get_data(as_text=True))))
    assert {"quality_mark_by", "cqc_rating", "community_tags"} <= set(head)
    assert "preferred_list" not in head
