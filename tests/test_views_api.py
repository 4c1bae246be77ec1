"""JSON API shapes, the OpenAPI document, Open Referral paging, downloads as valid files."""
import csv
import io
import json

import pytest

from assetmap.views.downloads import LAYERS


def test_api_index_and_openapi(web_client):
    r = web_client.get("/api/v1/")
    d = r.get_json()
    assert r.status_code == 200 and d["data_version"] >= 1 and d["analysis_run"]["id"] == 1
    doc = web_client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    for p in ("/api/v1/areas", "/api/v1/areas/{code}", "/api/v1/assets", "/api/v1/providers",
              "/api/v1/indicators", "/api/v1/analysis/{name}", "/openreferral/services",
              "/api/v1/isochrone"):
        assert p in doc["paths"]
    # every documented GET without path parameters answers
    for p in doc["paths"]:
        if "{" not in p and p != "/api/v1/isochrone":
            assert web_client.get(p).status_code == 200, p


def _fc(r):
    assert r.status_code == 200 and r.mimetype == "application/geo+json"
    d = json.loads(r.get_data(as_text=True))
    assert d["type"] == "FeatureCollection"
    return d


def test_areas_geojson(web_client):
    d = _fc(web_client.get("/api/v1/areas"))
    assert len(d["features"]) == 36
    f = d["features"][0]
    assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert {"code", "name", "need_index", "loneliness_risk"} <= set(f["properties"])
    one = web_client.get("/api/v1/areas/E01000008").get_json()
    assert one["type"] == "Feature" and one["properties"]["code"] == "E01000008"
    assert one["properties"]["indicators"] and "access" in one["properties"]
    assert web_client.get("/api/v1/areas/nope").status_code == 404


def test_assets_paging_and_privacy(web_client):
    store = web_client.application.extensions["assetmap_store"]
    approved = set(store.read_assets()["id"])
    n_prov = int(store.read_providers()["asset_id"].isin(approved).sum())
    d = _fc(web_client.get("/api/v1/providers?limit=5&offset=0"))
    assert len(d["features"]) == 5 and d["total"] == n_prov
    d2 = _fc(web_client.get("/api/v1/providers?limit=5&offset=5"))
    assert {f["properties"]["id"] for f in d["features"]}.isdisjoint(
        {f["properties"]["id"] for f in d2["features"]})
    allp = _fc(web_client.get("/api/v1/providers?limit=500"))
    for f in allp["features"]:
        p = f["properties"]
        if p.get("location_note"):
            assert p.get("address") is None
        assert "created_by" not in p
    assert web_client.get("/api/v1/assets?limit=abc").status_code == 400
    lib = _fc(web_client.get("/api/v1/assets?category=library"))
    assert all(f["properties"]["category"] == "library" for f in lib["features"])


def test_indicators_and_analysis(web_client):
    ind = web_client.get("/api/v1/indicators").get_json()["indicators"]
    assert {"id", "title", "unit", "polarity", "borough"} <= set(ind[0])
    v = web_client.get("/api/v1/indicators/llti/values").get_json()
    assert len(v["values"]) == 36
    assert {"value", "lower_ci", "upper_ci", "comparison"} <= set(v["values"][0])
    assert web_client.get("/api/v1/indicators/nope/values").status_code == 404
    a = web_client.get("/api/v1/analysis").get_json()
    assert a["run"]["id"] == 1
    g = web_client.get("/api/v1/analysis/gaps?area=E01000008").get_json()
    assert g["rows"] and all(r["area_code"] == "E01000008" for r in g["rows"])
    h = _fc(web_client.get("/api/v1/analysis/hotspots?format=geojson"))
    assert len(h["features"]) == 36
    assert web_client.get("/api/v1/analysis/nope").status_code == 404


def test_isochrone_endpoint(web_client):
    d = _fc(web_client.get("/api/v1/isochrone?lat=52.75&lon=-1.2&minutes=5,10"))
    assert [f["properties"]["minutes"] for f in d["features"]] == [10, 5]
    assert d["method"] in ("network", "straight-line")
    assert web_client.get("/api/v1/isochrone?lat=abc&lon=1").status_code == 400
    assert web_client.get("/api/v1/isochrone?lat=95&lon=1").status_code == 400


