"""No 500 from input (issue 13, item 8, web part): every number read from a request is
parsed finitely and bounded (assetmap/views/_params.py) and ids past 64 bits are 404.

The walks below go over every route with an ``<int:...>`` converter and every numeric query
or form parameter with the values that used to crash (``1e309`` -> OverflowError, ids
"too large to convert to SQLite INTEGER") and assert a 4xx or a clamped 200, never a 500."""
from __future__ import annotations

import math

import pytest
from werkzeug.routing import IntegerConverter

from assetmap import settings
from assetmap.errors import InputError
from assetmap.views import _params

from contribhelp import inside_point, pending_ids, provider_form, store_of, submit, versions

BAD_NUMBERS = ["1e309", "-1e309", "nan", "NaN", "inf", "-inf", "Infinity", "-1", "0",
               "99999999999999999999", "1" + "0" * 400, "abc", "1,5", "0x10", " "]
HUGE_IDS = ["99999999999999999999", str(2 ** 63), "1" + "0" * 30]
#: Numeric query parameters per page (with what the page needs to reach them).
WARD = "E05000001"
PLAN = f"patch=wards&ward={WARD}"
QUERY_PARAMS = [
    ("/", "", ["k"]),
    ("/api/v1/assets", "", ["limit", "offset"]),
    ("/api/v1/providers", "", ["limit", "offset"]),
    ("/api/v1/isochrone", "lat=52.77&lon=-1.3", ["lat", "lon", "minutes"]),
    ("/openreferral/services", "", ["page", "per_page", "size"]),
    ("/directory", "lat=52.77&lon=-1.3", ["price_min", "price_max", "lat", "lon", "within"]),
    ("/referral", "lat=52.77&lon=-1.3", ["price_min", "price_max", "lat", "lon", "within",
                                         "budget"]),
    ("/outreach/plan", PLAN, ["top", "stops", "walk_minutes", "speed_kmh"]),
    ("/outreach/plan/print", PLAN, ["top", "stops", "walk_minutes", "speed_kmh"]),
    ("/outreach/plan.csv", PLAN, ["top", "stops", "walk_minutes", "speed_kmh"]),
    ("/outreach/plan.gpx", PLAN, ["top", "stops", "walk_minutes", "speed_kmh"]),
]


def _status(client_call) -> int:
    try:
        return client_call().status_code
    except Exception as e:  # noqa: BLE001 - TESTING propagates the view's exception
        pytest.fail(f"server error: {e!r}")


@pytest.fixture
def planner(form_client):
    return form_client("pat")


# --- the helper ----------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["1e309", "-1e309", "nan", "inf", "-inf", "abc",
                                   "1" * (_params.MAX_CHARS + 1)])
def test_number_refuses_non_finite(value):
    with pytest.raises(InputError):
        _params.number(value, "x")
    assert _params.lenient(value, "x", default=7) == 7


def test_number_bounds_and_clamps():
    assert _params.number("", "x", default=3) == 3
    assert _params.number("2.5", "x") == 2.5
    assert _params.number("£18.50", "x") == 18.5
    assert _params.number("-1", "x", lo=1, hi=9, clamp=True) == 1
    assert _params.number("1e300", "x", lo=1, hi=9, clamp=True) == 9
    with pytest.raises(InputError, match="at most 9"):
        _params.number("10", "x", hi=9)
    assert _params.number("99999999999999999999", "x", integer=True, hi=50, clamp=True) == 50
    assert _params.number("5.0", "x", integer=True) == 5
    with pytest.raises(InputError, match="whole"):
        _params.number("2.5", "x", integer=True)
    assert _params.integers("5, 10,x", "m", lo=1, hi=60, max_items=2) == [5, 10]
    assert _params.integers("0,999", "m", lo=1, hi=60, max_items=4) == [1, 60]


def test_record_id_is_64_bit():
    assert _params.record_id(str(settings.MAX_ID)) == settings.MAX_ID   # exact, not a float
    for bad in ("", None, "-1", str(settings.MAX_ID + 1), "1e309", "nan", "1.5"):
        with pytest.raises(InputError):
            _params.record_id(bad, "version")


def test_json_value_is_finite_and_shallow():
    msg = "not valid GeoJSON"
    poly = _params.json_value('{"type":"Polygon","coordinates":[[[-1.5,52],[-1,52.1],'
                              '[-1.2,52.2],[-1.5,52]]]}', "polygon", message=msg)
    assert poly["coordinates"][0][0] == [-1.5, 52.0]
    assert _params.json_value(" ", "polygon", message=msg) is None
    for bad in ('[1e309]', '[NaN]', '[-Infinity]', '[' + '1' * 400 + ']', '[' * 9 + ']' * 9,
                '[' * 100000 + ']' * 100000, '{"a": "[[[[[[[[[["}x', '{nope'):
        with pytest.raises(InputError, match=msg):
            _params.json_value(bad, "polygon", message=msg)
    assert _params.json_value('{"a": "[[[[[[[[[[[[]"}', "p", message=msg) == {"a": "[[[[[[[[[[[[]"}


# --- every route with an int converter -----------------------------------------------------------
def _int_routes(app):
    out = []
    for rule in app.url_map.iter_rules():
        ints = [a for a, c in rule._converters.items() if isinstance(c, IntegerConverter)]
        if ints:
            assert isinstance(rule._converters[ints[0]], _params.BoundedIntConverter)
            out.append(rule)
    return out


