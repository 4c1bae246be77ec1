"""A referral's whole path in Debian chromium on the demo borough (issue 11): a planner
issues a provider's private link from its record page; a social worker (referrer) signs in,
finds providers of home support for a demo place in the referral finder and refers the
first; the provider opens its private link, sees the referral, declines it for lack of
capacity and sets its vacancies to 0; the planner sees one turned-away referral for that
area on /gaps, and the provider no longer comes first in the finder."""
from __future__ import annotations

import re

import geopandas as gpd
import pytest
from test_browser_accessibility import _axe

from assetmap import accounts

from browserhelp import offline_page
from contribhelp import store_of

pytestmark = pytest.mark.browser

USERS = {"sally": ("referrer", "social-worker-pw-5521"), "paula": ("planner", "planner-pw-80417")}
CASE_REF = "ASC-271828"


def _sign_in(page, base, name):
    page.goto(f"{base}/login")
    page.fill("#login-name", name)
    page.fill("#login-password", USERS[name][1])
    page.click("#login-submit")
    page.wait_for_load_state()


def _place(store):
    """A demo provider of home support with vacancies (not home-based) whose own place has
    at least one other such provider within the finder's walk: (provider row, lon, lat,
    client group)."""
    a = store.read_assets()
    import datetime
    recent = (datetime.date.today() - datetime.timedelta(days=20)).isoformat()
    p = a[a["is_provider"] & ~a["home_based"] & a["service_types"].str.contains("home_support")
          & (a["vacancies"].fillna(0) > 0)
          & (a["vacancies_confirmed"].fillna("") >= recent)].sort_values("id")
    assert len(p) >= 2, "the demo has too few home-support providers with vacancies"
    for _, r in p.iterrows():
        others = p[p["id"] != r["id"]]
        d = others.geometry.to_crs(27700).distance(
            gpd.GeoSeries([r.geometry], crs=4326).to_crs(27700).iloc[0])
        if (d < 900).any():
            return r, r.geometry.x, r.geometry.y, r["client_groups"].split("|")[0]
    pytest.skip("no two home-support providers near each other in the demo")


def test_refer_decline_for_capacity_and_see_it_on_gaps(app, live_server, browser):
    store = store_of(app)
    for name, (role, password) in USERS.items():
        store.add_user(name, role, accounts.hash_password(password))
    prov, lon, lat, group = _place(store)
    base = live_server

    def new_page():
        return offline_page(browser)

    # --- the planner issues the provider's private link ----------------------------------------
    planner = new_page()
    _sign_in(planner, base, "paula")
    planner.goto(f"{base}/moderate/asset/{prov['id']}")
    planner.click("#issue-provider-link")
    link = planner.get_attribute("#provider-link", "href")
    assert "/provider/" in link

    # --- the social worker finds a provider for the place and refers ---------------------------
    sw = new_page()
    _sign_in(sw, base, "sally")
    assert sw.url.endswith("/referrals")
    finder = (f"{base}/referral?lat={lat:.6f}&lon={lon:.6f}&service_type=home_support"
              f"&client_group={group}")
    sw.goto(finder)
    # providers equal on vacancies, minutes and quality mark are drawn afresh per search:
    # find the provider's own row (it is listed, with its vacancies)
    first = sw.locator("#providers li.result").filter(
        has=sw.locator("h3", has_text=prov["name"])).first
    assert "Vacancies" in first.inner_text()
    first.get_by_role("button", name=f"Refer to {prov['name']}").click()
    sw.wait_for_load_state()
    assert _axe(sw) == []
    assert sw.locator("#r-service").input_value() == "home_support"
    assert sw.locator("#r-group").input_value() == group
    area = sw.locator("#r-area").input_value()
    assert re.fullmatch(r"E01\d{6}", area)
    sw.fill("#r-case", "Jane Smith")                         # a name: refused, clearly
    sw.click("#send-referral")
    assert "seems to hold a name (Jane Smith)" in sw.locator("#referral-error").inner_text()
    sw.fill("#r-case", CASE_REF)
    sw.fill("#r-notes", "Help with washing and dressing, mornings")
    sw.click("#send-referral")
    sw.wait_for_load_state()
    assert "Sent, waiting for the provider" in sw.locator("#referral-status").inner_text()
    assert _axe(sw) == []
    rid = int(re.search(r"/referrals/(\d+)", sw.url).group(1))

    # --- the provider answers through its private link -----------------------------------------
    pv = new_page()
    pv.goto(link)
    row = pv.locator(f'#waiting tr[data-referral="{rid}"]')
    assert CASE_REF in row.inner_text()
    assert _axe(pv) == []
    pv.select_option(f"#reason-{rid}", "no_capacity")
    pv.click(f"#decline-{rid}")
    pv.wait_for_load_state()
    assert "declined (no capacity)" in pv.locator("#answered").inner_text()
    pv.fill("#vacancies", "0")
    pv.click("#save-vacancies")
    pv.wait_for_load_state()
    assert pv.locator("#vacancies-now").inner_text() == "0"
    assert store.get_asset(prov["id"])["vacancies"] == 0

    # --- the referrer sees the answer ----------------------------------------------------------
    sw.goto(f"{base}/referrals")
    assert "declined" in sw.locator(f'#my-referrals tr[data-referral="{rid}"]').inner_text()
    assert "no capacity" in sw.locator("#referral-notices").inner_text()
    assert _axe(sw) == []

    # --- the planner: one turned away on /gaps for that area -----------------------------------
    planner.goto(f"{base}/gaps?service_type=home_support&client_group={group}")
    cell = planner.locator(f'#turned-away-table tr[data-area="{area}"] td').nth(1)
    assert cell.inner_text() == "1"
    assert "1 referral for home support" in planner.locator("#turned-away").inner_text()
    planner.goto(f"{base}/referral-evidence")
    assert "1 referral for home support" in planner.locator("#evidence-sentences").inner_text()
    assert _axe(planner) == []
    # the public sees it suppressed
    anon = new_page()
    anon.goto(f"{base}/gaps?service_type=home_support&client_group={group}")
    cell = anon.locator(f'#turned-away-table tr[data-area="{area}"] td').nth(1)
    assert cell.inner_text() == "fewer than 5"
    assert CASE_REF not in anon.content() and CASE_REF not in planner.content()

    # --- and the provider, now full, no longer comes first in the finder -----------------------
    sw.goto(finder)
    assert sw.locator("#providers li.result h3").first.inner_text() != prov["name"]
    for pg in (planner, sw, pv, anon):
        assert pg.js_errors == []
        pg.context.close()