def test_openreferral_paging(web_client):
    r = web_client.get("/openreferral/services?page=1&per_page=7").get_json()
    assert {"total_items", "total_pages", "page_number", "size", "first_page", "last_page",
            "empty", "contents"} <= set(r)
    assert r["total_items"] == 60 and r["total_pages"] == 9 and len(r["contents"]) == 7
    last = web_client.get("/openreferral/services?page=9&per_page=7").get_json()
    assert last["last_page"] and len(last["contents"]) == 4
    s = r["contents"][0]
    assert s["id"] and s["name"]
    assert web_client.get("/openreferral/services?page=x").status_code == 400


@pytest.mark.parametrize("layer", list(LAYERS))
def test_downloads_parse(web_client, layer):
    r = web_client.get(f"/downloads/{layer}.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert rows
    d = _fc(web_client.get(f"/downloads/{layer}.geojson"))
    assert d["features"] and all(f["geometry"] for f in d["features"])


def test_download_filters_and_404(web_client):
    r = web_client.get("/downloads/indicators.csv?area=E01000008")
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert rows and {x["area_code"] for x in rows} == {"E01000008"}
    r = web_client.get("/downloads/gaps.csv?service_type=befriending&client_group=carers")
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert len(rows) == 36
    assert web_client.get("/downloads/nope.csv").status_code == 404
    assert web_client.get("/downloads/areas.xlsx").status_code == 404


def test_openreferral_service_by_id_is_public(web_client):
    """One service of the feed by its id: the same public record as in the list (home-based
    providers approximate, unpublished contacts dropped); unknown ids are 404."""
    feed = web_client.get("/openreferral/services?per_page=500").get_json()
    for s in feed["contents"]:
        one = web_client.get(f"/openreferral/services/{s['id']}")
        assert one.status_code == 200
        assert one.get_json() == s
    assert web_client.get("/openreferral/services/nope").status_code == 404


def _json_error(r, status):
    assert r.status_code == status and r.mimetype == "application/json", (r.status_code,
                                                                          r.mimetype)
    body = r.get_json()
    assert body["status"] == status and body["error"]
    return body


def test_every_api_failure_is_json(web_client):
    """(issue 14: 404s were HTML pages)"""
    _json_error(web_client.get("/api/v1/nothing-here"), 404)
    _json_error(web_client.get("/api/v2/areas"), 404)
    assert "E01999999" in _json_error(web_client.get("/api/v1/areas/E01999999"), 404)["error"]
    _json_error(web_client.get("/api/v1/indicators/nope/values"), 404)
    _json_error(web_client.get("/api/v1/analysis/nope"), 404)
    r = web_client.post("/api/v1/areas")
    _json_error(r, 405)
    assert "GET" in r.headers["Allow"]
    _json_error(web_client.get("/api/v1/isochrone?lat=1"), 400)
    _json_error(web_client.get("/api/v1/analysis/gaps?format=xml"), 400)
    page = web_client.get("/no-such-page")                 # other pages keep their HTML
    assert page.status_code == 404 and page.mimetype == "text/html"


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=-5", "offset=-1",
                                   "limit=", "offset=1e12", "limit=2.5"])
def test_paging_outside_the_limits_is_refused(web_client, query):
    """(issue 14: limit=0 gave 1 row and limit=501 gave 500, without a word)"""
    body = _json_error(web_client.get(f"/api/v1/assets?{query}"), 400)
    assert query.split("=")[0] in body["error"]


def test_paging_at_the_limits(web_client):
    assert len(_fc(web_client.get("/api/v1/assets?limit=1"))["features"]) == 1
    d = _fc(web_client.get("/api/v1/assets?limit=500&offset=0"))
    assert d["limit"] == 500 and len(d["features"]) == d["total"]


