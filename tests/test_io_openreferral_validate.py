"""The demo's whole Open Referral feed and export validate against the official HSDS 3.0
schemas and the Open Referral UK 3.0 profile (``../shared/standards/openreferral``,
offline), with 0 errors; a null put back is found."""
from __future__ import annotations

import copy
import json

import pytest
from conftest import ROOT

from assetmap.io.openreferral import entities, export_openreferral
from assetmap.io.openreferral.feed import Feed, envelope
from assetmap.io.openreferral.read import _Package
from assetmap.io.openreferral.terms import TABLES, Context
from assetmap.io.openreferral.validate import Validator, merge_patch, openapi

#: The standards folder beside the project (or beside a worktree's parent folder).
STANDARDS = next((p for p in (ROOT.parent / "shared" / "standards" / "openreferral",
                              ROOT.parent.parent / "shared" / "standards" / "openreferral")
                  if p.exists()), ROOT.parent / "shared" / "standards" / "openreferral")


@pytest.fixture(scope="module")
def validator():
    pytest.importorskip("jsonschema")
    if not (STANDARDS / "hsds-3.0").is_dir():
        pytest.skip("../shared/standards/openreferral absent")
    return Validator(STANDARDS)


@pytest.fixture(scope="module")
def demo_feed(demo_store):
    return Feed(demo_store, Context(root="https://assetmap.example.org", area_name="Ashbrook"))


def _objects(feed: Feed) -> dict[str, list]:
    """Every object the feed serves, by HSDS object name."""
    services = [s for _, s in feed.pairs]
    sals = [entities.sal_item(sal, s, full=True) for s in services
            for sal in s["service_at_locations"]]
    return {"service": services, "location": entities.locations(feed.pairs),
            "organization": entities.organizations(feed.pairs),
            "service_at_location": sals,
            "taxonomy": entities.taxonomies(feed.pairs, feed.ctx, nested=True),
            "taxonomy_term": entities.taxonomy_terms(feed.pairs, feed.ctx)}


def test_merge_patch_is_rfc7386():
    assert merge_patch({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"c": None, "e": 4}, "f": 5}) \
        == {"a": 1, "b": {"d": 3, "e": 4}, "f": 5}
    assert merge_patch({"a": 1}, None) is None
    assert merge_patch({"a": [1, 2]}, {"a": [3]}) == {"a": [3]}


def test_the_schemas_load_offline(validator):
    assert {"service", "location", "organization", "taxonomy"} <= set(validator.entities("uk"))
    assert "program" not in validator.entities("uk")          # the profile removes it
    doc = openapi(STANDARDS)
    assert "/taxonomy_terms" in doc["paths"] and "/organizations" not in doc["paths"]
    # the official example service validates (the schemas are read right)
    example = {"id": "ac148810-d857-441c-9679-408f346de14b", "name": "Community Counselling",
               "status": "active", "url": "http://example.com/counselling",
               "last_modified": "2023-03-15T10:30:45.123Z"}
    assert validator.problems(example, "service") == []


def test_the_whole_demo_feed_validates(validator, demo_feed):
    objects = _objects(demo_feed)
    assert len(objects["service"]) > 450 and len(objects["taxonomy"]) == 5   # + community focus
    problems = []
    for entity, records in objects.items():
        problems += validator.check_all(records, entity)
    assert problems == [], "\n".join(map(str, problems[:20]))
    page = envelope(objects["service"][:10], 1, 10)
    assert set(page) >= {"total_items", "total_pages", "page_number", "size", "first_page",
                         "last_page", "empty", "contents"}


def test_the_whole_demo_export_validates(validator, demo_store, tmp_path):
    out = tmp_path / "feed"
    export_openreferral(demo_store, out, base_url="https://assetmap.example.org")
    services = json.loads((out / "services.json").read_text())["contents"]
    n = len(demo_store.read_assets())                   # every approved asset is a service
    assert len(services) == n
    problems = validator.check_all(services, "service")
    pkg = _Package(out)
    counted = 0
    for name in TABLES:
        rows = pkg.table(name)
        counted += len(rows)
        problems += validator.check_all(rows, name)
    assert counted > n * 5
    assert problems == [], "\n".join(map(str, problems[:20]))


def test_a_null_put_back_is_found(validator, demo_feed):
    s = copy.deepcopy(demo_feed.pairs[0][1])
    assert validator.problems(s, "service") == []
    s["email"] = None
    found = validator.problems(s, "service")
    assert {p.schema_set for p in found} == {"hsds", "uk"}
    assert all(p.path == "/email" for p in found)
    loc = copy.deepcopy(s["service_at_locations"][0]["location"])
    loc["addresses"][0]["city"] = None
    assert validator.problems(loc, "location")
    bad_id = dict(demo_feed.pairs[1][1], id="not-a-uuid")
    assert any("uuid" in p.message for p in validator.problems(bad_id, "service"))
