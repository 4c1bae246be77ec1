"""A coordinator signs in, draws a patch with the Leaflet draw control, gets a plan, prints it
and downloads the CSV and the route (headless Debian chromium through Playwright)."""
from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest

pytestmark = pytest.mark.browser

PASSWORD = "coord-pass-5521"


@pytest.fixture
def coordinator(app):
    from assetmap import accounts
    app.extensions["assetmap_store"].add_user("cora", "coordinator",
                                              accounts.hash_password(PASSWORD))
    return "cora"


@pytest.fixture(scope="module")
def hotspot(demo_store):
    raw = demo_store.get_meta("planted")
    planted = json.loads(raw) if raw else \
        pytest.importorskip("assetmap.demo").generate().planted
    return planted["hotspot_areas"]


def _hotspot_box(page, app, codes, pad_px=18):
    """Screen pixels of a box around the planted hotspot areas on the Leaflet map."""
    areas = app.extensions["assetmap_store"].read_areas("lsoa", codes=codes)
    minx, miny, maxx, maxy = areas.total_bounds
    pts = page.evaluate(
        """([s, w, n, e]) => {
            const m = window.assetmapMap;
            // centre the hotspot, clear of the legends in the corners (as a user would pan)
            m.fitBounds([[s, w], [n, e]], {padding: [220, 220], animate: false});
            const r = m.getContainer().getBoundingClientRect();
            const a = m.latLngToContainerPoint([n, w]), b = m.latLngToContainerPoint([s, e]);
            return [r.left + a.x, r.top + a.y, r.left + b.x, r.top + b.y];
        }""", [miny, minx, maxy, maxx])
    x0, y0, x1, y1 = pts
    return x0 - pad_px, y0 - pad_px, x1 + pad_px, y1 + pad_px


def _sign_in(page, live_server, name):
    """Sign in on the login form, as a coordinator does, landing on the outreach page."""
    page.goto(f"{live_server}/login?next=/outreach")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r".*/outreach$"))


def _click_vertex(page, x, y, count):
    """Click a polygon vertex at (x, y) as a person does: look that the vertex appeared
    (``count`` drawn so far), and click again if a busy browser let the click pass."""
    icons = page.locator(".leaflet-editing-icon")     # no page-side eval: the CSP forbids it
    for _ in range(3):
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.up()
        for _ in range(30):
            if icons.count() >= count:
                return
            page.wait_for_timeout(100)
    raise AssertionError(f"vertex {count} never appeared on the map")


def test_coordinator_draws_plans_prints_and_downloads(page, live_server, app, coordinator,
                                                      hotspot, tmp_path):
    page.set_default_timeout(20_000)
    _sign_in(page, live_server, coordinator)
    page.wait_for_function("window.assetmapMap !== undefined")

    # draw a polygon around the planted hotspot with the draw control
    x0, y0, x1, y1 = _hotspot_box(page, app, hotspot)
    page.click("a.leaflet-draw-draw-polygon")
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    for i, (x, y) in enumerate(corners):
        _click_vertex(page, x, y, i + 1)
    page.mouse.move(*corners[0])      # close the ring on the first vertex
    page.mouse.down()
    page.mouse.up()
    page.wait_for_function("document.getElementById('patch-polygon').value.length > 0")
    drawn = json.loads(page.input_value("#patch-polygon"))
    assert drawn["type"] == "Polygon" and len(drawn["coordinates"][0]) == 5
    assert page.is_checked("#patch-kind-polygon")
    # the drawn shape is on the map
    assert page.evaluate("""() => Object.values(window.assetmapMap._layers).filter(
        l => l instanceof L.Polygon && !l.feature).length""") >= 1

    # get the plan
    page.select_option("#client_group", "older_people")
    page.click("#make-plan")
    page.wait_for_url(re.compile(r".*/outreach/plan\?.*patch=polygon.*"))
    first = page.locator("li.ranked-area").first.get_attribute("data-code")
    assert first in set(hotspot)
    assert "Drawn patch" in page.inner_text("h1")
    assert page.locator(".folium-map").count() == 1
    total = page.inner_text("#route-total")
    assert re.match(r"[\d.]+ minutes' walk", total)
    plan_url = page.url

    # print it: one A4 page with the map and the lists
    page.click("#print-link")
    page.wait_for_selector("#print-sheet")
    page.emulate_media(media="print")
    box = page.locator("#print-map svg").bounding_box()
    assert box["width"] > 300 and box["height"] > 100
    assert page.locator("#print-map svg path").count() >= 2            # areas and the patch
    assert page.locator("#print-map svg g.stop").count() >= 1           # numbered stops
    assert page.locator("#print-map svg polyline").count() == 1         # the route
    assert page.locator(".p-area").count() >= 1
    assert page.locator("ol.p-stops li").count() >= 1
    assert page.locator(".screen-bar").is_hidden()                      # print CSS applies
    shot = tmp_path / "print.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf[:5] == b"%PDF-"
    days = page.locator("h3.p-day").count()
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert days >= 1 and pages >= days, "one page (or more) per day of the route"
    page.emulate_media(media="screen")

    # download the lists and the route
    page.goto(plan_url)
    with page.expect_download() as dl:
        page.click("#csv-link")
    rows = list(csv.DictReader(io.StringIO(open(dl.value.path(), encoding="utf-8").read())))
    assert rows and rows[0]["section"] == "area" and rows[0]["area_code"] == first
    assert dl.value.suggested_filename.endswith(".csv")
    with page.expect_download() as dl:
        page.click("#gpx-link")
    gpx = ET.parse(dl.value.path()).getroot()
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    assert gpx.findall("g:wpt", ns) and gpx.findall(".//g:trkpt", ns)
    with page.expect_download() as dl:
        page.click("#geojson-link")
    gj = json.load(open(dl.value.path()))
    assert gj["features"][0]["geometry"]["type"] == "LineString"

    assert page.js_errors == []


