"""The contribution form's section validators (assetmap.community.forms), one by one: each
adds its problems (field and message) to the shared FormErrors and returns clean values."""
from __future__ import annotations

import pytest
import shapely
from werkzeug.datastructures import MultiDict

from assetmap import settings
from assetmap.community import forms
from assetmap.errors import InputError, InputErrors


def _errs():
    return forms.FormErrors()


def _pairs(errors):
    return [(e.field, e.message) for e in errors]


def _text(**given):
    return forms.check_text(MultiDict(given), _errs())


def test_form_errors_collect_and_raise():
    e = _errs()
    e.raise_if_any()                                    # nothing found: nothing raised
    e.add("name", "Name is required")
    assert e.on("name") and not e.on("location")
    with pytest.raises(InputError) as one:
        e.raise_if_any()
    assert not isinstance(one.value, InputErrors) and one.value.field == "name"
    e.add("location", "Set the location")
    with pytest.raises(InputErrors) as many:
        e.raise_if_any()
    assert [x.field for x in many.value.errors] == ["name", "location"]


def test_check_text_cleans_and_limits_every_text_field():
    e = _errs()
    text = forms.check_text(MultiDict({"name": "  Lunch\nClub ", "description": "a\r\nb",
                                       "address": "x" * 301, "contact": "ring\x07me"}), e)
    assert text["name"] == "Lunch Club" and text["description"] == "a\nb"
    assert text["contact"] == "ringme" and text["website"] is None
    assert set(text) == set(forms.TEXT_FIELDS)
    assert _pairs(e) == [("address", "Address is 301 characters long; the limit is 300"),
                         ("contact", "Contact details contains control characters; "
                                     "please retype it")]


@pytest.mark.parametrize("name, category, expected", [
    ("Lunch Club", "library", []),
    ("", "library", [("name", "Name is required")]),
    ("A", "", [("name", "Name must be at least 2 characters"), ("category", "Choose a category")]),
    ("Lunch Club", "castle", [("category", "Choose one of the listed categories")]),
])
def test_check_identity(name, category, expected):
    e = _errs()
    form = MultiDict({"category": f" {category} "})
    assert forms.check_identity(form, _text(name=name), e) == category
    assert _pairs(e) == expected


@pytest.mark.parametrize("given, clean, ok", [
    (None, None, True), ("example.org", "https://example.org", True),
    ("http://ex.org/a?b=1", "http://ex.org/a?b=1", True), ("ftp://ex.org", "ftp://ex.org", False),
    ("http://nodot", "http://nodot", False), ("javascript:alert(1)", "javascript:alert(1)", False),
])
def test_check_website(given, clean, ok):
    e = _errs()
    assert forms.check_website(given, e) == clean
    assert (not e) is ok
    if not ok:
        assert _pairs(e) == [("website", "Website must be a web address such as "
                                         "https://example.org")]


def test_check_postcode():
    e = _errs()
    assert forms.check_postcode(MultiDict({"postcode": "ab10aa"}), e) == "AB1 0AA" and not e
    assert forms.check_postcode(MultiDict({}), e) is None and not e
    assert forms.check_postcode(MultiDict({"postcode": "nonsense"}), e) is None
    assert e[0].field == "postcode" and "is not a UK postcode" in e[0].message


def test_check_opening_hours_grid_and_notes():
    e = _errs()
    form = MultiDict({"oh_mo_open": "09:00", "oh_mo_close": "17:00", "oh_tu_open": "09:00",
                      "oh_tu_close": "17:00", "oh_we_open": "10:00", "oh_th_open": "9:30",
                      "oh_th_close": "12:00", "oh_fr_open": "12:00", "oh_fr_close": "11:00"})
    assert forms.check_opening_hours(form, 'ring "first"', e) == \
        "Mo,Tu 09:00-17:00 || \"ring 'first'\""
    assert _pairs(e) == [
        ("oh_we_open", "Wednesday: give both the opening and the closing time"),
        ("oh_th_open", "Thursday: times are hours and minutes, for example 09:30"),
        ("oh_fr_open", "Friday: the closing time must be after the opening time")]
    assert forms.check_opening_hours(MultiDict(), None, _errs()) is None


def test_check_opening_hours_length():
    e = _errs()
    days = {f"oh_{d.lower()}_{w}": t for i, d in enumerate(forms.DAYS)
            for w, t in (("open", f"0{i}:00"), ("close", "23:00"))}
    assert forms.check_opening_hours(MultiDict(days), "n" * 480, e)
    assert _pairs(e) == [("opening_notes", "Opening hours are too long")]