def test_every_int_route_answers_404_past_64_bits(contrib_app, planner):
    store = store_of(contrib_app)
    asset_id = store.read_assets(statuses=None)["id"].iloc[0]
    rules = _int_routes(contrib_app)
    assert len(rules) >= 10       # moderate, my/submissions, outreach plans, admin, restore
    seen = set()
    for rule in rules:
        ints = [a for a, c in rule._converters.items() if isinstance(c, IntegerConverter)]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for big in HUGE_IDS + [str(settings.MAX_ID), "0", "-1"]:
                values = {a: "csv" if a == "fmt" else asset_id for a in rule.arguments}
                url = rule.rule
                for a in rule.arguments:
                    v = big if a in ints else values[a]
                    url = url.replace(f"<int:{a}>", v).replace(f"<{a}>", v)
                call = (lambda u=url: planner.get(u)) if method == "GET" else \
                    (lambda u=url: planner.post(u, {"version": "1", "asset_version": "1"}))
                status = _status(call)
                seen.add(rule.rule)
                if big in HUGE_IDS or big == "-1":
                    assert status == 404, (method, url, status)
                else:
                    assert status < 500, (method, url, status)
    assert {"/moderate/<int:sid>", "/my/submissions/<int:sid>",
            "/outreach/plans/<int:plan_id>"} <= seen


# --- every numeric query parameter ----------------------------------------------------------------
@pytest.mark.parametrize("path,base,names", QUERY_PARAMS, ids=[q[0] for q in QUERY_PARAMS])
def test_numeric_query_parameters_never_500(planner, path, base, names):
    for name in names:
        for bad in BAD_NUMBERS:
            rest = "&".join(p for p in base.split("&") if p and not p.startswith(name + "="))
            url = f"{path}?{rest}&{name}={bad}" if rest else f"{path}?{name}={bad}"
            status = _status(lambda u=url: planner.get(u))
            assert status < 500, (url, status)
            if bad in ("1e309", "nan", "inf") and path.startswith(("/outreach", "/api/v1/iso")):
                assert status == 400, (url, status)


def test_api_paging_out_of_range_is_a_400_not_a_crash(planner):
    """(issue 14: limits are refused outside 1..500, no longer clamped)"""
    r = planner.client.get("/api/v1/assets?limit=99999999999999999999&offset=1e300")
    assert r.status_code == 400 and "limit" in r.get_json()["error"]
    r = planner.client.get("/api/v1/assets?limit=500&offset=1e300")
    assert r.status_code == 400 and "offset" in r.get_json()["error"]
    r = planner.client.get("/api/v1/assets?limit=500&offset=999999999")
    assert r.status_code == 200 and r.get_json()["features"] == []
    r = planner.client.get("/api/v1/assets?limit=1e309")
    assert r.status_code == 400 and "limit" in r.get_json()["error"]


def test_outreach_overflow_is_explained(planner):
    r = planner.get(f"/outreach/plan?{PLAN}&top=1e309")
    assert r.status_code == 400
    assert "top" in r.get_data(as_text=True) and "finite" in r.get_data(as_text=True)


def test_outreach_polygon_with_overflowing_coordinates(planner):
    poly = '{"type":"Polygon","coordinates":[[[1e309,52],[-1,1e309],[-1.2,52.1],[1e309,52]]]}'
    for url in (f"/outreach/plan?patch=polygon&polygon={poly}",
                "/outreach/plan?patch=polygon&polygon=" + '{"type":"Polygon","coordinates":'
                + "[" * 5000 + "]" * 5000 + "}"):
        assert _status(lambda u=url: planner.get(u)) < 500


# --- numeric form fields --------------------------------------------------------------------------
def test_save_plan_form_numbers_never_500(planner):
    planner.get("/outreach")
    for name in ("top", "stops", "walk_minutes", "speed_kmh"):
        for bad in BAD_NUMBERS:
            data = {"patch": "wards", "ids": WARD, name: bad, "name": "x"}
            assert _status(lambda d=data: planner.post("/outreach/plans", d)) < 500


@pytest.mark.parametrize("field", ["lat", "lon", "hourly_price", "staff_fte", "capacity_hours",
                                   "vacancies", "radius_km"])
def test_contribution_numbers_never_500(contrib_app, form_client, field):
    store = store_of(contrib_app)
    lon, lat = inside_point(store)
    anon = form_client()
    anon.get("/contribute")
    for bad in ("1e309", "-1e309", "nan", "inf", "-1", "99999999999999999999"):
        data = provider_form(lon, lat, **{field: bad})
        assert _status(lambda d=data: anon.post("/contribute", d)) < 500, (field, bad)


def test_version_fields_never_500(contrib_app, form_client, planner):
    store = store_of(contrib_app)
    lon, lat = inside_point(store)
    connie = form_client("connie")
    submit(connie, provider_form(lon, lat))
    sid = pending_ids(store)[0]
    good = versions(planner.get(f"/moderate/{sid}").get_data(as_text=True))
    assert good
    for bad in ("1e309", "nan", "-1", "99999999999999999999", str(2 ** 63), "x", ""):
        for key in good:
            data = dict(good, **{key: bad})
            for action in ("approve", "reject"):
                r = _status(lambda d=data, a=action: planner.post(f"/moderate/{sid}/{a}",
                                                                   dict(d, reason="dup")))
                assert r in (400, 409), (action, key, bad, r)
        connie.get(f"/my/submissions/{sid}")
        data = provider_form(lon, lat, version=bad)
        r = _status(lambda d=data: connie.post(f"/my/submissions/{sid}", d))
        assert r in (400, 409), (bad, r)
    assert store.get_submission(sid)["status"] == "pending"
    assert math.isfinite(float(good["version"]))
