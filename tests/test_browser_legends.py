"""Map legends and area layers in real Chromium, as a planner uses them: the one legend panel
never covers the areas at the first view (the demo borough and Rutland built from the
national files), folds away and back by keyboard, keeps its links to /method; a national-size
map (more areas than ``settings.MAP_INLINE_AREAS``) asks for the areas in view, says "zoom in"
when too many are in view, and builds tooltips and popups from text."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_io_common import REALDATA

from assetmap.cli import main

pytestmark = pytest.mark.browser


def _open(page, url):
    page.goto(url)
    page.wait_for_load_state("load")
    page.wait_for_selector("html[data-am-ready]", timeout=20000)
    page.wait_for_timeout(200)


#: The page rectangle of everything drawn in the map's area layers (their drawn extent).
_DATA_BOX = """() => { const m = window.assetmapMap; let b = null;
    (window.assetmapAreaSources || []).forEach(function (s) {
        Object.values(s.layers).forEach(function (d) {
            if (!m.hasLayer(d.group)) { return; }
            d.group.eachLayer(function (g) { if (g.getBounds) {
                b = b ? b.extend(g.getBounds()) : L.latLngBounds(g.getBounds().getSouthWest(),
                                                                 g.getBounds().getNorthEast());
            } }); }); });
    if (!b) { return null; }
    const r = m.getContainer().getBoundingClientRect();
    const nw = m.latLngToContainerPoint(b.getNorthWest());
    const se = m.latLngToContainerPoint(b.getSouthEast());
    return {x: r.left + nw.x, y: r.top + nw.y, width: se.x - nw.x, height: se.y - nw.y}; }"""


def _apart(a, b) -> bool:
    return (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"] or
            a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def _legend_clear_of_data(page):
    data = page.evaluate(_DATA_BOX)
    assert data and data["width"] > 50 and data["height"] > 50
    panel = page.locator(".am-legend-panel").bounding_box()
    layers = page.locator(".leaflet-control-layers").bounding_box()
    assert panel and _apart(panel, data), (panel, data)
    assert layers and _apart(layers, data), (layers, data)
    mb = page.locator(".folium-map").bounding_box()          # and the data is on the map
    assert data["x"] >= mb["x"] - 1 and data["x"] + data["width"] <= mb["x"] + mb["width"] + 1
    return data


def test_demo_legends_never_cover_the_areas(page, live_server):
    _open(page, live_server + "/")
    _legend_clear_of_data(page)
    page.screenshot(path=str(Path(page.screenshot_dir) / "demo-overview.png"))
    # every legend in the panel keeps its link to the method notes
    links = page.eval_on_selector_all(".am-legend-panel .am-legend a.am-legend-method",
                                      "els => els.map(e => e.getAttribute('href'))")
    assert links and all(h.startswith("/method") for h in links)
    for path in ("/gaps", "/hotspots"):
        _open(page, live_server + path)
        _legend_clear_of_data(page)
    assert page.js_errors == []


def test_legend_panel_folds_by_keyboard(page, live_server):
    _open(page, live_server + "/")
    toggle = page.get_by_role("button", name="Legend")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.locator(".am-legend-list").is_visible()
    for _ in range(80):                       # Tab to the button, as a keyboard user would
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('am-legend-toggle')"):
            break
    assert page.evaluate("document.activeElement.classList.contains('am-legend-toggle')")
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not page.locator(".am-legend-list").is_visible()
    page.keyboard.press("Space")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.locator(".am-legend-list").is_visible()
    assert page.js_errors == []


# --- a real place: Rutland from the national files, its OSM extract, analysed ----------------
def _cli(db, *args):
    r = CliRunner().invoke(main, ["--db", db, *map(str, args)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.output


@pytest.fixture(scope="module")
def rutland_db(tmp_path_factory):
    osm = REALDATA / "osm-rutland" / "rutland-latest.osm.bz2"
    boundary = REALDATA / "rutland-needs" / "rutland_boundary_osm_relation_57398.geojson"
    if not osm.exists() or not boundary.exists():
        pytest.skip("shared/realdata (Rutland) absent")
    db = f"sqlite:///{tmp_path_factory.mktemp('rutland-web') / 'r.sqlite'}"
    _cli(db, "area", "E06000017", REALDATA / "england-iod2019-lsoa11",
         REALDATA / "england-wales-lsoa11-centroids-lookups", "--boundary", boundary)
    _cli(db, "import", "osm", osm)
    _cli(db, "analyse", "-p", "permutations=9")
    return db


@pytest.fixture
def rutland_server(rutland_db, tmp_path):
    import threading

    from conftest import _free_port
    from waitress.server import create_server

    from assetmap.app import create_app
    app = create_app({"TESTING": True, "DATABASE": rutland_db, "SECRET_KEY": "x",
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    port = _free_port()
    server = create_server(app, host="127.0.0.1", port=port, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    yield f"http://127.0.0.1:{port}"
    server.close()


def test_rutland_legends_never_cover_the_areas(page, rutland_server):
    _open(page, rutland_server + "/")
    _legend_clear_of_data(page)
    page.screenshot(path=str(Path(page.screenshot_dir) / "rutland-overview.png"))
    assert page.js_errors == []


# --- the national path: areas fetched for the view ---------------------------------------------
def test_national_path_fetches_areas_in_view(page, live_server, monkeypatch):
    """With the inline limit below the demo's area count the page is built as for England:
    no area in the HTML, the areas in view fetched from /map/areas.json; too many in view
    and the map says "zoom in"; tooltips and popups still name the area and its ward."""
    from assetmap import maps, settings
    maps.clear_cache()
    monkeypatch.setattr(settings, "MAP_INLINE_AREAS", 10)
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "/map/areas.json" in r.url else None)
    _open(page, live_server + "/")
    assert requests and "bbox=" in requests[0] and "zoom=" in requests[0]
    n = page.evaluate("""() => { let n = 0; window.assetmapMap.eachLayer(function (l) {
        if (l instanceof L.Polygon && l.feature) { n++; } }); return n; }""")
    assert n > 20
    _legend_clear_of_data(page)
    text = page.evaluate("""() => { let t = null; window.assetmapMap.eachLayer(function (l) {
        if (!t && l.feature && l.getPopup && l.getPopup()) { l.openPopup(); t = document
            .querySelector('.leaflet-popup-content').textContent; } }); return t; }""")
    assert text and "(" in text and "Area profile" in text
    monkeypatch.setattr(settings, "MAP_AREAS_MAX", 2)     # under even the 3 wards
    page.evaluate("() => { window.assetmapMap.setZoom(window.assetmapMap.getZoom() - 1); }")
    page.wait_for_function("""() => { const n = document.querySelector('.am-area-note');
        return n && n.textContent.indexOf('Zoom in to see areas') === 0; }""", timeout=10000)
    assert page.js_errors == []
    maps.clear_cache()


def _polygons(page) -> list:
    """The tooltip text of every area polygon drawn."""
    return page.evaluate("""() => { const out = []; window.assetmapMap.eachLayer(function (l) {
        if (l instanceof L.Polygon && l.feature && l.getTooltip()) {
            l.openTooltip(); out.push(l.getTooltip().getElement().textContent);
            l.closeTooltip(); } }); return out; }""")


def test_national_first_view_shows_aggregates_and_a_click_opens_them(page, live_server,
                                                                     monkeypatch):
    """More areas in view than MAP_AREAS_MAX: the first view draws the wards, aggregated
    (tooltip: the ward, how many areas, the population-weighted mean); a click on one
    zooms to it and its areas are drawn."""
    from assetmap import maps, settings
    maps.clear_cache()
    monkeypatch.setattr(settings, "MAP_INLINE_AREAS", 10)
    monkeypatch.setattr(settings, "MAP_AREAS_MAX", 70)   # the demo's ~150 areas, 15 wards
    _open(page, live_server + "/")
    tips = _polygons(page)
    assert 0 < len(tips) <= 20, tips
    assert all(re.search(r"\d+ areas?Need index", t) and "Click to zoom in" in t
               for t in tips), tips
    assert any("population-weighted mean" in t for t in tips), tips
    assert "shown by ward" in page.inner_text(".am-area-note")
    assert "aggregates" in page.inner_text(".am-legend-panel")
    z = page.evaluate("() => window.assetmapMap.getZoom()")
    page.evaluate("""() => { let done = false; window.assetmapMap.eachLayer(function (l) {
        if (!done && l instanceof L.Polygon && l.feature) { done = true; l.fire('click'); }
        }); }""")
    page.wait_for_function("""z => window.assetmapMap.getZoom() > z""", arg=z, timeout=10000)
    page.wait_for_function("""() => { const n = document.querySelector('.am-area-note');
        return n && n.textContent.indexOf('shown by') < 0; }""", timeout=10000)
    tips = _polygons(page)
    assert len(tips) > 3 and not any("Click to zoom in" in t for t in tips), tips
    assert "aggregates" not in page.inner_text(".am-legend-panel")
    assert page.js_errors == []
    maps.clear_cache()
