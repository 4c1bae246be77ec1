"""Open Referral UK (HSDS 3.0, UK profile): export the store's services, serve the API's
content, import any valid feed.

Mapping (DESIGN.md): each approved asset is one ``service`` of its own ``organization``,
delivered at one ``location`` (``service_at_location``). Empty values are left out.

=========================  ===============================================================
AssetMap                   HSDS 3.0 / Open Referral UK
=========================  ===============================================================
name, description          service.name/description (organization.name/description too)
website                    service.url (else the record's page ``/directory/<id>``),
                           organization.website
contact (if public)        split: e-mails -> service.email (and organization.email),
                           phone numbers -> service.contacts[].phones[]
point, address, postcode   location.latitude/longitude, location.addresses[] (physical;
                           without a postcode the address is the location's description)
home_based                 location at the centre of its HOME_GRID_M cell, no address
opening_hours              service.schedules[]: one weekly RRULE per simple rule (byday,
                           opens_at, closes_at), the OSM text as the first's description
reach                      schedules[].attending_type (and a provider detail when given)
area_served, _geojson,     service.service_areas[] (ONS geography URIs for area codes, a
radius_km                  GeoJSON extent, "Within N km of its base")
last_reviewed              service.assured_date; updated_at -> service.last_modified
category, service types,   service.attributes[] -> taxonomy_term of the AssetMap
client groups              taxonomies (published at /taxonomies and /taxonomy_terms)
hourly_price               service.cost_options[] (GBP, "per hour")
quality_mark,              service.accreditations ("AssetMap quality mark: gold (verified
quality_mark_by,           by the council); CQC overall rating: Good"), and provider
cqc_rating                 details quality_mark_by and cqc_rating (no HSDS field for them)
community_tags             service.attributes[] -> taxonomy "AssetMap community focus"
                           (every term); the languages among them also service.languages[]
                           (name, ISO 639 code)
cqc / charity / company    organization.organization_identifiers[] (CQC location ID,
                           GB-CHC, GB-COH)
other provider fields,     service.attributes[] with a value, taxonomy "AssetMap provider
AssetMap id                details" (capacity_hours, vacancies, capacity_places,
                           vacancies_confirmed, direct_payments, preferred_list,
                           cqc_registered, staff_fte, community_focus, radius_km, reach,
                           home_based, contact_public, assetmap_id); preferred_list only
                           where published (settings.PUBLISH_PREFERRED_LIST)
oruk_extra                 an imported record's own ids and every field AssetMap cannot
                           hold (languages, funding, ages, eligibility, contact names...),
                           kept verbatim and published again (:mod:`.extra`)
=========================  ===============================================================

Identifiers are UUIDs derived from the AssetMap id (uuid5), or the ids an imported record
came with, so an export is stable and a re-import finds the same records. No published
mapping from AssetMap's vocabulary to a council taxonomy (LGA / esd service types) is at
hand, so terms map to none (``terms.EXTERNAL_MAPPINGS``).

The rooms: ``terms`` (vocabularies, identifiers, context), ``parts`` and ``record`` (one
asset -> a nested service), ``extra`` (what imported records keep), ``entities``
(organizations, locations, taxonomies), ``query`` and ``filters`` (the API's parameters),
``feed`` (every API path's content), ``apidoc`` (its OpenAPI document), ``export``
(services.json and the HSDS data package), ``read`` (JSON pages or a tabular package ->
nested services), ``mapping`` and ``importer`` (nested services -> AssetMap assets),
``validate`` (the published schemas, offline).
"""
from .export import export_openreferral
from .feed import LIST_FIELDS, Feed, service_by_id, services_page
from .importer import import_openreferral
from .query import Query, parse
from .read import read_openreferral
from .record import service_record
from .terms import LINK_TYPES, NAMESPACE, QUALITY_PREFIX, TABLES, TAXONOMIES, Context, uid

__all__ = ["Context", "Feed", "LINK_TYPES", "LIST_FIELDS", "NAMESPACE", "QUALITY_PREFIX",
           "Query", "TABLES", "TAXONOMIES", "export_openreferral", "import_openreferral",
           "parse", "read_openreferral", "service_by_id", "service_record", "services_page",
           "uid"]
