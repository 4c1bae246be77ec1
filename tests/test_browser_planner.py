"""The planner pages in real headless Chromium (Debian's chromium through Playwright): each
page loads without JavaScript errors, maps show their layers and legends, toggling a layer
works, isochrones come on demand, a directory filter changes the list, downloads are valid
files, and a script-like name never runs. Screenshots go to the test's temporary folder
(and, with ASSETMAP_SCREENSHOTS=1, one per page to docs/screenshots/ for the README)."""
import json
import os
import shutil
from pathlib import Path

import pytest

from browserhelp import offline_page

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "screenshots"


def _open(page, url):
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.goto(url)
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)


def _shot(page, name, docs=False):
    """A screenshot in the test's folder; README copies (docs=True) come from the demo."""
    path = Path(page.screenshot_dir) / f"{name}.png"
    page.screenshot(path=str(path))
    if docs and os.environ.get("ASSETMAP_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOCS / f"{name}.png")
    return path


def _polygons(page):
    """Polygons on the map (drawn on a canvas, so counted through Leaflet)."""
    return page.evaluate("""() => { var n = 0; window.assetmapMap.eachLayer(function (l) {
        if (l instanceof L.Polygon) { n++; } }); return n; }""")


def _legends(page):
    return page.eval_on_selector_all(".am-legend",
                                     "els => els.map(e => e.getAttribute('data-layer'))")


def _visible_inside(page, selector, container=".folium-map"):
    """Every element matching ``selector`` lies inside the map and does not overlap another."""
    boxes = [page.locator(selector).nth(i).bounding_box()
             for i in range(page.locator(selector).count())]
    mb = page.locator(container).first.bounding_box()
    for b in boxes:
        assert b and b["width"] > 0 and b["height"] > 0
        assert b["x"] >= mb["x"] - 1 and b["y"] >= mb["y"] - 1
        assert b["x"] + b["width"] <= mb["x"] + mb["width"] + 1
        assert b["y"] + b["height"] <= mb["y"] + mb["height"] + 1
    return boxes


def _no_overlap(boxes):
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            sep = (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"] or
                   a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])
            assert sep, (a, b)


def test_overview_layers_toggle_and_isochrones(page, web_live_server):
    _open(page, web_live_server + "/")
    assert page.js_errors == [] and page.dialogs == []
    assert _polygons(page) >= 36
    assert page.locator(".am-pin").count() > 5                     # markers and clusters
    assert page.locator(".marker-cluster").count() > 0
    assert set(_legends(page)) == {"Need index (older people)", "Community assets",
                                   "Micro-providers"}
    boxes = _visible_inside(page, ".am-legend") + _visible_inside(page, ".leaflet-control-layers")
    _no_overlap(boxes)
    _shot(page, "overview")
    # toggle: networks on (its legend appears), needs off (its legend goes)
    page.get_by_role("checkbox", name="Neighbourhood networks", exact=True).check()
    page.wait_for_timeout(100)
    assert "Neighbourhood networks" in _legends(page)
    n_paths = _polygons(page)
    page.get_by_role("checkbox", name="Needs", exact=True).uncheck()
    page.wait_for_timeout(100)
    assert "Need index (older people)" not in _legends(page)
    assert _polygons(page) == n_paths - 36
    # isochrones on demand: switch the layer on and click the map
    page.get_by_role("checkbox", name="Walking isochrones", exact=True).check()
    page.evaluate("window.assetmapMap.fire('click', {latlng: window.assetmapMap.getCenter()})")
    page.wait_for_function(
        "document.getElementById('iso-status').textContent.indexOf('drawn') >= 0", timeout=10000)
    assert _polygons(page) >= n_paths - 36 + 3
    assert page.js_errors == []


def _clear_spot_on_an_area(page) -> tuple[float, float]:
    """Page pixels of an area's centre far from every marker and control (where a person
    would click to ask "how far can someone walk from here?")."""
    centres = page.evaluate("""() => { const m = window.assetmapMap, out = [];
        const r = m.getContainer().getBoundingClientRect();
        m.eachLayer(function (l) { if (l instanceof L.Polygon) {
            const p = m.latLngToContainerPoint(l.getBounds().getCenter());
            out.push([r.left + p.x, r.top + p.y]); } });
        return out; }""")
    boxes = [page.locator(sel).nth(i).bounding_box()
             for sel in (".leaflet-marker-icon", ".leaflet-control", ".am-legend")
             for i in range(page.locator(sel).count())]
    boxes = [b for b in boxes if b]

    def clearance(pt):
        return min(max(b["x"] - pt[0], pt[0] - b["x"] - b["width"],
                       b["y"] - pt[1], pt[1] - b["y"] - b["height"]) for b in boxes)
    return tuple(max(centres, key=clearance))