@pytest.mark.parametrize("lat, lon, expected, message", [
    ("51.5", "-0.1", (-0.1, 51.5), None),
    ("", "", (None, None), None),
    ("51.5", "", (None, None), "must both be numbers"),
    ("nan", "0", (None, None), "must both be numbers"),
    ("91", "0", (None, None), "between -90 and 90"),
])
def test_check_coordinates(lat, lon, expected, message):
    e = _errs()
    assert forms.check_coordinates(MultiDict({"lat": lat, "lon": lon}), e) == expected
    assert [x.field for x in e] == ([] if message is None else ["location"])
    assert message is None or message in e[0].message


def test_check_location_by_postcode_area_and_required():
    area = shapely.box(-1, 51, 0, 52)
    lookup = {"AB1 0AA": (-0.5, 51.5)}.get

    def run(form, postcode=None, **kw):
        e = _errs()
        return forms.check_location(MultiDict(form), postcode, e, **kw), _pairs(e)

    assert run({}, "AB1 0AA", postcode_lookup=lookup, area=area) == ((-0.5, 51.5), [])
    assert run({"lat": "51.2", "lon": "-0.2"}, "AB1 0AA", postcode_lookup=lookup) == \
        ((-0.2, 51.2), [])                              # typed coordinates win
    (where, errs) = run({}, "ZZ9 9ZZ", postcode_lookup=lookup)
    assert where == (None, None) and errs[0][0] == "postcode" and "ZZ9 9ZZ" in errs[0][1]
    assert run({}) == ((None, None), [("location", "Set the location: click the map, or "
                                                   "enter a postcode")])
    assert run({}, keep_location_ok=True) == ((None, None), [])
    (where, errs) = run({"lat": "57", "lon": "-2"}, area=area)
    assert where == (None, None) and errs[0][0] == "location" and "outside the area" in errs[0][1]
    (where, errs) = run({"lat": "x", "lon": "y"}, "AB1 0AA", postcode_lookup=lookup)
    assert where == (None, None) and [f for f, _ in errs] == ["location"]   # one message only


def test_contact_consent_and_asset_fields():
    assert forms.contact_consent(MultiDict({"contact_public": "on"}), "0123") is True
    assert forms.contact_consent(MultiDict({"contact_public": "on"}), None) is False
    assert forms.contact_consent(MultiDict({}), "0123") is False
    text = _text(name="Lunch Club", contact="0123")
    asset = forms.asset_fields(MultiDict({"contact_public": "yes", "home_based": "on"}), text,
                               category="", postcode="AB1 0AA", opening=None)
    assert list(asset) == list(forms.ASSET_FIELDS)
    assert asset["category"] is None and asset["contact_public"] and asset["home_based"]


def test_wants_provider():
    assert forms.wants_provider(MultiDict(), "micro_provider")
    assert forms.wants_provider(MultiDict({"is_provider": "on"}), "library")
    assert not forms.wants_provider(MultiDict(), "library")


def test_check_services():
    e = _errs()
    form = MultiDict([("service_types", "home_support"), ("service_types", " "),
                      ("client_groups", "older_people")])
    assert forms.check_services(form, e) == (["home_support"], ["older_people"], "none") and not e
    forms.check_services(MultiDict([("service_types", "bogus"), ("quality_mark", "platinum")]), e)
    assert _pairs(e) == [("service_types", "Choose service types from the list"),
                         ("client_groups", "Choose at least one group of people you support"),
                         ("quality_mark", "Choose a quality mark from the list")]
    e = _errs()
    forms.check_services({"service_types": "home_support;bogus", "client_groups": "aliens"}, e)
    assert [f for f, _ in _pairs(e)] == ["service_types", "client_groups"]


