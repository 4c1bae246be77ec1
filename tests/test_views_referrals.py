"""Referrers' pages (issue 11): the Refer action in the referral finder, sending a
referral through the form with its checks, the referrer's list, detail, withdraw and
close; who may see and change what (every route, every role); CSRF on every form."""
import re

import pytest
import shapely

from assetmap import model

from contribhelp import store_of
from referralhelp import area_code, form_fields, provider, refer


@pytest.fixture
def rita(referral_client):
    return referral_client("rita")


def _point_of(store, asset_id):
    a = store.get_asset(asset_id)
    return a["geometry"].x, a["geometry"].y


def test_the_referral_finder_offers_refer_to_referrers_only(referral_app, referral_client, rita):
    store = store_of(referral_app)
    aid, name = provider(store)
    lon, lat = _point_of(store, aid)
    url = f"/referral?lat={lat:.6f}&lon={lon:.6f}&service_type=befriending&within=60"
    for who in (None, "pat", "cora", "connie"):
        body = referral_client(who).get(url).get_data(as_text=True)
        assert 'class="refer-form' not in body, who
    body = rita.get(url).get_data(as_text=True)
    forms = re.findall(r'<form method="get" action="/referrals/new".*?</form>', body, re.S)
    assert forms and all('name="service_type" value="befriending"' in f for f in forms)
    assert any(f'value="{aid}"' in f and f'aria-label="Refer to {name}"' in f for f in forms)
    code = re.search(r'name="area" value="(E01\d+)"', forms[0]).group(1)
    assert store.read_areas().set_index("code").geometry[code].contains(shapely.Point(lon, lat))
    # the directory lists the same providers without the action
    assert 'class="refer-form' not in rita.get("/directory?kind=all").get_data(as_text=True)
    assert "My referrals" in body


def test_a_referrer_refers_sees_it_and_withdraws_it(referral_app, rita):
    store = store_of(referral_app)
    aid, name = provider(store)
    page = rita.get(f"/referrals/new?asset={aid}&service_type=befriending&client_group=dementia"
                    f"&area={area_code(store)}").get_data(as_text=True)
    assert 'value="befriending" selected' in page and 'value="dementia" selected' in page
    assert f'value="{area_code(store)}" selected' in page
    assert "Never the person's name" in page
    rid = refer(rita, aid, case_ref="ASC-555123", notes="Help with shopping, Polish speaker")
    ref = store.get_referral(rid)
    assert (ref["created_by"], ref["status"], ref["case_ref"], ref["asset_id"]) == \
        ("rita", "sent", "ASC-555123", aid)
    detail = rita.get(f"/referrals/{rid}").get_data(as_text=True)
    assert "ASC-555123" in detail and "Sent, waiting for the provider" in detail
    assert "Help with shopping" in detail and 'id="referral-withdrawn"' in detail
    listing = rita.get("/referrals").get_data(as_text=True)
    assert f'data-referral="{rid}"' in listing and "ASC-555123" in listing and name in listing
    hidden = form_fields(detail)
    r = rita.post(f"/referrals/{rid}/status", {"status": "withdrawn",
                                               "version": hidden["version"]})
    assert r.status_code == 303
    assert store.get_referral(rid)["status"] == "withdrawn"
    again = rita.post(f"/referrals/{rid}/status", {"status": "withdrawn", "version": "2"})
    assert again.status_code == 409
    detail = rita.get(f"/referrals/{rid}").get_data(as_text=True)
    assert "sent → withdrawn" in detail and 'id="referral-withdrawn"' not in detail
    assert [e["to_status"] for e in store.referral_history(rid)] == ["sent", "withdrawn"]


@pytest.mark.parametrize("over,message", [
    ({"case_ref": "Jane Smith 1"}, "a name (Jane Smith)"),
    ({"case_ref": "AB1 2CD"}, "a postcode (AB1 2CD)"),
    ({"case_ref": "12/03/1950"}, "date of birth"),
    ({"notes": "Mrs Khan, ring 07700 900123"}, "notes seem to hold a phone or NHS number"),
    ({"notes": "x" * 501}, "500 characters"),
    ({"area": "E09999999"}, "choose the area"),
    ({"service_type": "transport"}, "does not offer"),
    ({"client_group": "nobody"}, "choose the client group")])
def test_bad_referrals_are_refused_with_a_clear_message(referral_app, rita, over, message):
    store = store_of(referral_app)
    aid, _ = provider(store)
    r = refer(rita, aid, expect=400, **over)
    text = r.get_data(as_text=True).replace("&#39;", "'")
    assert message.lower() in text.lower(), re.search(r'id="referral-error">(.*?)</p>', text, re.S)
    assert 'id="referral-form"' in text                       # the form, filled in again
    assert store.counts()["referrals"] == 0


