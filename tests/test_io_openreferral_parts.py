"""The small pieces of the Open Referral mapping, against hand-worked examples: contact
splitting, OSM opening hours as weekly rules, query parameters, filters, the reading of
eligibility, prices, reach and service areas, and the kept-extras rules."""
from __future__ import annotations

import datetime as dt

import pytest
import shapely

from assetmap.errors import InputError
from assetmap.io.openreferral import extra, filters, mapping, parts, query
from assetmap.io.openreferral.terms import prune


def test_contact_split():
    assert parts.split_contact("01632 960710; hello@x.example.org") == (
        ["01632 960710"], ["hello@x.example.org"], [])
    assert parts.split_contact("Ann, 0161 496 0000 or +44 7700 900123 | a@b.co") == (
        ["0161 496 0000", "+44 7700 900123"], ["a@b.co"], ["Ann"])
    assert parts.split_contact(None) == ([], [], [])


@pytest.mark.parametrize("text, rules", [
    ("Mo-Fr 09:00-17:00", [(["Mo", "Tu", "We", "Th", "Fr"], "09:00", "17:00")]),
    ("Tu,Th 10:00-16:00; Sa 13:00-18:00", [(["Tu", "Th"], "10:00", "16:00"),
                                           (["Sa"], "13:00", "18:00")]),
    ("Fr-Sa 12:00-24:00", [(["Fr", "Sa"], "12:00", "23:59")]),
    ("Sa-Mo 08:00-12:00", [(["Sa", "Su", "Mo"], "08:00", "12:00")]),
    ("24/7", [(["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"], "00:00", "23:59")]),
    ('by appointment', []),
    ('Mo 09:00-12:00 || "ring first"', [(["Mo"], "09:00", "12:00")]),
])
def test_osm_rules(text, rules):
    assert parts.osm_rules(text) == rules


def test_schedules_keep_the_text_and_say_how_to_attend():
    row = {"opening_hours": "Mo-Fr 09:00-17:00; Sa 10:00-12:00"}
    s = parts.schedules(row, "a", "sid", "visits")
    assert [x["byday"] for x in s] == ["MO,TU,WE,TH,FR", "SA"]
    assert s[0]["description"] == row["opening_hours"] and s[1]["description"] is None
    assert all("comes to you" in x["attending_type"] for x in s)
    assert mapping.opening_hours({"schedules": prune(s)}) == row["opening_hours"]
    bare = [{"byday": "MO,TU", "opens_at": "09:00:00", "closes_at": "17:00:00"}]
    assert mapping.opening_hours({"schedules": bare}) == "Mo,Tu 09:00-17:00"


def test_prune_leaves_out_empty_values_only():
    assert prune({"a": None, "b": "", "c": [], "d": {}, "e": 0, "f": False,
                  "g": [None, {"h": None}], "i": " x "}) == {"e": 0, "f": False, "i": " x "}


def test_query_parameters():
    q = query.parse("services", {"page": "2", "per_page": "10", "search": " tea ",
                                 "modified_after": "2024-05-01", "day": "monday",
                                 "start_time": "09:30", "minimum_age": "18"})
    assert (q.page, q.per_page, q.search) == (2, 10, "tea")
    assert q.filters["modified_after"] == dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)
    assert q.filters["day"] == "MO" and q.filters["minimum_age"] == 18.0
    for bad in ({"x": "1"}, {"page": "0"}, {"per_page": "501"}, {"per_page": "1.5"},
                {"full": "sometimes"}, {"proximity": "5"}, {"format": "xml"},
                {"end_time": "9am"}):
        with pytest.raises(InputError):
            query.parse("services", bad)
    with pytest.raises(InputError, match="postcode"):
        query.parse("taxonomies", {"postcode": "M1 1AA"})
    assert query.parse("organizations", {"full_service": "true"}, one=True).full_service


def test_filters_keep():
    s = {"organization_id": "o", "last_modified": "2024-06-01T10:00:00Z",
         "minimum_age": 18, "maximum_age": 65,
         "attributes": [{"taxonomy_term_id": "t1",
                         "taxonomy_term": {"id": "t1", "taxonomy_id": "tx"}}],
         "schedules": [{"byday": "MO,WE", "opens_at": "09:00", "closes_at": "12:00"}]}
    ok = [{"organization_id": "o"}, {"taxonomy_term_id": "t1"}, {"taxonomy_id": "tx"},
          {"modified_after": query.parse_datetime("2024-06-01")}, {"minimum_age": 18},
          {"maximum_age": 65}, {"day": "WE", "start_time": "08:00", "end_time": "12:00"}]
    no = [{"organization_id": "p"}, {"taxonomy_term_id": "t2"},
          {"modified_after": query.parse_datetime("2024-06-02")}, {"minimum_age": 21},
          {"maximum_age": 60}, {"day": "TU"}, {"start_time": "09:30"}]
    assert all(filters.keep(s, f) for f in ok)
    assert not any(filters.keep(s, f) for f in no)


