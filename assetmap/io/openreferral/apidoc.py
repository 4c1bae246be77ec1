"""The OpenAPI document of AssetMap's Open Referral API: HSDS 3.0's paths and the UK
profile's (``/``, the six list paths and their ``/{id}`` forms), each with the query
parameters :mod:`.query` accepts, response schemas by reference to the published HSDS
3.0 schemas."""
from __future__ import annotations

from ... import __version__
from .query import DEFAULT_PER_PAGE, MAX_PER_PAGE, ONE_PARAMETERS, PARAMETERS
from .terms import HSDS_VERSION, PROFILE_URI

SCHEMA_BASE = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
#: List path -> the HSDS object its records are.
OBJECTS = {"services": "service", "service_at_locations": "service_at_location",
           "organizations": "organization", "locations": "location",
           "taxonomies": "taxonomy", "taxonomy_terms": "taxonomy_term"}
_TYPES = {"page": ("integer", "Page number (from 1)."),
          "per_page": ("integer", f"Records per page (1 to {MAX_PER_PAGE}, default "
                                  f"{DEFAULT_PER_PAGE})."),
          "format": ("string", "json (default) or ndjson (every record, one a line)."),
          "search": ("string", "Words that must all appear in the record's names, "
                               "description, terms or address."),
          "taxonomy_term_id": ("string", "Only services with this taxonomy term."),
          "taxonomy_id": ("string", "Only services with a term of this taxonomy (for "
                                    "/taxonomy_terms: the terms of this taxonomy)."),
          "organization_id": ("string", "Only the services of this organization."),
          "modified_after": ("string", "Only records modified at or after this ISO 8601 "
                                       "date-time."),
          "minimal": ("boolean", "Only each service's id and last_modified."),
          "full": ("boolean", "Fully nested records (default for /services)."),
          "full_service": ("boolean", "Organizations with their services in full."),
          "minimum_age": ("number", "Services whose minimum age is at least this."),
          "maximum_age": ("number", "Services whose maximum age is at most this."),
          "start_time": ("string", "Services opening at or after this time (HH:MM)."),
          "end_time": ("string", "Services closing at or before this time (HH:MM)."),
          "day": ("string", "Services open on this day (MO..SU or Monday..Sunday)."),
          "postcode": ("string", "A postcode of the stored lookup: services whose area "
                                 "served holds it (all, when they name none), nearest "
                                 "first."),
          "proximity": ("number", "With postcode: only services within this many metres "
                                  "of the postcode's centre."),
          "top_only": ("boolean", "Only terms that have no child terms."),
          "parent_id": ("string", "Only terms with this parent.")}
_ERROR = {"description": "Bad parameter (400), unknown record or path (404): JSON",
          "content": {"application/json": {"schema": {
              "type": "object", "required": ["error", "status"],
              "properties": {"error": {"type": "string"}, "status": {"type": "integer"},
                             "parameter": {"type": "string"}}}}}}


def _param(name: str) -> dict:
    kind, text = _TYPES[name]
    return {"name": name, "in": "query", "required": False, "description": text,
            "schema": {"type": kind}}


def _ok(schema: dict, text: str) -> dict:
    return {"200": {"description": text, "content": {"application/json": {
        "schema": schema}}}, "400": _ERROR, "404": _ERROR}


def _paths() -> dict:
    paths: dict = {"/": {"get": {
        "operationId": "getAPIMetaInformation", "summary": "The HSDS version and profile.",
        "responses": _ok({"type": "object", "properties": {
            "version": {"type": "string"}, "profile": {"type": "string", "format": "uri"},
            "openapi_url": {"type": "string", "format": "uri"}}}, "About this API")}}}
    for path, obj in OBJECTS.items():
        item = {"$ref": SCHEMA_BASE + f"{obj}.json"}
        page = {"allOf": [{"$ref": "#/components/schemas/Page"}], "properties": {
            "contents": {"type": "array", "items": item}}}
        paths[f"/{path}"] = {"get": {
            "operationId": f"list_{path}", "summary": f"A page of {path}.",
            "parameters": [_param(p) for p in PARAMETERS[path]],
            "responses": _ok(page, f"A page of {path}")}}
        paths[f"/{path}/{{id}}"] = {
            "parameters": [{"name": "id", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "get": {"operationId": f"get_{obj}", "summary": f"One {obj}, fully nested.",
                    "parameters": [_param(p) for p in ONE_PARAMETERS.get(path, ())],
                    "responses": _ok(item, f"One {obj}")}}
    return paths


def document(server: str) -> dict:
    """The OpenAPI 3.1 document, served from ``server`` (the API's root URL)."""
    page = {"type": "object", "properties": {
        k: {"type": t} for k, t in (("total_items", "integer"), ("total_pages", "integer"),
                                    ("page_number", "integer"), ("size", "integer"),
                                    ("first_page", "boolean"), ("last_page", "boolean"),
                                    ("empty", "boolean"))}}
    return {"openapi": "3.1.0",
            "info": {"title": "AssetMap: Open Referral UK API", "version": __version__,
                     "summary": f"HSDS {HSDS_VERSION}, Open Referral UK profile",
                     "description": f"Profile: {PROFILE_URI}"},
            "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
            "servers": [{"url": server}], "paths": _paths(),
            "components": {"schemas": {"Page": page}}}
