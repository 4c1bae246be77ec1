"""Accessibility in real Chromium: axe-core (the vendored npm package) on every page, signed
out and signed in as a planner, with no serious or critical violation; zoom is never
disabled; the skip link skips the map; the map's controls come before its markers."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "web" / "static" / "vendor" / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "planner-pass-8842"


def _axe(page) -> list[dict]:
    """Serious and critical violations axe-core finds on the page as it stands."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed (scripts/_setup.sh runs npm ci)")
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    found = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
                        count: v.nodes.length}));
    }""")
    return found


def _pages(app) -> list[str]:
    store = app.extensions["assetmap_store"]
    areas = store.read_areas("lsoa")
    code, ward = areas["code"].iloc[0], areas["parent_code"].iloc[0]
    c = areas.geometry.iloc[0].representative_point()
    return ["/", "/gaps", "/hotspots", "/areas", f"/areas/{code}", f"/areas/{code}/summary",
            "/wards", f"/areas/{ward}", "/directory", f"/directory?lat={c.y:.5f}&lon={c.x:.5f}",
            "/referral", "/downloads", "/method", "/contribute", "/login"]


SIGNED_IN = ["/moderate", "/outreach", "/admin/users", "/account", "/my-submissions"]


def _check(page, base, paths) -> dict:
    bad = {}
    for path in paths:
        page.goto(base + path)
        page.wait_for_load_state("load")
        page.wait_for_timeout(200)
        found = _axe(page)
        if found:
            bad[path] = found
    return bad


def test_no_serious_violation_signed_out(page, live_server, app):
    bad = _check(page, live_server, _pages(app))
    assert not bad, json.dumps(bad, indent=1)


def test_no_serious_violation_signed_in(page, live_server, app):
    from assetmap import accounts
    app.extensions["assetmap_store"].add_user("pia", "planner", accounts.hash_password(PASSWORD))
    page.goto(f"{live_server}/login")
    page.fill("input[name=name]", "pia")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state("load")
    bad = _check(page, live_server, SIGNED_IN + ["/", "/gaps"])
    assert not bad, json.dumps(bad, indent=1)


def test_zoom_is_never_disabled(page, live_server, app):
    for path in ("/", "/gaps", f"/areas/{_pages(app)[4].split('/')[-1]}"):
        page.goto(live_server + path)
        metas = page.eval_on_selector_all("meta[name=viewport]",
                                          "els => els.map(e => e.content)")
        assert len(metas) == 1, metas
        assert "user-scalable=no" not in metas[0].replace(" ", "")
        assert "maximum-scale=1" not in metas[0].replace(" ", "")


def test_keyboard_reaches_controls_and_filters_before_any_marker(page, live_server):
    """Tab from the top of the overview: the skip link skips the map, and without it the
    map's layer control and the page's filters come before any marker (none is a tab
    stop: the directory lists the same places)."""
    page.goto(live_server + "/")
    page.wait_for_load_state("load")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip the map"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('.folium-map') === null")
    assert page.evaluate("document.activeElement.closest('#side') !== null")
    page.goto(live_server + "/")
    page.wait_for_load_state("load")
    seen = []
    for _ in range(60):
        page.keyboard.press("Tab")
        seen.append(page.evaluate("""() => { const e = document.activeElement;
            return e.closest('.leaflet-marker-pane') ? 'marker'
                 : e.closest('.leaflet-control-layers') ? 'layers'
                 : e.id === 'indicator' ? 'filters' : ''; }"""))
        if "filters" in seen:
            break
    assert "marker" not in seen
    assert "layers" in seen and "filters" in seen
    assert seen.index("layers") < seen.index("filters")
    assert page.locator(".leaflet-marker-icon[tabindex]").count() == 0