def test_distance_and_area_served():
    # one degree of latitude is about 111.2 km on the mean sphere
    assert filters.distance_m(0, 52, 0, 53) == pytest.approx(111_195, rel=1e-4)
    square = '{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}'
    base = shapely.Point(0.5, 0.5)
    assert filters.covers({"area_served_geojson": square}, 0.2, 0.2, []) is True
    assert filters.covers({"area_served_geojson": square}, 2, 2, []) is False
    assert filters.covers({"area_served": "E01000001|E05000002"}, 9, 9, ["E05000002"])
    assert filters.covers({"radius_km": 5.0, "geometry": base}, 0.5, 0.54, []) is True
    assert filters.covers({"radius_km": 1.0, "geometry": base}, 0.5, 0.54, []) is False
    assert filters.covers({"geometry": base}, 3, 3, []) is None


@pytest.mark.parametrize("service, groups", [
    ({"minimum_age": 12}, []),
    ({"minimum_age": 50}, ["older_people"]),
    ({"eligibility_description": "Adults over 65 living with dementia"},
     ["older_people", "dementia"]),
    ({"eligibility_description": "Older people", "maximum_age": 17}, []),
    ({"eligibility_description": "autistic adults; learning disabilities"},
     ["learning_disability", "autism"]),
])
def test_client_groups_from_eligibility(service, groups):
    assert mapping.client_groups(service, [], []) == groups
    assert mapping.client_groups({}, [], ["Carers"]) == ["carers"]


def test_prices_marks_reach_and_areas():
    costs = {"cost_options": [{"amount": 30, "amount_description": "per session"},
                              {"amount": 15.5, "option": "Hourly rate"}]}
    assert mapping.hourly_price(costs) == 15.5
    assert mapping.hourly_price({"cost_options": [{"amount": 9, "currency": "EUR",
                                                   "amount_description": "per hour"}]}) is None
    assert mapping.quality_mark({"accreditations": "AssetMap quality mark: Silver; CQC"}) \
        == "silver"
    assert mapping.quality_mark({"accreditations": "CQC rated good"}) is None
    att = {"schedules": [{"attending_type": "In person at our centre, or we visit you"}]}
    assert mapping.reach(att, {}) == "both"
    assert mapping.reach({"schedules": [{"attending_type": "Online"}]}, {}) is None
    assert mapping.reach(att, {"reach": "venue"}) == "venue"
    areas = mapping.area_served({"service_areas": [
        {"name": "Within 2 miles of the hall"},
        {"uri": "http://statistics.data.gov.uk/id/statistical-geography/E05000002"},
        {"name": "E01000001"}]})
    assert areas["area_served"] == "E05000002|E01000001"
    assert areas["radius_km"] == pytest.approx(3.218688)


def test_extras_are_kept_until_an_edit_and_never_published_privately():
    original = {"id": "s", "name": "A", "alert": "x", "email": "e@x.org",
                "phones": [{"id": "p", "number": "0161"}],
                "organization": {"id": "o", "logo": "l"},
                "attributes": [{"id": "f", "taxonomy_term": {"taxonomy": "Council"}}]}
    generated = {"id": "s", "name": "A", "email": "e@x.org", "organization": {"id": "o"}}
    ex = extra.build(original, generated, {"service": "s"})
    assert set(ex["kept"]) == {"alert", "phones"} and ex["organization"] == {"logo": "l"}
    row = {"oruk_extra": extra.dumps(ex), "contact_public": True}
    out = extra.merge(generated, row, lambda r: generated)
    assert out["alert"] == "x" and out["phones"] == original["phones"]
    assert out["organization"]["logo"] == "l" and out["attributes"] == original["attributes"]
    private = extra.merge(generated, dict(row, contact_public=False), lambda r: generated)
    assert "phones" not in private and private["alert"] == "x"
    edited = dict(generated, alert="y")                 # AssetMap now says otherwise
    assert extra.merge(edited, row, lambda r: edited)["alert"] == "y"
