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


def test_coordinator_draws_plans_prints_and_downloads(page, live_server, app, coordinator,
                                                      hotspot, tmp_path):
    page.set_default_timeout(20_000)
    # sign in
    page.goto(f"{live_server}/login?next=/outreach")
    page.fill("input[name=name]", coordinator)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r".*/outreach$"))
    page.wait_for_function("window.assetmapMap !== undefined")

    # draw a polygon around the planted hotspot with the draw control
    x0, y0, x1, y1 = _hotspot_box(page, app, hotspot)
    page.click("a.leaflet-draw-draw-polygon")
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    for x, y in corners:
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.up()
        page.wait_for_timeout(120)
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