@pytest.mark.parametrize("field, given, value, message", [
    ("hourly_price", "£12.50", 12.5, None),
    ("vacancies", " 1,0 ", 10.0, None),
    ("hourly_price", "", None, None),
    ("hourly_price", "cheap", None, "Hourly price (GBP) must be a number"),
    ("hourly_price", "inf", None, "Hourly price (GBP) must be a number"),
    ("radius_km", "-1", -1.0, "Area served (radius, km) must not be negative"),
    ("staff_fte", "99", 99.0, f"Staff (full-time equivalent) must be at most "
                              f"{settings.MAX_STAFF_FTE:g} (micro-providers have at most 5 "
                              "full-time staff)"),
    ("capacity_hours", str(settings.MAX_CAPACITY_HOURS + 1), settings.MAX_CAPACITY_HOURS + 1.0,
     f"Weekly capacity (hours a week) must be at most {settings.MAX_CAPACITY_HOURS:g}"),
])
def test_check_number(field, given, value, message):
    e = _errs()
    assert forms.check_number(MultiDict({field: given}), field, e) == value
    assert _pairs(e) == ([] if message is None else [(field, message)])


def test_check_capacity():
    e = _errs()
    forms.check_capacity({"vacancies": 5.0, "capacity_hours": 40.0}, e)
    forms.check_capacity({"vacancies": None, "capacity_hours": None}, e)
    assert not e
    forms.check_capacity({"vacancies": 41.0, "capacity_hours": 40.0}, e)
    assert _pairs(e) == [("vacancies", "Vacancies cannot be more than the weekly capacity")]
    e = _errs()                 # vacancies are part of a capacity (issue 13)
    forms.check_capacity({"vacancies": 5.0, "capacity_hours": None}, e)
    assert [f for f, _ in _pairs(e)] == ["vacancies"]


def test_check_registrations():
    e = _errs()
    text = _text(cqc_location_id="1 - 123456", charity_number="12 34567",
                 company_number="sc 123456")
    reg = forms.check_registrations(MultiDict({"cqc_registered": "on"}), text, e)
    assert reg == {"cqc_registered": True, "cqc_location_id": "1-123456",
                   "charity_number": "1234567", "company_number": "SC123456"} and not e
    reg = forms.check_registrations(MultiDict({"cqc_registered": "on"}),
                                    _text(charity_number="12", company_number="ABC"), e)
    assert reg["cqc_location_id"] is None and reg["company_number"] == "ABC"
    assert [f for f, _ in _pairs(e)] == ["cqc_location_id", "charity_number", "company_number"]
    e = _errs()
    forms.check_registrations(MultiDict(), _text(cqc_location_id="x1"), e)
    assert _pairs(e) == [("cqc_location_id", "A CQC location id looks like 1-123456789")]


def test_preferred_value_only_planners_change_it():
    ticked = MultiDict({"preferred_list": "on"})
    assert forms.preferred_value(ticked, True, None) is True
    assert forms.preferred_value(MultiDict(), True, {"preferred_list": True}) is False
    assert forms.preferred_value(ticked, False, None) is False
    assert forms.preferred_value(MultiDict(), False, {"preferred_list": True}) is True


def test_check_provider_record():
    e = _errs()
    form = MultiDict([("service_types", "home_support"), ("client_groups", "older_people"),
                      ("hourly_price", "18"), ("direct_payments", "on"), ("vacancies", "2"),
                      ("capacity_hours", "30")])
    p = forms.check_provider(form, _text(community_focus="Somali elders"), e)
    assert not e and list(p) == list(forms.PROVIDER_FIELDS)
    assert p["service_types"] == "home_support" and p["hourly_price"] == 18.0
    assert p["direct_payments"] and not p["preferred_list"] and p["radius_km"] is None
    assert p["community_focus"] == "Somali elders"


def test_validate_form_reports_sections_in_form_order():
    form = MultiDict([("name", ""), ("category", "micro_provider"), ("website", "ftp://x"),
                      ("postcode", "bad"), ("oh_mo_open", "09:00"), ("lat", "999"),
                      ("lon", "0"), ("hourly_price", "-1"), ("vacancies", "9"),
                      ("capacity_hours", "2"), ("cqc_registered", "on")])
    with pytest.raises(InputErrors) as e:
        forms.validate_form(form)
    assert [x.field for x in e.value.errors] == [
        "name", "website", "postcode", "oh_mo_open", "location", "service_types",
        "client_groups", "hourly_price", "vacancies", "cqc_location_id"]


def test_validate_form_clean_record():
    form = MultiDict([("name", "Lunch Club"), ("category", "library"), ("lat", "51.5"),
                      ("lon", "-0.1"), ("website", "example.org")])
    c = forms.validate_form(form, area=shapely.box(-1, 51, 0, 52))
    assert c.provider is None and (c.lon, c.lat) == (-0.1, 51.5)
    assert c.asset["website"] == "https://example.org" and c.warnings == []
