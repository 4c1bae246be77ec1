"""The contribution form (issue 6): every field, location by map or postcode, server-side
validation with clear messages, pending until approved, the private link to see and amend,
rate limits, contributor accounts and proposed changes to published assets."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from assetmap import accounts
from assetmap.community import forms, hours, tokens
from assetmap.errors import InputErrors

from contribhelp import inside_point, provider_form, store_of, submit


def test_form_has_every_field_a_map_and_a_token(contrib_app, form_client):
    r = form_client().get("/contribute")
    assert r.status_code == 200
    text = r.get_data(as_text=True)
    for field in ("name", "category", "description", "address", "postcode", "lat", "lon",
                  "oh_mo_open", "oh_su_close", "opening_notes", "contact", "contact_public",
                  "website", "home_based", "is_provider", "service_types", "client_groups",
                  "hourly_price", "quality_mark", "cqc_registered", "cqc_location_id",
                  "direct_payments", "staff_fte", "capacity_hours", "vacancies",
                  "community_focus", "radius_km", "charity_number", "company_number",
                  "csrf_token"):
        assert f'name="{field}"' in text, field
    assert 'name="preferred_list"' not in text      # only planners say who is on that list
    assert "L.map(" in text and 'data-map="map_' in text and "contribute.js" in text
    assert "cdn." not in text.split("<body")[0]     # Leaflet served locally


def test_submission_is_pending_invisible_and_has_a_private_link(contrib_app, form_client):
    store = store_of(contrib_app)
    anon = form_client()
    lon, lat = inside_point(store)
    before_public = len(store.read_assets())
    token = submit(anon, provider_form(lon, lat, name="Sunny Side Befrienders"))
    sub = store.submission_by_token(tokens.token_hash(token))
    assert sub["status"] == "pending" and sub["asset_status"] == "pending"
    assert len(store.read_assets()) == before_public          # public reads: approved only
    a = store.get_asset(sub["asset_id"])
    assert a["source"] == "community" and a["created_by"] == "community (anonymous)"
    assert a["opening_hours"] == 'Mo,Tu 09:00-17:00 || "evenings by appointment"'
    assert a["service_types"] == "home_support|befriending" and a["hourly_price"] == 18.5
    assert a["contact"] == "07700 900123" and not a["contact_public"]
    assert "Sunny Side Befrienders" not in anon.get("/").get_data(as_text=True)
    # the private link shows it, once created says so, and is stored only as a hash
    page = anon.get(f"/submission/{token}?created=1")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Sunny Side Befrienders" in text and "not on the public map yet" in text
    assert f"/submission/{token}" in text
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    raw = Path(store.url[len("sqlite:///"):]).read_bytes()
    assert token.encode() not in raw and sub["token_hash"] == tokens.token_hash(token)
    assert form_client().get("/submission/" + token[:-2] + "xx").status_code == 404


def test_amend_through_the_private_link(contrib_app, form_client):
    store = store_of(contrib_app)
    anon = form_client()
    lon, lat = inside_point(store)
    token = submit(anon, provider_form(lon, lat))
    page = anon.get(f"/submission/{token}").get_data(as_text=True)
    assert 'value="Ashbrook Home Helpers"' in page and f'value="{lat:.6f}"' in page
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    r = anon.post(f"/submission/{token}", provider_form(lon, lat, name="Ashbrook Home Help",
                                                         hourly_price="20", version=version))
    assert r.status_code == 303
    sub = store.submission_by_token(tokens.token_hash(token))
    a = store.get_asset(sub["asset_id"])
    assert a["name"] == "Ashbrook Home Help" and a["hourly_price"] == 20.0
    assert a["status"] == "pending" and a["version"] == 2
    hist = store.asset_history(sub["asset_id"])
    assert list(hist["action"]) == ["submitted", "amended"]
    # an out-of-date form (the old version) is refused, not applied over the newer one
    r = anon.post(f"/submission/{token}", provider_form(lon, lat, name="Stale", version=version))
    assert r.status_code == 409
    assert store.get_asset(sub["asset_id"])["name"] == "Ashbrook Home Help"


BAD = [
    ({"name": ""}, "name", "Name is required"),
    ({"name": "x" * 201}, "name", "the limit is 200"),
    ({"name": "Bad\x07name"}, "name", "control characters"),
    ({"category": "castle"}, "category", "Choose one of the listed categories"),
    ({"description": "d" * 2001}, "description", "the limit is 2000"),
    ({"lat": "91", "lon": "0"}, "location", "Latitude must be between"),
    ({"lat": "abc"}, "location", "must both be numbers"),
    ({"lat": "51.5", "lon": "-0.1"}, "location", "outside the area this map covers"),
    ({"lat": "", "lon": ""}, "location", "Set the location"),
    ({"lat": "", "lon": "", "postcode": "ZZ9 9ZZ"}, "postcode", "We do not know the postcode"),
    ({"postcode": "not a code"}, "postcode", "is not a UK postcode"),
    ({"hourly_price": "-5"}, "hourly_price", "must not be negative"),
    ({"hourly_price": "cheap"}, "hourly_price", "must be a number"),
    ({"hourly_price": "nan"}, "hourly_price", "must be a number"),
    ({"capacity_hours": "-1"}, "capacity_hours", "must not be negative"),
    ({"vacancies": "-2"}, "vacancies", "must not be negative"),
    ({"vacancies": "100", "capacity_hours": "10"}, "vacancies", "more than the weekly capacity"),
    ({"staff_fte": "12"}, "staff_fte", "at most 5 full-time staff"),
    ({"radius_km": "1000"}, "radius_km", "must be at most"),
    ({"service_types": []}, "service_types", "at least one service type"),
    ({"service_types": ["juggling"]}, "service_types", "from the list"),
    ({"client_groups": ["aliens"]}, "client_groups", "from the list"),
    ({"quality_mark": "platinum"}, "quality_mark", "quality mark from the list"),
    ({"cqc_registered": "on"}, "cqc_location_id", "Give the CQC location id"),
    ({"cqc_location_id": "ABC"}, "cqc_location_id", "looks like 1-123456789"),
    ({"charity_number": "12"}, "charity_number", "6 to 8 digits"),
    ({"company_number": "12"}, "company_number", "8 characters"),
    ({"website": "javascript:alert(1)"}, "website", "web address"),
    ({"oh_we_open": "10:00"}, "oh_we_open", "both the opening and the closing time"),
    ({"oh_we_open": "18:00", "oh_we_close": "09:00"}, "oh_we_open", "after the opening time"),
    ({"oh_we_open": "25:00", "oh_we_close": "26:00"}, "oh_we_open", "hours and minutes"),
    ({"contact": "c" * 301}, "contact", "the limit is 300"),
]


@pytest.mark.parametrize("change,field,message", BAD, ids=[b[1] + "-" + b[2][:20] for b in BAD])
def test_every_field_is_validated_on_the_server(contrib_app, form_client, change, field, message):
    store = store_of(contrib_app)
    anon = form_client()
    lon, lat = inside_point(store)
    anon.get("/contribute")
    r = anon.post("/contribute", provider_form(lon, lat, **change))
    assert r.status_code == 400
    text = r.get_data(as_text=True)
    assert message in text.replace("&#39;", "'")
    assert f'id="{field}-error"' in text                  # shown beside the field
    assert 'class="error-summary"' in text
    assert store.list_submissions(statuses=None) == []      # nothing stored
    # what was typed is kept in the form
    if change.get("name"):
        assert ("value=\"" + change["name"][:20] in text.replace("&#34;", '"')
                or "\x07" in change["name"])


def test_all_problems_are_reported_at_once():
    form = MultiDict([("name", ""), ("category", "x"), ("lat", "999"), ("lon", "0"),
                      ("hourly_price", "-1"), ("website", "ftp://x")])
    with pytest.raises(InputErrors) as e:
        forms.validate_form(form)
    fields = {x.field for x in e.value.errors}
    assert {"name", "category", "location", "website"} <= fields


def test_location_from_a_postcode(contrib_app, form_client):
    store = store_of(contrib_app)
    pc = store.lookup_postcodes(["AB1 0AA"]).iloc[0]
    anon = form_client()
    r = anon.get("/contribute/postcode?postcode=ab10aa")
    assert r.status_code == 200 and r.json["postcode"] == "AB1 0AA"
    assert abs(r.json["lon"] - pc["lon"]) < 1e-6
    assert anon.get("/contribute/postcode?postcode=ZZ9 9ZZ").status_code == 404
    assert anon.get("/contribute/postcode?postcode=%3Cscript%3E").status_code == 400
    token = submit(anon, provider_form(0, 0, lat="", lon="", postcode="ab1 0aa",
                                       category="community_centre", name="Postcode Hall"))
    a = store.get_asset(store.submission_by_token(tokens.token_hash(token))["asset_id"])
    assert a["postcode"] == "AB1 0AA"
    assert (round(a["geometry"].x, 6), round(a["geometry"].y, 6)) == (round(pc["lon"], 6),
                                                                      round(pc["lat"], 6))
    assert a["service_types"] != a["service_types"]          # NaN: no service record


def test_submissions_are_rate_limited(contrib_app, form_client):
    contrib_app.config["SUBMISSION_LIMIT"] = 3
    store = store_of(contrib_app)
    anon = form_client()
    lon, lat = inside_point(store)
    for i in range(3):
        submit(anon, provider_form(lon, lat, name=f"Group {i}"))
    r = anon.post("/contribute", provider_form(lon, lat, name="Group 4"))
    assert r.status_code == 429
    assert "Please wait" in r.get_data(as_text=True)
    assert len(store.list_submissions(statuses=None)) == 3


def test_contributor_account_sees_own_submissions(contrib_app, form_client):
    store = store_of(contrib_app)
    connie = form_client("connie")
    lon, lat = inside_point(store)
    submit(connie, provider_form(lon, lat, name="Connie's Craft Club", category="community_centre",
                                 service_types=[], is_provider=None))
    sub = store.list_submissions(statuses=None)[0]
    assert sub["submitted_by"] == "connie"
    assert store.get_asset(sub["asset_id"])["created_by"] == "connie"
    page = connie.get("/my/submissions").get_data(as_text=True)
    assert "Connie&#39;s Craft Club" in page
    r = connie.get(f"/my/submissions/{sub['id']}")
    assert r.status_code == 200
    # another contributor cannot open it
    store.add_user("other", "contributor", accounts.hash_password("other-pass-1234"))
    other = form_client()
    other.login("other", "other-pass-1234")
    assert other.get(f"/my/submissions/{sub['id']}").status_code == 403
    assert "Connie" not in other.get("/my/submissions").get_data(as_text=True)


def test_propose_a_change_to_a_published_asset(contrib_app, form_client):
    store = store_of(contrib_app)
    pub = store.read_assets()
    target = pub[(~pub["contact_public"]) & pub["contact"].notna() & ~pub["home_based"]].iloc[0]
    anon = form_client()
    page = anon.get(f"/contribute?asset={target['id']}").get_data(as_text=True)
    assert "Suggest a change" in page
    assert target["contact"] not in page                  # a private contact is not pre-filled
    assert "leave blank to keep it" in page
    g = target.geometry
    form = {"asset_id": target["id"], "name": target["name"] + " (renamed)",
            "category": target["category"], "lat": "", "lon": "", "description": "New text"}
    if isinstance(target.get("service_types"), str):
        form.update(service_types=target["service_types"].split("|"),
                    client_groups=target["client_groups"].split("|"), is_provider="on")
    anon.get("/contribute")
    r = anon.post("/contribute", form)
    assert r.status_code == 303, r.get_data(as_text=True)[:2000]
    sub = store.list_submissions(("pending",))[0]
    assert sub["kind"] == "update" and sub["asset_id"] == target["id"]
    now = store.get_asset(target["id"])
    assert now["name"] == target["name"] and now["version"] == target["version"]  # untouched
    assert sub["data"]["asset"]["contact"] == target["contact"]     # kept, not blanked
    assert sub["data"]["lon"] is None                                   # location kept
    assert (now["geometry"].x, now["geometry"].y) == (g.x, g.y)
    assert form_client().get("/contribute?asset=no-such-asset").status_code == 404


def test_home_based_update_form_hides_the_home(contrib_app, form_client):
    store = store_of(contrib_app)
    pub = store.read_assets()
    home = pub[pub["home_based"]].iloc[0]
    page = form_client().get(f"/contribute?asset={home['id']}").get_data(as_text=True)
    g = home.geometry
    assert f"{g.y:.5f}" not in page and f"{g.x:.5f}" not in page
    assert 'name="lat" inputmode="decimal" maxlength="20" value=""' in page


def test_opening_hours_round_trip():
    times = {"Mo": ("09:00", "17:00"), "Tu": ("09:00", "17:00"), "We": ("09:00", "17:00"),
             "Fr": ("10:00", "12:00"), "Sa": ("10:00", "12:00")}
    text = hours.compose_opening_hours(times, 'ring "first"')
    assert text == "Mo-We 09:00-17:00; Fr,Sa 10:00-12:00 || \"ring 'first'\""
    assert hours.parse_opening_hours(text) == (times, "ring 'first'")
    assert hours.parse_opening_hours("sunrise-sunset") is None
    assert hours.opening_form_values("sunrise-sunset") == {"opening_notes": "sunrise-sunset"}


def test_reach_fields_are_accepted_validated_and_shown_to_the_moderator(contrib_app,
                                                                       form_client):
    """How people get the service, the wards and areas it serves, places and the vacancy
    date (issue 10): stored as given, wrong ones refused beside their fields, and shown on
    the moderation page."""
    import datetime as dt
    store = store_of(contrib_app)
    lsoa = store.read_areas("lsoa")
    ward, other = str(lsoa["parent_code"].iloc[0]), str(lsoa["code"].iloc[20])
    anon = form_client()
    lon, lat = inside_point(store)
    form = provider_form(lon, lat, name="Ward Walkers", reach="visits", area_served=[ward],
                         area_served_codes=f" {other.lower()}, ", radius_km=None)
    token = submit(anon, form)
    sub = store.submission_by_token(tokens.token_hash(token))
    a = store.get_asset(sub["asset_id"])
    assert a["reach"] == "visits" and a["area_served"] == f"{ward}|{other}"
    assert a["vacancies_confirmed"] == dt.date.today().isoformat()   # blank: confirmed today
    page = form_client("pat").get(f"/moderate/{sub['id']}").get_data(as_text=True)
    assert "Comes to you (the provider travels within the area it serves)" in page
    assert f"{ward}, {other}" in page and "hours a week" in page
    # wrong values: each refused beside its field, nothing stored
    bad = provider_form(lon, lat, name="Bad Reach", reach="teleport",
                        area_served_codes="E01999999, nonsense",
                        area_served_geojson='{"type": "Point", "coordinates": [0, 0]}',
                        vacancies_confirmed="2099-01-01", service_types=["accommodation"],
                        capacity_hours=None, vacancies="3")
    anon.get("/contribute")
    r = anon.post("/contribute", bad)
    text = r.get_data(as_text=True)
    assert r.status_code == 400, r.status_code
    for field, words in (("reach", "Choose how people get the service"),
                         ("area_served_codes", "is not an area code"),
                         ("area_served_geojson", "must be a polygon, not a Point"),
                         ("vacancies_confirmed", "cannot be in the future"),
                         ("vacancies", "Vacancies are part of the places")):
        m = re.search(rf'id="{field}-error">([^<]*)<', text)
        assert m and words in m.group(1), (field, m and m.group(1))
    again = anon.post("/contribute", provider_form(lon, lat, name="Elsewhere",
                                                   area_served_codes="E01999999"))
    assert "is not an area of this borough" in again.get_data(as_text=True)


# --- trust signals (issue 11, item 5) ---------------------------------------------------------
def test_the_form_offers_the_focus_vocabulary_and_cqc_rating(contrib_app, form_client):
    page = form_client().get("/contribute").get_data(as_text=True)
    assert '<legend>Languages</legend>' in page and '<legend>LGBT+</legend>' in page
    assert 'name="community_tags" value="urdu"' in page and 'name="cqc_rating"' in page
    assert 'name="quality_mark_verified"' not in page          # only planners verify
    assert "self-declared" in page


def test_a_contributor_cannot_verify_their_own_quality_mark(contrib_app, form_client):
    store = store_of(contrib_app)
    lon, lat = inside_point(store)
    token = submit(form_client(), provider_form(
        lon, lat, quality_mark="gold", quality_mark_verified="1", quality_mark_by="council",
        community_tags=["urdu", "gujarati"], cqc_location_id="1-123456789",
        cqc_registered="on", cqc_rating="Good"))
    sub = store.submission_by_token(tokens.token_hash(token))
    p = sub["data"]["provider"]
    assert p["quality_mark_by"] == "self"                     # the forged fields are ignored
    assert p["community_tags"] == "urdu|gujarati" and p["cqc_rating"] == "Good"
    a = store.get_asset(sub["asset_id"])
    assert a["quality_mark_by"] == "self"


@pytest.mark.parametrize("over, field", [
    ({"community_tags": ["urdu", "klingon"]}, "community_tags"),
    ({"cqc_rating": "Excellent", "cqc_location_id": "1-123456789", "cqc_registered": "on"},
     "cqc_rating"),
    ({"cqc_rating": "Good"}, "cqc_rating"),                     # a rating needs a CQC id
])
def test_trust_fields_are_checked(contrib_app, form_client, over, field):
    store = store_of(contrib_app)
    lon, lat = inside_point(store)
    fc = form_client()
    fc.get("/contribute")
    r = fc.post("/contribute", provider_form(lon, lat, **over))
    assert r.status_code == 400
    assert f'id="{field}-error"' in r.get_data(as_text=True)