def test_openapi_documents_every_operation(web_client):
    doc = web_client.get("/api/v1/openapi.json").get_json()
    for path, ops in doc["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, op in ops.items():
            ok = op["responses"]["200"]["content"]
            for media, body in ok.items():
                schema = body["schema"]
                assert schema != {"type": "object"}, (path, media)
                assert "$ref" in schema or "properties" in schema, (path, media)
            geo = [m for m in ok if m == "application/geo+json"]
            r = web_client.get(path.replace("{code}", "E01000008").replace(
                "{indicator_id}", "llti").replace("{name}", "gaps")
                + ("?lat=52.75&lon=-1.2" if "isochrone" in path else ""))
            assert r.status_code == 200, path
            assert r.mimetype in ok, (path, r.mimetype)
            if r.mimetype == "application/geo+json":
                assert geo
    assert doc["components"]["schemas"]["Error"]["required"] == ["error", "status"]


def test_geojson_responses_are_rfc_7946(web_client):
    d = _fc(web_client.get("/api/v1/areas"))
    assert "crs" not in d and all("id" in f for f in d["features"])
    ring = d["features"][0]["geometry"]["coordinates"][0]
    ring = ring[0] if isinstance(ring[0][0], list) else ring
    area2 = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:]))
    assert area2 > 0                                        # exterior counterclockwise
    assert all(round(c, 6) == c for pt in ring for c in pt)


def test_providers_say_how_they_reach_people(client):
    """The JSON API returns the reach fields (issue 10) on the demo's providers, and an
    area's gaps with their unit and shortfall."""
    feats = client.get("/api/v1/providers?limit=500").get_json()["features"]
    props = [f["properties"] for f in feats]
    for key in ("reach", "area_served", "area_served_geojson", "radius_km", "capacity_hours",
                "capacity_places", "vacancies", "vacancies_confirmed"):
        assert all(key in p for p in props), key
    assert {p["reach"] for p in props} >= {"visits", "both"}
    assert any(p["area_served"] for p in props) and any(p["capacity_places"] for p in props)
    areas = client.get("/api/v1/areas").get_json()["features"]
    code = next(f["properties"]["code"] for f in areas
                if f["properties"]["name"] == "Ashbrook 014F")     # the neediest: gaps
    gaps = client.get(f"/api/v1/areas/{code}").get_json()["properties"]["gaps"]
    assert gaps
    for g in gaps:
        assert g["unit"] in ("hours", "places") and g["supply_per_100_unit"].endswith(
            "per 100 people in need") and "shortfall" in g and g["population_label"]


def test_isochrones_by_car_reach_farther_than_on_foot(client):
    """(issue 10 item 7) the same OSM file gives a driving graph, offered beside walking."""
    lat, lon = 52.8033018, -1.1013511
    walk = client.get(f"/api/v1/isochrone?lat={lat}&lon={lon}&minutes=10").get_json()
    drive = client.get(f"/api/v1/isochrone?lat={lat}&lon={lon}&minutes=10&mode=drive")
    drive = drive.get_json()
    assert walk["mode"] == "walk" and drive["mode"] == "drive"
    from shapely.geometry import shape
    a_walk = shape(walk["features"][0]["geometry"]).area
    a_drive = shape(drive["features"][0]["geometry"]).area
    assert a_drive > 5 * a_walk
    assert client.get(f"/api/v1/isochrone?lat={lat}&lon={lon}&mode=fly").status_code == 400
    page = client.get("/areas/E01990029?mode=drive").get_data(as_text=True)
    assert "Driving isochrones" in page and "Show walking times" in page


@pytest.mark.parametrize("url", ["/api/v1/areas", "/api/v1/assets?limit=5",
                                 "/api/v1/providers?limit=5", "/api/v1/networks",
                                 "/api/v1/analysis/gaps?format=geojson&area=E01000008",
                                 "/api/v1/indicators/llti/values?format=geojson"])
def test_api_geojson_carries_its_provenance(web_client, url, tmp_path):
    """Issue 12: a top-level ``metadata`` member (RFC 7946 section 6.1) with the run, data
    version, date made, licence and each property's unit; the same in headers (also when the
    answer comes from the memo), and the Link to the layer's dictionary; still GeoJSON to
    geopandas."""
    import geopandas as gpd

    from assetmap import settings
    for _ in range(2):                                   # built, then from the memo
        r = web_client.get(url)
        d = _fc(r)
        assert d["metadata"]["run_id"] == 1 and d["metadata"]["licence"] == \
            settings.DATA_LICENCE
        assert r.headers["X-AssetMap-Run"] == "1" and r.headers["X-AssetMap-Licence"]
        assert "/dictionary.csv" in r.headers["Link"]
    units = {c["column"] for c in d["metadata"]["columns"]}
    if d["features"]:
        assert set(d["features"][0]["properties"]) <= units
    path = tmp_path / "api.geojson"
    path.write_bytes(r.get_data())
    assert len(gpd.read_file(path)) == len(d["features"])
