"""The whole contribution path in Debian chromium (issue 6): a contributor adds a
micro-provider by clicking the map; it is absent from the public map; a planner signs in,
sees it in the queue with a duplicate warning, approves it; it appears on the public map and
in the directory, and the gap analysis is refreshed (a new run)."""
from __future__ import annotations

import time

import geopandas as gpd
import pytest
import shapely
from conftest import CONTRIB_USERS

from assetmap import settings

from contribhelp import (
    XSS,
    XSS_TEMPLATE,
    approve,
    inside_point,
    pending_ids,
    provider_form,
    store_of,
    submit,
)

pytestmark = pytest.mark.browser


def _offset(lon, lat, dx):
    g = gpd.GeoSeries([shapely.Point(lon, lat)], crs=4326).to_crs(settings.ANALYSIS_CRS).iloc[0]
    p = gpd.GeoSeries([shapely.Point(g.x + dx, g.y)], crs=settings.ANALYSIS_CRS).to_crs(4326)
    return float(p.iloc[0].x), float(p.iloc[0].y)


def _click_map_at(page, lon, lat):
    """Click the form's Leaflet map where (lon, lat) is, like a person would."""
    page.evaluate("([lat, lon]) => { const m = window[document.getElementById('asset-form')"
                  ".dataset.map]; m.setView([lat, lon], 17, {animate: false}); }", [lat, lon])
    page.wait_for_timeout(200)
    pt = page.evaluate("([lat, lon]) => { const m = window[document.getElementById('asset-form')"
                       ".dataset.map]; const p = m.latLngToContainerPoint([lat, lon]);"
                       " const r = m.getContainer().getBoundingClientRect();"
                       " return [r.left + p.x, r.top + p.y]; }", [lat, lon])
    page.mouse.click(pt[0], pt[1])


def test_contribute_moderate_publish_refresh(contrib_app, contrib_live_server, page):
    contrib_app.config["ANALYSIS_REFRESH"] = "background"
    store = store_of(contrib_app)
    base = contrib_live_server
    run0 = store.latest_run()
    known = store.read_assets()
    known = known[~known["home_based"] & ~known["name"].str.contains("<")].iloc[4]
    lon, lat = _offset(known.geometry.x, known.geometry.y, 60.0)
    name = f"{known['name']} Group"        # "group" is ignored: a likely duplicate nearby

    # --- the contributor -------------------------------------------------------------------
    page.goto(f"{base}/contribute")
    page.fill("#f-name", name)
    page.select_option("#f-category", "micro_provider")
    assert page.is_visible("#provider-detail")
    _click_map_at(page, lon, lat)
    got_lat = float(page.input_value("#f-location"))
    got_lon = float(page.input_value("#f-lon"))
    assert abs(got_lat - lat) < 2e-5 and abs(got_lon - lon) < 3e-5      # a few metres
    assert "Location set" in page.inner_text("#location-status")
    page.fill("#f-description", "Companionship and help around the house")
    page.fill("#f-oh_mo_open", "09:00")
    page.fill("input[name=oh_mo_close]", "13:00")
    page.fill("#f-contact", "07700 900555")
    page.check("#f-contact_public")
    page.check("input[name=service_types][value=befriending]")
    page.check("input[name=client_groups][value=older_people]")
    page.fill("#f-hourly_price", "16.5")
    page.fill("#f-capacity_hours", "30")
    page.fill("#f-vacancies", "6")
    page.fill("#f-staff_fte", "1.5")
    page.click("#submit-asset")
    page.wait_for_selector("#private-link")
    link = page.inner_text("#private-link")
    assert "/submission/" in link
    assert "not on the public map yet" in page.inner_text("#submission-status")
    sub = store.list_submissions(("pending",))[0]
    assert sub["data"]["asset"]["name"] == name
    assert abs(sub["data"]["lat"] - lat) < 2e-5

    # --- not on the public map ------------------------------------------------------------------
    page.goto(f"{base}/")
    assert name not in page.content()

    # --- the planner ----------------------------------------------------------------------------
    page.goto(f"{base}/moderate")
    assert "/login" in page.url
    page.fill("#login-name", "pat")
    page.fill("#login-password", CONTRIB_USERS["pat"][1])
    page.click("#login-submit")
    page.wait_for_selector("#queue")
    row = page.locator(f"tr[data-submission='{sub['id']}']")
    assert name in row.inner_text()
    assert "Possible duplicate" in row.inner_text() and known["name"] in row.inner_text()
    row.locator("a").first.click()
    page.wait_for_selector("#duplicates")
    assert "similar name" in page.inner_text("#duplicates")
    page.click("#approve")
    page.wait_for_selector(".flash")
    assert "now on the public map" in page.inner_text(".flash")
    approved_at = store.data_version()

    # --- published ------------------------------------------------------------------------------
    page.goto(f"{base}/")
    assert name in page.content()
    has_directory = any(r.rule == "/directory" for r in contrib_app.url_map.iter_rules())
    if has_directory:
        page.goto(f"{base}/directory?kind=all&q={known['name'].split()[0]}")
        assert name in page.content()
    else:
        page.goto(f"{base}/api/v1/assets?limit=500")
        assert name in page.content()
    assert store.get_asset(sub["asset_id"])["status"] == "approved"

    # --- the gap analysis is refreshed ----------------------------------------------------------
    deadline = time.time() + 90
    while time.time() < deadline:
        run = store.latest_run()
        if run and (run0 is None or run["id"] > run0["id"]):
            break
        time.sleep(0.3)
    else:
        pytest.fail("no new analysis run after the approval")
    assert run["data_version"] >= approved_at      # it includes the approval
    assert not page.js_errors, page.js_errors


