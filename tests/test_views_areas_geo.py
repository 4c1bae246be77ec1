"""/map/areas.json (the overview's areas in view) and what the overview page carries: each
area's name once, classes computed once per data version."""
import json

from assetmap import maps, settings
from assetmap.layers import classes

import webmini


def test_areas_in_view(web_client):
    r = web_client.get("/map/areas.json?bbox=-180,-90,180,90&zoom=12")
    assert r.status_code == 200 and r.mimetype == "application/json"
    d = r.get_json()
    assert d["total"] == d["shown"] == 36 and d["max"] == settings.MAP_AREAS_MAX
    assert {"needs", "access", "gaps", "gi"} <= set(d["layers"])
    assert len(d["geometry"]["features"]) == 36
    row = next(a for a in d["areas"] if a[0] == "E01000008")
    assert row[1] == f"Mill & {webmini.XSS}" and row[2] == "North ward"   # text, as typed
    # a small box: only its areas; the picker's choices change the needs layer
    one = web_client.get("/map/areas.json?bbox=-1.2305,52.757,-1.2300,52.7575&zoom=15").get_json()
    assert 1 <= one["shown"] <= 4
    llti = web_client.get("/map/areas.json?indicator=llti&zoom=12").get_json()
    assert llti["layers"]["needs"][0][1].startswith("Day-to-day activities limited")
    assert web_client.get("/map/areas.json?zoom=12",
                          headers={"If-None-Match": r.headers["ETag"]}).status_code in (200, 304)


def test_too_many_in_view_gives_the_count_only(web_client, monkeypatch):
    """Even the parents (3 wards) over the cap: only the counts."""
    maps.clear_cache()
    monkeypatch.setattr(settings, "MAP_AREAS_MAX", 2)
    d = web_client.get("/map/areas.json?zoom=9").get_json()
    assert d["total"] == 3 and d["shown"] == 0 and d["areas"] == [] and d["max"] == 2
    assert d["aggregate"]["areas"] == 36
    maps.clear_cache()


def test_bad_bbox_or_zoom_is_a_400(web_client):
    for q in ("bbox=1,2,3", "bbox=a,b,c,d", "bbox=3,2,1,4", "zoom=nan", "zoom=x",
              "bbox=0,0,inf,1"):
        r = web_client.get("/map/areas.json?" + q)
        assert r.status_code == 400 and r.get_json()["status"] == 400, q


def test_overview_writes_each_area_name_once(web_client):
    """Four area layers (needs, access, gaps, hotspots) on the overview, and the page has
    each area's name once (issue 15: national pages were 48-68% repeated names)."""
    maps.clear_cache()
    html = web_client.get("/").get_data(as_text=True)
    for layer in ("Needs", "Walking minutes to nearest", "Gaps: need vs supply",
                  "Isolation hotspots"):
        assert layer in html
    for k in (1, 2, 13, 36):
        assert html.count(f'"Mini {k:03d}"') == 1, k
    assert html.count('"North ward"') == 12           # once per area row (12 areas)


def test_national_page_carries_no_area(web_client, monkeypatch):
    maps.clear_cache()
    monkeypatch.setattr(settings, "MAP_INLINE_AREAS", 10)
    html = web_client.get("/").get_data(as_text=True)
    assert "Mini 001" not in html and "/map/areas.json?" in html
    maps.clear_cache()


def test_classes_computed_once_per_data_version(web_client):
    maps.clear_cache()
    q = "indicator=llti&scheme=fisher_jenks&k=6"
    before = classes.computed["n"]
    web_client.get("/?" + q)
    web_client.get("/map/areas.json?zoom=12&" + q)
    web_client.get("/map/areas.json?zoom=14&bbox=-1.3,52.7,-1.1,52.8&" + q)
    maps.clear_cache()                     # even with the page rebuilt, not recomputed
    web_client.get("/?" + q)
    assert classes.computed["n"] == before + 1
    d = json.loads(web_client.get("/map/areas.json?zoom=12&" + q).get_data())
    assert len({c[0] for c in d["layers"]["needs"]}) >= 5


def test_gap_and_hotspot_maps_in_view(web_client):
    d = web_client.get("/map/areas.json?view=gaps&service_type=befriending&client_group=carers"
                       "&zoom=12").get_json()
    assert set(d["layers"]) == {"gaps"} and d["shown"] == 36
    assert any("GAP" in c[1] for c in d["layers"]["gaps"])
    h = web_client.get("/map/areas.json?view=hotspots&zoom=12").get_json()
    assert set(h["layers"]) == {"gi", "lisa"}
    assert web_client.get("/map/areas.json?view=nothing").get_json()["layers"] == {}


def test_national_gap_and_hotspot_pages_fetch_their_areas(web_client, monkeypatch):
    maps.clear_cache()
    monkeypatch.setattr(settings, "MAP_INLINE_AREAS", 10)
    for path, view in (("/gaps", "view=gaps"), ("/hotspots", "view=hotspots")):
        html = web_client.get(path).get_data(as_text=True)
        assert "Mini 001" not in html.split("<script")[-2], path     # not in the map script
        assert f"/map/areas.json?{view}" in html, path
    maps.clear_cache()


def test_over_the_cap_serves_the_wards_aggregated(web_client, monkeypatch):
    """More areas in view than MAP_AREAS_MAX: the areas' parents (the demo's wards), each
    naming how many areas it holds and how its value was worked out; under the cap, areas."""
    maps.clear_cache()
    monkeypatch.setattr(settings, "MAP_AREAS_MAX", 10)
    d = web_client.get("/map/areas.json?zoom=12").get_json()
    assert d["aggregate"]["areas"] == 36 and d["aggregate"]["level"] == "ward"
    names = [r[1] for r in d["areas"]]
    assert "North ward" in names and d["shown"] == len(names) < 10
    assert len(d["geometry"]["features"]) == len(names)
    assert set(d["layers"]) == {"needs", "access", "gaps", "gi"}
    north = names.index("North ward")
    assert d["layers"]["needs"][north][1].startswith("12 areas\n")
    assert "population-weighted mean" in d["layers"]["needs"][north][1]
    assert "% of areas in the gap class" in d["layers"]["gaps"][north][1]
    assert "significant hot spot" in d["layers"]["gi"][north][1]
    assert "aggregates" in d["legends"]["needs"]
    h = web_client.get("/map/areas.json?view=hotspots&zoom=12").get_json()
    assert set(h["layers"]) == {"gi", "lisa"} and h["aggregate"]
    near = web_client.get("/map/areas.json?zoom=14&bbox=-0.001,-0.001,0.001,0.001").get_json()
    assert "aggregate" not in near
    maps.clear_cache()


def test_under_the_cap_never_aggregates(web_client):
    d = web_client.get("/map/areas.json?zoom=12").get_json()
    assert "aggregate" not in d and d["shown"] == 36
