"""The Open Referral UK API (``/openreferral/``) on the demo borough: every UK-profile path
answers 200 with the right shape, the parameters filter and page as the profile defines
them, unknown parameters and every failure answer JSON, every ``url`` resolves."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from assetmap.io.openreferral.query import PARAMETERS

ENVELOPE = {"total_items", "total_pages", "page_number", "size", "first_page", "last_page",
            "empty", "contents"}
LISTS = list(PARAMETERS)


@pytest.fixture(scope="module")
def or_app(demo_db_file, tmp_path_factory):
    """The app on a private copy of the demo (module-wide: the feed is built once)."""
    import shutil

    from assetmap.app import create_app
    d = tmp_path_factory.mktemp("orapp")
    shutil.copy(demo_db_file, d / "demo.sqlite")
    return create_app({"TESTING": True, "DATABASE": f"sqlite:///{d / 'demo.sqlite'}",
                       "INSTANCE_PATH": str(d / "instance"), "SECRET_KEY": "t"})


@pytest.fixture
def c(or_app):
    return or_app.test_client()


def _json(r):
    assert r.mimetype in ("application/json", "application/x-ndjson"), r.mimetype
    return json.loads(r.get_data(as_text=True))


def test_root_document(c):
    r = c.get("/openreferral/")
    body = _json(r)
    assert r.status_code == 200 and body["version"] == "3.0"
    assert body["profile"].startswith("https://") and body["openapi_url"].endswith(
        "/openreferral/openapi.json")
    doc = _json(c.get("/openreferral/openapi.json"))
    for path in LISTS:
        assert f"/{path}" in doc["paths"] and f"/{path}/{{id}}" in doc["paths"]
        names = [p["name"] for p in doc["paths"][f"/{path}"]["get"]["parameters"]]
        assert names == list(PARAMETERS[path])


@pytest.mark.parametrize("path", LISTS)
def test_every_list_path_and_its_id_form(c, path):
    r = c.get(f"/openreferral/{path}?per_page=3")
    page = _json(r)
    assert r.status_code == 200 and set(page) == ENVELOPE
    assert page["size"] == len(page["contents"]) <= 3 and page["page_number"] == 1
    one = page["contents"][0]
    r1 = c.get(f"/openreferral/{path}/{one['id']}")
    assert r1.status_code == 200 and _json(r1)["id"] == one["id"]
    assert r.headers["Access-Control-Allow-Origin"] == "*"


def _all_services(c) -> list:
    """Every service, page by page (the demo has more than one page's worth)."""
    out, page = [], 1
    while True:
        body = _json(c.get(f"/openreferral/services?per_page=500&page={page}"))
        out += body["contents"]
        if body["last_page"]:
            return out
        page += 1


def test_paging(or_app, c):
    from assetmap.store import Store
    store = Store(or_app.config["DATABASE"])
    n = len(store.read_assets())                        # every approved asset is a service
    store.dispose()
    pages = -(-n // 100)
    p1 = _json(c.get("/openreferral/services?per_page=100&page=1"))
    last = _json(c.get(f"/openreferral/services?per_page=100&page={pages}"))
    assert p1["total_items"] == n and p1["total_pages"] == pages
    assert p1["first_page"] and not p1["last_page"] and last["last_page"]
    assert last["size"] == n - 100 * (pages - 1)
    beyond = _json(c.get(f"/openreferral/services?per_page=100&page={pages + 1}"))
    assert beyond["empty"] and beyond["contents"] == []
    ids = {s["id"] for p in range(1, pages + 1)
           for s in _json(c.get(f"/openreferral/services?per_page=100&page={p}"))["contents"]}
    assert len(ids) == n


@pytest.mark.parametrize("url, parameter", [
    ("/openreferral/services?kind=providers", "kind"),
    ("/openreferral/services?size=3", "size"),
    ("/openreferral/taxonomies?taxonomy_id=x", "taxonomy_id"),
    ("/openreferral/services?page=0", "page"),
    ("/openreferral/services?per_page=501", "per_page"),
    ("/openreferral/services?per_page=abc", "per_page"),
    ("/openreferral/services?modified_after=yesterday", "modified_after"),
    ("/openreferral/services?minimum_age=nan", "minimum_age"),
    ("/openreferral/services?day=funday", "day"),
    ("/openreferral/services?start_time=25:00", "start_time"),
    ("/openreferral/services?full=maybe", "full"),
    ("/openreferral/services?proximity=100", "proximity"),
    ("/openreferral/services?postcode=nonsense", "postcode"),
    ("/openreferral/services/x?page=1", "page"),
])
def test_bad_parameters_are_400_json(c, url, parameter):
    r = c.get(url)
    body = _json(r)
    assert r.status_code == 400 and body["status"] == 400 and body["error"]
    assert body.get("parameter") == parameter


def test_failures_are_json(c):
    for url, status in (("/openreferral/nope", 404), ("/openreferral/services/nope", 404),
                        ("/openreferral/taxonomies/nope", 404),
                        ("/openreferral/organizations/a/b", 404)):
        r = c.get(url)
        assert r.status_code == status and _json(r)["status"] == status
    for method in ("post", "put", "delete"):
        r = getattr(c, method)("/openreferral/services")
        assert r.status_code == 405 and _json(r)["status"] == 405
    assert c.post("/openreferral/").status_code == 405


def test_search_taxonomy_and_organization_filters(c):
    all_ = _json(c.get("/openreferral/services?per_page=500"))["contents"]
    name = all_[3]["name"]
    hit = _json(c.get("/openreferral/services", query_string={"search": name.lower()}))
    assert any(s["name"] == name for s in hit["contents"])
    assert all(name.lower() in json.dumps(s).lower() for s in hit["contents"])
    terms = _json(c.get("/openreferral/taxonomy_terms?per_page=500"))["contents"]
    lib = next(t for t in terms if t.get("code") == "library")
    libs = _json(c.get(f"/openreferral/services?per_page=500&taxonomy_term_id={lib['id']}"))
    want = [s for s in all_ if any(a.get("taxonomy_term_id") == lib["id"]
                                   for a in s["attributes"])]
    assert libs["total_items"] == len(want) > 0
    by_tax = _json(c.get(f"/openreferral/taxonomy_terms?per_page=500"
                         f"&taxonomy_id={lib['taxonomy_id']}"))
    assert {t["taxonomy_id"] for t in by_tax["contents"]} == {lib["taxonomy_id"]}
    org = all_[0]["organization_id"]
    mine = _json(c.get(f"/openreferral/services?organization_id={org}"))
    assert [s["id"] for s in mine["contents"]] == [all_[0]["id"]]
    listing = _json(c.get("/openreferral/services?full=false&per_page=1"))["contents"][0]
    assert "service_at_locations" not in listing and "attributes" not in listing
    minimal = _json(c.get("/openreferral/services?minimal=true&per_page=1"))["contents"][0]
    assert set(minimal) <= {"id", "last_modified"}


def test_modified_after_and_opening_times(c):
    all_ = _all_services(c)
    stamps = sorted({s["last_modified"] for s in all_})
    late = _json(c.get("/openreferral/services", query_string={
        "modified_after": stamps[-1], "per_page": 500}))
    assert late["total_items"] == sum(s["last_modified"] >= stamps[-1] for s in all_)
    assert _json(c.get("/openreferral/services?modified_after=2999-01-01"))["empty"]
    sunday = _json(c.get("/openreferral/services?day=SU&start_time=09:00&per_page=500"))
    for s in sunday["contents"]:
        assert any("SU" in d.get("byday", "") and d["opens_at"] >= "09:00"
                   for d in s["schedules"])
    assert 0 < sunday["total_items"] < len(all_)


def test_postcode_and_proximity(or_app, c):
    from assetmap.store import Store
    store = Store(or_app.config["DATABASE"])
    a = store.read_assets()
    target = a[~a["home_based"]].iloc[0]
    store.write_postcodes(pd.DataFrame({"postcode": ["AS1 1AA"], "lon": [target.geometry.x],
                                        "lat": [target.geometry.y], "area_code": [None]}))
    store.dispose()
    from assetmap.views import data
    data.clear_cache()
    near = _json(c.get("/openreferral/services?postcode=as11aa&proximity=50"))
    assert near["total_items"] >= 1
    assert near["contents"][0]["name"] == target["name"]
    wide = _json(c.get("/openreferral/service_at_locations?postcode=AS1 1AA&proximity=2000"))
    assert wide["total_items"] > near["total_items"]
    assert _json(c.get("/openreferral/services?postcode=AS9 9ZZ")).get("status") == 400


def test_every_url_resolves_to_a_public_page(c):
    all_ = _all_services(c)
    own = [s["url"] for s in all_ if "/directory/" in s["url"]]
    assert len(own) > 200 and all(s.get("url") for s in all_)
    for u in own[:40]:
        r = c.get(u.removeprefix("http://localhost"))
        assert r.status_code == 200, u
    homes = [s for s in all_ if "home_based" in json.dumps(s["attributes"])]
    home = next(s for s in homes if "/directory/" in s["url"])
    page = c.get(home["url"].removeprefix("http://localhost")).get_data(as_text=True)
    assert "approximate location" in page.lower() and home["name"] in page.replace(
        "&#39;", "'")
    from assetmap.store import Store
    from assetmap.views.records import public_record
    aid = home["url"].rsplit("/", 1)[1]
    with c.application.test_request_context():
        rec = public_record(aid)
    assert rec["address"] is None and rec["postcode"] is None
    store = Store(c.application.config["DATABASE"])
    private = store.get_asset(aid)
    store.dispose()
    assert private["address"] and private["address"] not in page
    assert f"{private['geometry'].y:.5f}" not in page
    loc = home["service_at_locations"][0]["location"]
    assert "addresses" not in loc
    assert c.get("/directory/no-such-record").status_code == 404


def test_ndjson_streams_every_record(c):
    r = c.get("/openreferral/taxonomy_terms?format=ndjson")
    lines = [json.loads(x) for x in r.get_data(as_text=True).splitlines()]
    from assetmap.io.openreferral.terms import TAXONOMIES
    every = sum(len(vocab) for _, vocab in TAXONOMIES.values())   # 106 with the focus terms
    assert r.mimetype == "application/x-ndjson" and len(lines) == every == 106


def test_unknown_parameters_everywhere_are_refused(c):
    for path in LISTS:
        r = c.get(f"/openreferral/{path}?nonsense=1")
        assert r.status_code == 400 and "nonsense" in _json(r)["error"]