def test_walk_from_a_point_with_the_default_layers(page, web_live_server):
    """With the need layer on (the default), a planner presses "Walk from a point" and clicks
    an area: the walk is drawn, and the area popup does not get in the way."""
    _open(page, web_live_server + "/")
    before = _polygons(page)
    page.get_by_role("button", name="Walk from a point").click()
    x, y = _clear_spot_on_an_area(page)
    page.mouse.click(x, y)
    page.wait_for_function(
        "() => document.getElementById('iso-status').textContent.indexOf('drawn') >= 0",
        timeout=10000)
    assert _polygons(page) >= before + 3
    page.wait_for_timeout(400)      # a closed popup fades out (Leaflet removes it at 200 ms)
    assert page.locator(".leaflet-popup").count() == 0
    _shot(page, "overview-walk-from-point")
    page.get_by_role("button", name="Walk from a point").click()     # off: popups again
    page.get_by_role("checkbox", name="Walking isochrones", exact=True).uncheck()
    page.mouse.click(x, y)
    page.wait_for_timeout(200)
    assert page.locator(".leaflet-popup").count() == 1
    assert page.js_errors == []


def test_overview_picker(page, web_live_server):
    _open(page, web_live_server + "/")
    page.select_option("#indicator", "llti")
    page.select_option("#scheme", "fisher_jenks")
    page.click("button:text('Show')")
    page.wait_for_load_state("load")
    assert "indicator=llti" in page.url
    assert "Day-to-day activities limited" in " ".join(_legends(page))
    assert page.js_errors == []


def test_gap_map(page, web_live_server):
    _open(page, web_live_server + "/gaps")
    assert page.js_errors == [] and page.dialogs == []
    page.select_option("#service_type", "befriending")
    page.select_option("#client_group", "carers")
    page.click("button:text('Show')")
    page.wait_for_load_state("load")
    assert page.locator(".am-bv-cell").count() == 9                # the 3x3 legend
    assert page.locator("#gap-table tbody tr").count() > 0
    _visible_inside(page, ".am-legend")
    _shot(page, "gaps")
    page.locator("#gap-table tbody a").first.click()
    page.wait_for_load_state("load")
    assert "/areas/E" in page.url and page.js_errors == []


def test_hotspot_map(page, web_live_server):
    _open(page, web_live_server + "/hotspots")
    assert page.js_errors == [] and page.dialogs == []
    assert "Isolation hotspots (Gi*)" in _legends(page)
    page.get_by_role("checkbox", name="Isolation clusters (LISA)", exact=True).check()
    page.wait_for_timeout(100)
    assert "Isolation clusters (LISA)" in _legends(page)
    assert page.locator("#hotspot-table tbody tr").count() > 0
    _shot(page, "hotspots")


def test_area_profile_and_summary(page, web_live_server):
    _open(page, web_live_server + "/areas/E01000008")
    assert page.js_errors == [] and page.dialogs == []
    assert page.locator("svg.spine").count() >= 5
    assert "Walking isochrones" in _legends(page)
    assert _polygons(page) >= 3
    _shot(page, "area")
    _open(page, web_live_server + "/areas/E01000008/summary")
    page.emulate_media(media="print")
    assert page.locator(".site-header").is_hidden()
    pdf = page.pdf() if hasattr(page, "pdf") else b"%PDF"
    assert pdf[:4] == b"%PDF"
    _shot(page, "area-summary")


def test_directory_filter_changes_list(page, web_live_server):
    _open(page, web_live_server + "/directory")
    assert page.js_errors == [] and page.dialogs == []
    before = int(page.text_content("#result-count"))
    assert page.locator("#results > li").count() == before
    page.check("#vacancies")
    page.select_option("#quality", "silver")
    page.click("button:text('Search')")
    page.wait_for_load_state("load")
    after = int(page.text_content("#result-count"))
    assert 0 < after < before
    assert page.locator("#results > li").count() == after
    # a clicked point: pick mode, click the map, results nearest first
    page.click("#pick-point")
    box = page.locator(".folium-map").bounding_box()
    with page.expect_navigation():
        page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    assert "lat=" in page.url and "nearest first" in page.text_content("#h-results")
    _shot(page, "directory")
    assert page.js_errors == []


def test_referral_print(page, web_live_server):
    _open(page, web_live_server + "/referral")
    page.fill("#postcode", "AB1 1AA")
    page.fill("#budget", "25")
    page.fill("#within", "60")
    page.click("button:text('Find')")
    page.wait_for_load_state("load")
    assert page.locator("#providers > li").count() > 0 and page.js_errors == []
    _shot(page, "referral")
    page.emulate_media(media="print")
    assert page.locator("form.filters").is_hidden()


def test_referral_from_an_area_choice_finds_who_comes_to_the_person(page, live_server):
    """A social worker on the demo: the person lives in Ashbrook 014F and needs support in
    the home for dementia. Choosing the area (no postcode) lists the providers whose area
    served covers it, marked as coming to the person, with recently confirmed vacancies
    first (issue 10: this said "No provider matches within reach")."""
    _open(page, live_server + "/referral")
    page.select_option("#area", label="Ashbrook 014F (Eastgate)")
    page.select_option("#service_type", "home_support")
    page.select_option("#client_group", "dementia")
    with page.expect_navigation():
        page.click("button:text('Find')")
    page.wait_for_load_state("load")
    assert "area=" in page.url and page.js_errors == []
    items = page.locator("#providers > li.result")
    n = items.count()
    assert n >= 5, page.text_content("#providers")
    texts = [items.nth(i).inner_text() for i in range(n)]
    assert all("Comes to you" in t for t in texts)
    fresh = [("has-vacancy" in (items.nth(i).get_attribute("class") or "")) for i in range(n)]
    assert fresh == sorted(fresh, reverse=True) and fresh[0]
    assert "For Ashbrook 014F" in page.text_content(".referral-head")
    _shot(page, "referral-area")


