"""Web downloads (issue 14): the export naming (area_code/area_name), GeoPackage and British
National Grid as download options, RFC 7946 GeoJSON, and each layer's data dictionary."""
import csv
import io

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