OPEN_EVERYTHING = """() => {
  const sink = document.createElement('div'); document.body.appendChild(sink);
  let n = 0;
  const visit = (layer) => {
    if (layer.getLayers) { layer.getLayers().forEach(visit); }
    for (const getter of ['getPopup', 'getTooltip']) {
      const p = layer[getter] && layer[getter]();
      if (p) {
        let c = p.getContent();
        try { if (typeof c === 'function') { c = c(layer); } } catch (e) { c = null; }
        const d = document.createElement('div');
        if (typeof c === 'string') { d.innerHTML = c; }
        else if (c && c.cloneNode) { d.appendChild(c.cloneNode(true)); }
        sink.appendChild(d); n++;
      }
    }
  };
  for (const k of Object.keys(window)) {
    const v = window[k];
    if (window.L && v instanceof L.Map) { v.eachLayer(visit); }
  }
  return n;
}"""


def test_script_like_names_never_run_in_the_browser(contrib_app, contrib_live_server, page,
                                                    form_client):
    """Pages and maps with script-like names: nothing runs, even with every popup and
    tooltip opened (their HTML inserted into the page as Leaflet does)."""
    store = store_of(contrib_app)
    anon = form_client()
    lon, lat = inside_point(store)
    token = submit(anon, provider_form(lon, lat, name=XSS, description=XSS_TEMPLATE))
    lon2, lat2 = inside_point(store, area_index=20)
    submit(anon, provider_form(lon2, lat2, name=XSS_TEMPLATE))
    ids = pending_ids(store)
    pat = form_client("pat")
    assert approve(pat, ids[0]).status_code == 303
    asset_id = store.get_submission(ids[0])["asset_id"]
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    base = contrib_live_server
    opened = 0
    urls = ["/", "/directory?kind=all", f"/submission/{token}", f"/contribute?asset={asset_id}"]
    for u in urls:
        page.goto(base + u)
        opened += page.evaluate(OPEN_EVERYTHING)
        page.wait_for_timeout(150)
    page.goto(f"{base}/login")
    page.fill("#login-name", "pat")
    page.fill("#login-password", CONTRIB_USERS["pat"][1])
    page.click("#login-submit")
    page.wait_for_selector("#queue")
    for u in ["/moderate", f"/moderate/{ids[1]}", f"/moderate/{ids[0]}",
              f"/moderate/asset/{asset_id}", f"/moderate/asset/{asset_id}/history",
              "/moderate/assets?q=img"]:
        page.goto(base + u)
        opened += page.evaluate(OPEN_EVERYTHING)
        page.wait_for_timeout(150)
    assert opened > 10
    assert dialogs == []
    assert not page.js_errors, page.js_errors
