"""The JSON API against the OpenAPI document it serves at /api/v1/openapi.json,
property-based (schemathesis): for every /api/ operation, generated requests (valid ones, and
ones the document says are invalid) get the documented status codes, content types and
response schemas, never a server error. Bounded: a few examples per operation, on the tiny
web borough (``web_app``)."""
import tempfile

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402


def _served_document() -> dict:
    """The document as the app serves it (read once, at collection, from an empty store)."""
    from assetmap.app import create_app
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "DATABASE": f"sqlite:///{tmp}/s.sqlite",
                          "INSTANCE_PATH": tmp, "SECRET_KEY": "x"})
        doc = app.test_client().get("/api/v1/openapi.json").get_json()
        app.extensions["assetmap_store"].dispose()
    return doc


schema = schemathesis.openapi.from_dict(_served_document()).include(path_regex="^/api/")


@schema.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_the_api_matches_its_document(case, web_app):
    # the WSGI transport does not undo Content-Encoding: ask for the plain bytes
    case.call_and_validate(app=web_app, headers={"Accept-Encoding": "identity"})
