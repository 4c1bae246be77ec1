"""Trust signals in the directory, in Debian chromium on the demo borough (issue 11, item
5): a social worker types "South Asian" as the community focus and sees the Urdu- and
Gujarati-speaking providers (rated or not); only when they ask for "Good or better" CQC
ratings do the unrated micro-providers leave the list; quality marks say who awarded
them."""
from __future__ import annotations

import html

import pytest
from test_browser_accessibility import _axe

from assetmap import accounts, focus

from contribhelp import store_of

pytestmark = pytest.mark.browser

SW = ("sam", "social-worker-pw-3317")


def _names(page) -> set[str]:
    return {html.unescape(t.strip()) for t in page.locator("#results li.result h3")
            .all_inner_texts()}


def test_social_worker_finds_south_asian_providers_then_good_cqc(app, live_server, browser):
    store = store_of(app)
    store.add_user(SW[0], "referrer", accounts.hash_password(SW[1]))
    a = store.read_assets()
    p = a[a["is_provider"]]
    tags = dict(zip(p["name"], p["community_tags"]))
    south_asian = {n for n, t in tags.items()
                   if set(focus.split_tags(t)) & focus.expand("South Asian")}
    speakers = {n for n, t in tags.items() if {"urdu", "gujarati"} & set(focus.split_tags(t))}
    rated_good = set(p.loc[p["cqc_rating"].isin(["Good", "Outstanding"]), "name"])
    unrated = set(p.loc[p["cqc_rating"].isna(), "name"])
    assert speakers and speakers <= south_asian and south_asian & unrated

    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("**/*", lambda route: route.abort()
               if not route.request.url.startswith("http://127.0.0.1") else route.continue_())
    page.goto(f"{live_server}/login")
    page.fill("#login-name", SW[0])
    page.fill("#login-password", SW[1])
    page.click("#login-submit")
    page.wait_for_load_state()

    page.goto(f"{live_server}/directory")
    everyone = _names(page)
    assert unrated & everyone                       # unrated providers are listed
    page.fill("#focus", "South Asian")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    got = _names(page)
    assert got == south_asian and speakers <= got
    assert unrated & got                            # rated or not, all are shown
    assert _axe(page) == []
    badges = page.locator("#results").inner_text()
    assert "verified by the council" in badges or "(self-declared)" in badges

    page.fill("#focus", "")
    page.select_option("#cqc_rating", "good")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    got = _names(page)
    assert got == rated_good and not (got & unrated)      # only now are they removed
    assert "CQC: Good" in page.locator("#results").inner_text()
    assert page.locator("#cqc_rating").input_value() == "good"
    assert errors == []
    ctx.close()