def test_a_form_posted_twice_makes_one_referral(referral_app, rita):
    store = store_of(referral_app)
    aid, _ = provider(store)
    page = rita.get(f"/referrals/new?asset={aid}").get_data(as_text=True)
    data = {"asset_id": aid, "request_key": form_fields(page)["request_key"],
            "service_type": "befriending", "client_group": "older_people",
            "area_code": area_code(store), "case_ref": "ASC-1", "notes": ""}
    first, second = rita.post("/referrals", data), rita.post("/referrals", data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert store.counts()["referrals"] == 1


def test_referrals_are_rate_limited_per_referrer(referral_app, referral_client):
    referral_app.config["REFERRAL_LIMIT"] = 2
    store = store_of(referral_app)
    aid, _ = provider(store)
    rita = referral_client("rita")
    refer(rita, aid, case_ref="ASC-1")
    refer(rita, aid, case_ref="ASC-2")
    assert refer(rita, aid, case_ref="ASC-3", expect=429).status_code == 429
    refer(referral_client("rob"), aid, case_ref="ASC-4")          # another referrer's own count
    assert store.counts()["referrals"] == 3


def test_home_based_providers_stay_approximate_on_referral_pages(referral_app, rita):
    store = store_of(referral_app)
    aid, _ = provider(store, home_based=True)
    full = store.get_asset(aid)
    page = rita.get(f"/referrals/new?asset={aid}").get_data(as_text=True)
    rid = refer(rita, aid)
    pages = page + rita.get(f"/referrals/{rid}").get_data(as_text=True) + \
        rita.get("/referrals").get_data(as_text=True)
    assert "Approximate location (home-based)" in page
    assert full["address"] not in pages
    for d in (6, 5, 4):
        assert f"{full['geometry'].x:.{d}f}" not in pages
        assert f"{full['geometry'].y:.{d}f}" not in pages


# --- who may do what ------------------------------------------------------------------------------
def test_every_referrer_route_refuses_everyone_else(referral_app, referral_client, rita):
    store = store_of(referral_app)
    aid, _ = provider(store)
    rid = refer(rita, aid, case_ref="ASC-777001")
    gets = ["/referrals", f"/referrals/new?asset={aid}", f"/referrals/{rid}"]
    posts = {"/referrals": {"asset_id": aid, "service_type": "befriending",
                            "client_group": "older_people", "area_code": area_code(store),
                            "case_ref": "ASC-9", "request_key": "x"},
             f"/referrals/{rid}/status": {"status": "withdrawn", "version": "1"}}
    anon = referral_client()
    for url in gets:
        r = anon.get(url)
        assert r.status_code == 302 and "/login" in r.headers["Location"], url
    for url, data in posts.items():
        assert anon.post(url, data).status_code == 403, url
    for who in ("pat", "cora", "connie"):
        fc = referral_client(who)
        for url in gets:
            r = fc.get(url)
            assert r.status_code == 403 and "ASC-777001" not in r.get_data(as_text=True), (who, url)
        for url, data in posts.items():
            assert fc.post(url, data).status_code == 403, (who, url)
    rob = referral_client("rob")
    assert rob.get(f"/referrals/{rid}").status_code == 404
    assert "ASC-777001" not in rob.get("/referrals").get_data(as_text=True)
    assert rob.post(f"/referrals/{rid}/status", posts[f"/referrals/{rid}/status"]).status_code \
        == 404
    assert store.get_referral(rid)["status"] == "sent"
    assert store.counts()["referrals"] == 1


def test_csrf_on_every_referrer_form(referral_app, rita):
    store = store_of(referral_app)
    aid, _ = provider(store)
    page = rita.get(f"/referrals/new?asset={aid}").get_data(as_text=True)
    rid = refer(rita, aid)
    detail = rita.get(f"/referrals/{rid}").get_data(as_text=True)
    for text in (page, detail):
        for form in re.findall(r'<form method="post".*?</form>', text, re.S):
            assert 'name="csrf_token"' in form, form[:200]
    data = {"asset_id": aid, "service_type": "befriending", "client_group": "older_people",
            "area_code": area_code(store), "case_ref": "ASC-2", "request_key": "y"}
    assert rita.post("/referrals", data, csrf=False).status_code == 400
    assert rita.post(f"/referrals/{rid}/status", {"status": "withdrawn", "version": "1"},
                     csrf=False).status_code == 400
    assert store.counts()["referrals"] == 1 and store.get_referral(rid)["status"] == "sent"


def test_planners_create_referrers_who_land_on_their_referrals(referral_app, referral_client):
    pat = referral_client("pat")
    page = pat.get("/admin/users").get_data(as_text=True)
    assert "<option>referrer</option>" in page and "social workers and care navigators" in page
    r = pat.post("/admin/users", {"name": "nina", "role": "referrer",
                                  "password": "navigator-pass-30917"})
    assert r.status_code == 303
    nina = referral_client()
    nina.get("/login")
    r = nina.post("/login", {"name": "nina", "password": "navigator-pass-30917"})
    assert r.status_code == 302 and r.headers["Location"] == "/referrals"
    assert store_of(referral_app).get_user("nina")["role"] == "referrer"
    assert "referrer" in model.ROLES