def test_downloads_are_valid_files(page, web_live_server, tmp_path):
    _open(page, web_live_server + "/downloads")
    assert page.js_errors == []
    with page.expect_download() as d:
        page.click("text=assets.geojson")
    path = tmp_path / "assets.geojson"
    d.value.save_as(path)
    gj = json.loads(path.read_text())
    assert gj["type"] == "FeatureCollection" and gj["features"]
    with page.expect_download() as d:
        page.click("text=gaps.csv")
    path = tmp_path / "gaps.csv"
    d.value.save_as(path)
    import csv
    rows = list(csv.DictReader(path.open()))
    assert rows and "area_code" in rows[0]
    _shot(page, "downloads")


def test_tablet_layout(browser, web_live_server, tmp_path):
    pg = offline_page(browser, 820, 1180)
    errors = pg.js_errors
    pg.goto(web_live_server + "/")
    pg.wait_for_load_state("load")
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= 820 and errors == []
    mb = pg.locator(".folium-map").bounding_box()
    assert mb["width"] > 700
    pg.screenshot(path=str(tmp_path / "tablet.png"))
    pg.context.close()


def test_keyboard_reaches_map_controls(page, web_live_server):
    _open(page, web_live_server + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    for _ in range(400):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type") == "checkbox":
            break
    assert page.evaluate("document.activeElement.type") == "checkbox"   # layer control by keyboard
    page.keyboard.press("Space")
    assert page.js_errors == []


DEMO_PAGES = [("overview", "/"), ("gaps", "/gaps"), ("hotspots", "/hotspots"),
              ("area", None), ("area-summary", None), ("directory", "/directory?kind=all"),
              ("referral", None), ("downloads", "/downloads")]


def test_demo_borough_pages(page, live_server, demo_store):
    """Every page on the embedded demo borough with its analysis: no JavaScript errors,
    legends inside the map; the README's screenshots come from here."""
    run = demo_store.latest_run()
    code = None
    if run is not None:
        top = (run.get("summary") or {}).get("top_gaps") or []
        code = top[0] if top else None
    if code is None:
        code = demo_store.read_areas("lsoa")["code"].iloc[0]
    area = demo_store.read_areas("lsoa", codes=[code]).iloc[0]
    c = area.geometry.representative_point()
    for name, url in DEMO_PAGES:
        if name == "area":
            url = f"/areas/{code}"
        elif name == "area-summary":
            url = f"/areas/{code}/summary"
        elif name == "referral":
            url = f"/referral?lat={c.y:.6f}&lon={c.x:.6f}&within=20"
        _open(page, live_server + url)
        assert page.js_errors == [], (url, page.js_errors)
        if page.locator(".folium-map").count():
            _visible_inside(page, ".am-legend")
        _shot(page, name, docs=True)


def test_script_like_names_never_run(page, web_live_server):
    """Hover and open every kind of tooltip/popup that can show the script-like name."""
    page.on("dialog", lambda d: (page.js_errors.append("dialog: " + d.message), d.dismiss()))
    page.goto(web_live_server + "/areas/E01000008")      # area named "Mill & <img ...>"
    page.wait_for_load_state("load")
    page.evaluate("""() => window.assetmapMap.eachLayer(function (l) {
        if (l.getTooltip && l.getTooltip()) { l.openTooltip(); }
        if (l.getPopup && l.getPopup()) { l.openPopup(); } })""")
    page.goto(web_live_server + "/directory?kind=all&q=img")
    page.wait_for_load_state("load")
    page.evaluate("""() => window.assetmapMap.eachLayer(function (l) {
        if (l.getPopup && l.getPopup() && l.getLatLng) { l.openPopup(); } })""")
    page.wait_for_timeout(200)
    assert page.locator("img[src=x]").count() == 0
    assert page.js_errors == []
    assert "&lt;img" not in page.text_content("#results")    # shown as text, once escaped


def test_offline_overview_shows_the_stores_own_streets(page, live_server):
    """No tile server (the default): the demo's own OSM streets are drawn under the layers."""
    _open(page, live_server + "/")
    page.wait_for_selector(".folium-map[data-basemap]", timeout=20000)
    n = int(page.get_attribute(".folium-map", "data-basemap"))
    assert n > 500                                   # the demo's streets and paths
    drawn = page.evaluate("""() => document.querySelectorAll(
        '.leaflet-am-basemap-pane canvas').length""")
    assert drawn >= 1
    _shot(page, "overview-offline-basemap")
    assert page.js_errors == []
