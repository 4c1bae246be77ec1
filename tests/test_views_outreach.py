"""Outreach pages (assetmap.views.outreach) on a private copy of the demo borough."""
from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from urllib.parse import urlencode

import geopandas as gpd
import pytest
from shapely.geometry import Point, mapping

XSS = "<img src=x onerror=alert(1)>"
PASSWORDS = {"cora": ("coordinator", "coord-pass-5521"), "pat": ("planner", "planner-pass-9183"),
             "connie": ("contributor", "contrib-pass-7402")}
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A test client that sends the CSRF token its last page carried, like a browser form."""

    def __init__(self, app):
        self.c = app.test_client()
        self.token = None

    def get(self, url, **kw):
        r = self.c.get(url, **kw)
        m = TOKEN_RE.search(r.get_data(as_text=True))
        if m:
            self.token = m.group(1)
        return r

    def post(self, url, data=None, csrf=True, **kw):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.token)
        return self.c.post(url, data=data, **kw)

    def login(self, name):
        self.get("/login")
        r = self.post("/login", {"name": name, "password": PASSWORDS[name][1]})
        assert r.status_code == 302, r.get_data(as_text=True)[:300]
        return self


@pytest.fixture
def outreach_app(app):
    from assetmap import accounts
    store = app.extensions["assetmap_store"]
    for name, (role, pw) in PASSWORDS.items():
        store.add_user(name, role, accounts.hash_password(pw))
    return app


@pytest.fixture
def coord(outreach_app):
    return Browser(outreach_app).login("cora")


@pytest.fixture(scope="module")
def planted(demo_store):
    raw = demo_store.get_meta("planted")
    if raw:
        return json.loads(raw)
    return pytest.importorskip("assetmap.demo").generate().planted


def _hot_ward(app, planted):
    store = app.extensions["assetmap_store"]
    areas = store.read_areas("lsoa")
    hot = areas[areas["code"].isin(planted["hotspot_areas"])]
    return hot["parent_code"].iloc[0], hot


def test_roles(outreach_app):
    anon = Browser(outreach_app)
    r = anon.get("/outreach")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert anon.get("/outreach/plan.csv?patch=wards&ids=E05990001").status_code == 302
    r = Browser(outreach_app).login("connie").get("/outreach")
    assert r.status_code == 403
    assert Browser(outreach_app).login("pat").get("/outreach").status_code == 200


def test_chooser_page(coord):
    r = coord.get("/outreach")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "leaflet-draw/dist/leaflet.draw.js" in html          # served locally
    assert "cdnjs" not in html
    for field in ('name="ward"', 'name="area"', 'name="network"', 'id="patch-polygon"',
                  'name="client_group"', 'name="service_type"'):
        assert field in html
    assert "Isolation hotspots" in html


def test_plan_page_ranks_hotspot_first(coord, outreach_app, planted):
    ward, hot = _hot_ward(outreach_app, planted)
    r = coord.get(f"/outreach/plan?patch=wards&ward={ward}&client_group=older_people")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    first = re.search(r'<li class="ranked-area" data-code="([^"]+)"', html).group(1)
    assert first in set(planted["hotspot_areas"])
    for heading in ("Where to go first", "Walking route", "Gaps to commission"):
        assert heading in html
    assert 'id="csv-link"' in html and 'id="gpx-link"' in html and 'id="print-link"' in html
    assert len(html) < 1_000_000


def test_drawn_polygon_plan(coord, outreach_app, planted):
    _, hot = _hot_ward(outreach_app, planted)
    poly = mapping(hot.unary_union.envelope.buffer(0.002).envelope)
    q = urlencode({"patch": "polygon", "polygon": json.dumps(poly)})
    r = coord.get(f"/outreach/plan?{q}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Drawn patch" in html
    first = re.search(r'data-code="([^"]+)"', html).group(1)
    assert first in set(planted["hotspot_areas"])


def test_walking_catchment_patch(coord):
    html = coord.get("/outreach").get_data(as_text=True)
    venue = re.search(r'<select id="venue" name="venue">\s*<option value="([^"]+)"', html).group(1)
    r = coord.get(f"/outreach/plan?patch=walk&venue={venue}&walk_minutes=12")
    assert r.status_code == 200
    assert "12 minutes' walk" in __import__("html").unescape(r.get_data(as_text=True))


def test_bad_input_is_explained(coord):
    r = coord.get("/outreach/plan?patch=polygon&polygon=%7Bnope")
    assert r.status_code == 400
    assert "not valid GeoJSON" in r.get_data(as_text=True)
    r = coord.get("/outreach/plan?patch=wards")
    assert r.status_code == 400 and "choose a ward" in r.get_data(as_text=True)
    r = coord.get("/outreach/plan?patch=wards&ward=E05990001&walk_minutes=abc")
    assert r.status_code == 400


def test_print_and_downloads(coord):
    q = "patch=wards&ids=E05990001&client_group=dementia"
    r = coord.get(f"/outreach/plan/print?{q}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert '<svg' in html and 'class="print-map"' in html and 'class="stop"' in html
    assert "Where to go first" in html and "Gaps to commission" in html
    assert "@media print" in coord.get("/static/outreach.css").get_data(as_text=True)
    r = coord.get(f"/outreach/plan.csv?{q}")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert {"area", "route"} <= {row["section"] for row in rows}
    r = coord.get(f"/outreach/plan.gpx?{q}")
    assert r.status_code == 200 and b"<gpx" in r.data and b"<trkpt" in r.data
    r = coord.get(f"/outreach/plan.geojson?{q}")
    gj = json.loads(r.data)
    assert gj["features"][0]["geometry"]["type"] == "LineString"
    assert coord.get(f"/outreach/plan.exe?{q}").status_code == 404


def test_save_reopen_compare_delete(coord, outreach_app):
    store = outreach_app.extensions["assetmap_store"]
    q = "patch=wards&ids=E05990001&client_group=older_people"
    page = coord.get(f"/outreach/plan?{q}")
    html = page.get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', html))
    assert "csrf_token" in fields
    # without the form's token the save is refused
    assert coord.post("/outreach/plans", {"patch": "wards", "ids": "E05990001"},
                      csrf=False).status_code == 400
    fields["name"] = f"Round {XSS}"
    r = coord.post("/outreach/plans", fields)
    assert r.status_code == 303
    url = r.headers["Location"]
    pid = int(url.rsplit("/", 1)[1])
    rec = store.get_outreach_plan(pid)
    assert rec["created_by"] == "cora" and rec["run_id"] == store.latest_run()["id"]
    saved = coord.get(url).get_data(as_text=True)
    assert "shown exactly as saved" in saved and XSS not in saved
    # the saved plan's lists equal the live plan's when nothing changed
    strip = lambda h: re.search(r'<section class="plan-section" id="ranked-areas".*</section>',  # noqa: E731
                                h, re.S).group(0)
    assert strip(saved) == strip(html)
    # a new asset near the first area appears in the comparison, not in the saved plan
    first_code = re.search(r'data-code="([^"]+)"', html).group(1)
    lon, lat = _area_point(store, first_code)
    store.write_assets(gpd.GeoDataFrame([{
        "id": "xss-club", "name": XSS, "category": "community_centre", "source": "community",
        "status": "approved", "version": 1}], geometry=[Point(lon, lat)], crs=4326))
    cmp_ = coord.get(f"/outreach/plans/{pid}/compare").get_data(as_text=True)
    assert "New within reach" in cmp_ and "&lt;img src=x onerror=alert(1)&gt;" in cmp_
    assert XSS not in cmp_
    assert XSS not in coord.get(url).get_data(as_text=True)
    live = coord.get(f"/outreach/plan?{q}").get_data(as_text=True)
    assert XSS not in live
    listing = coord.get("/outreach/plans").get_data(as_text=True)
    assert f"/outreach/plans/{pid}" in listing and XSS not in listing
    for fmt in ("csv", "gpx", "geojson"):
        assert coord.get(f"/outreach/plans/{pid}.{fmt}").status_code == 200
    assert coord.get(f"/outreach/plans/{pid}/print").status_code == 200
    assert coord.post(f"/outreach/plans/{pid}/delete").status_code == 303
    assert coord.get(url).status_code == 404


def _area_point(store, code):
    a = store.read_areas("lsoa", codes=[code]).iloc[0]
    return a["pwc_lon"], a["pwc_lat"]


def test_choose_route_stops(coord):
    q = "patch=wards&ids=E05990001&client_group=older_people"
    html = coord.get(f"/outreach/plan?{q}").get_data(as_text=True)
    venues = re.findall(r'name="stop" value="(asset:[^"]+)"', html)
    areas = re.findall(r'name="stop" value="(area:[^"]+)"', html)
    assert venues and len(areas) >= 2
    chosen = [areas[1], venues[0], areas[0]]
    r = coord.get(f"/outreach/plan?{q}&" + urlencode([("stop", s) for s in chosen]))
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    stops = re.search(r'<ol class="stops">(.*?)</ol>', page, re.S).group(1)
    assert stops.count('<li class="stop">') == 3
    checked = re.findall(r'name="stop" value="([^"]+)" checked', page)
    assert sorted(checked) == sorted(chosen)


def test_template_literal_names_are_inert_in_the_plan_map(coord, outreach_app):
    """folium writes tooltips and popups into JavaScript template literals: a name holding
    a backtick or ``${...}`` must reach the page as entities, never as live template code."""
    store = outreach_app.extensions["assetmap_store"]
    q = "patch=wards&ids=E05990001&client_group=older_people"
    html = coord.get(f"/outreach/plan?{q}").get_data(as_text=True)
    first_code = re.search(r'data-code="([^"]+)"', html).group(1)
    lon, lat = _area_point(store, first_code)
    store.write_assets(gpd.GeoDataFrame([{
        "id": "tl-club", "name": "Club `${alert(2)}` \\u", "category": "community_centre",
        "source": "community", "status": "approved", "version": 1}],
        geometry=[Point(lon, lat)], crs=4326))
    page = coord.get(f"/outreach/plan?{q}").get_data(as_text=True)
    assert "tl-club" in page or "Club" in page
    scripts = "".join(re.findall(r"<script[^>]*>(.*?)</script>", page, re.S))
    assert "Club" in scripts            # the venue is on the map
    assert "${alert(2)}" not in scripts


def test_plan_views_on_an_empty_store_explain_not_crash(empty_app):
    from assetmap import accounts
    store = empty_app.extensions["assetmap_store"]
    store.add_user("cora", "coordinator", accounts.hash_password(PASSWORDS["cora"][1]))
    b = Browser(empty_app).login("cora")
    q = "patch=wards&ids=E05990001"
    for url in (f"/outreach/plan?{q}", f"/outreach/plan/print?{q}", f"/outreach/plan.csv?{q}",
                f"/outreach/plan.gpx?{q}"):
        r = b.get(url)
        assert r.status_code in (200, 400), url
        assert "no areas" in r.get_data(as_text=True), url


def test_only_the_author_or_a_planner_deletes_a_saved_plan(outreach_app, coord):
    from assetmap import accounts
    store = outreach_app.extensions["assetmap_store"]
    store.add_user("cody", "coordinator", accounts.hash_password("coord-pass-8830"))
    PASSWORDS["cody"] = ("coordinator", "coord-pass-8830")
    try:
        pid = store.save_outreach_plan("cora's round", {"params": {}}, created_by="cora")
        cody = Browser(outreach_app).login("cody")
        cody.get("/outreach/plans")
        listing = cody.get("/outreach/plans").get_data(as_text=True)
        assert f"/outreach/plans/{pid}/delete" not in listing
        assert cody.post(f"/outreach/plans/{pid}/delete").status_code == 403
        assert store.get_outreach_plan(pid)["created_by"] == "cora"
        pat = Browser(outreach_app).login("pat")
        pat.get("/outreach/plans")
        assert pat.post(f"/outreach/plans/{pid}/delete").status_code == 303
        pid = store.save_outreach_plan("mine", {"params": {}}, created_by="cora")
        coord.get("/outreach/plans")
        assert coord.post(f"/outreach/plans/{pid}/delete").status_code == 303
    finally:
        PASSWORDS.pop("cody")


def test_commissioning_section_lists_only_the_choice_and_turned_away_demand(
        coord, outreach_app):
    """Issue 12: the plan page's commissioning items are for the chosen client group and
    service only, each once; issue 11: referrals declined for lack of capacity in the patch
    are worded into the item (1 to 4 as "Fewer than 5" for a coordinator), on the page, the
    print view and the CSV."""
    store = outreach_app.extensions["assetmap_store"]
    areas = store.read_areas("lsoa")
    ward = areas["parent_code"].dropna().iloc[0]
    code = areas[areas["parent_code"] == ward]["code"].iloc[0]
    name = areas.set_index("code").loc[code, "name"]
    a = store.read_assets()
    prov = a[a["is_provider"] & a["service_types"].str.contains("home_support")]["id"].iloc[0]
    q = f"patch=wards&ward={ward}&client_group=dementia&service_type=home_support"
    for i in range(3):
        r = store.create_referral(asset_id=prov, service_type="home_support",
                                  client_group="dementia", area_code=code,
                                  case_ref=f"ASC-30{i}", notes=None, created_by="rita")
        store.change_referral(r["id"], "declined", actor="provider", by="p",
                              reason="no_capacity")
    html = coord.get(f"/outreach/plan?{q}").get_data(as_text=True)
    section = html[html.index('id="commissioning"'):]
    section = section[:section.index("</section>")]
    items = re.findall(r'<li class="gap-item[^"]*" data-service="([^"]*)" data-group="([^"]*)"',
                       section)
    assert items and set(items) == {("home_support", "dementia")} and len(items) == 1
    sentence = (f"Fewer than 5 referrals for home support for people living with dementia in "
                f"{name} declined for lack of capacity in the last quarter")
    assert sentence in section
    assert sentence in coord.get(f"/outreach/plan/print?{q}").get_data(as_text=True)
    assert sentence in coord.get(f"/outreach/plan.csv?{q}").get_data(as_text=True)
    assert "ASC-30" not in html


def test_plan_downloads_are_named_after_the_plan_and_carry_provenance(coord):
    from assetmap import settings
    q = "patch=wards&ids=E05990001&client_group=dementia&service_type=home_support"
    r = coord.get(f"/outreach/plan.csv?{q}")
    cd = r.headers["Content-Disposition"]
    assert "dementia-home_support" in cd and cd.startswith('attachment; filename="outreach-')
    other = coord.get("/outreach/plan.csv?patch=wards&ids=E05990001&client_group=carers")
    assert other.headers["Content-Disposition"] != cd
    for fmt in ("csv", "gpx", "geojson", "zip"):
        r = coord.c.get(f"/outreach/plan.{fmt}?{q}")          # (a zip is not text)
        assert r.status_code == 200, fmt
        assert r.headers["X-AssetMap-Run"] and r.headers["X-AssetMap-Data-Version"]
        assert "OpenStreetMap" in r.headers["X-AssetMap-Licence"]
        assert "/outreach/plan/dictionary.csv?" in r.headers["Link"]
    gj = json.loads(coord.get(f"/outreach/plan.geojson?{q}").get_data(as_text=True))
    assert gj["metadata"]["licence"] == settings.DATA_LICENCE and gj["metadata"]["run_id"]
    gpx = coord.get(f"/outreach/plan.gpx?{q}").get_data(as_text=True)
    assert "<desc>AssetMap: Outreach plan" in gpx and "OpenStreetMap" in gpx
    link = r.headers["Link"].split(">")[0].lstrip("<")
    dic = list(csv.DictReader(io.StringIO(coord.get(link).get_data(as_text=True))))
    cols = {d["column"] for d in dic}
    rows = list(csv.DictReader(io.StringIO(coord.get(f"/outreach/plan.csv?{q}")
                                           .get_data(as_text=True))))
    assert set(rows[0]) <= cols and all(d["meaning"] for d in dic)
    assert any(d["column"] == "file.licence" for d in dic)
    z = zipfile.ZipFile(io.BytesIO(coord.c.get(f"/outreach/plan.zip?{q}").get_data()))
    assert len(z.namelist()) == 3 and settings.DATA_LICENCE in z.read("README.txt").decode()