def test_coordinator_chooses_group_and_service_and_sees_turned_away_demand(
        page, live_server, app, coordinator, tmp_path):
    """Issue 12: a coordinator chooses a client group and a service type in the outreach
    form; the commissioning section lists only that service for that group, once. Issue 11:
    after a provider declines a referral for lack of capacity (through its private link),
    the plan's commissioning item says so."""
    from conftest import FormClient

    from assetmap import accounts

    from referralhelp import issue_link, refer
    store = app.extensions["assetmap_store"]
    for name, role, pw in (("rita", "referrer", "referrer-pass-4471"),
                           ("pat", "planner", "planner-pass-9183")):
        store.add_user(name, role, accounts.hash_password(pw))
    areas = store.read_areas("lsoa")
    ward = areas["parent_code"].dropna().sort_values().iloc[0]
    ward_name = areas[areas["parent_code"] == ward]["parent_name"].iloc[0]
    code = areas[areas["parent_code"] == ward]["code"].iloc[0]
    area_name = areas.set_index("code").loc[code, "name"]
    a = store.read_assets()
    prov = a[a["is_provider"] & a["service_types"].str.contains("home_support")
             & ~a["name"].str.contains("<")].sort_values("id")["id"].iloc[0]

    page.set_default_timeout(20_000)
    _sign_in(page, live_server, coordinator)
    page.check("input[name=patch][value=wards]")
    page.select_option("#ward", label=ward_name)
    page.select_option("#client_group", "dementia")
    page.select_option("#service_type", "home_support")
    page.click("#make-plan")
    page.wait_for_url(re.compile(r".*/outreach/plan\?.*client_group=dementia.*"))
    plan_url = page.url

    def items():
        return page.eval_on_selector_all(
            "#commissioning li.gap-item",
            "els => els.map(e => [e.dataset.service, e.dataset.group, e.innerText])")
    before = items()
    assert all(s == "home_support" and g == "dementia" for s, g, _ in before), before
    assert len({(s, g) for s, g, _ in before}) == len(before)           # no repeats
    assert "declined for lack of capacity" not in page.inner_text("#commissioning")

    # a social worker refers; the provider declines it for lack of capacity (private link)
    rita = FormClient(app).login("rita", "referrer-pass-4471")
    rid = refer(rita, prov, service_type="home_support", client_group="dementia", area=code,
                case_ref="ASC-557701", notes="mornings")
    link = issue_link(FormClient(app).login("pat", "planner-pass-9183"), prov)
    pv = FormClient(app)
    pv.get(link)
    r = pv.post(f"{link}/referrals/{rid}", {"status": "declined", "decline_reason":
                                            "no_capacity", "version": str(
                                                store.get_referral(rid)["version"])})
    assert r.status_code == 303, r.get_data(as_text=True)[:500]

    page.goto(plan_url)
    after = items()
    assert all(s == "home_support" and g == "dementia" for s, g, _ in after), after
    assert len({(s, g) for s, g, _ in after}) == len(after)
    text = page.inner_text("#commissioning")
    assert (f"Fewer than 5 referrals for home support for people living with dementia in "
            f"{area_name} declined for lack of capacity in the last quarter") in text
    assert "ASC-557701" not in page.content()
    page.locator("#commissioning").screenshot(path=str(tmp_path / "commissioning.png"))
    page.click("#print-link")
    page.wait_for_selector("#print-sheet")
    assert "declined for lack of capacity" in page.inner_text("#print-sheet")
    assert page.js_errors == []
