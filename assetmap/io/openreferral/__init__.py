"""Open Referral UK (HSDS 3.0, UK profile): export the store's services, import a feed.

Mapping (DESIGN.md): each approved asset is one ``service`` of its own ``organization``,
delivered at one ``location`` (``service_at_location``):

=========================  ===============================================================
AssetMap                   HSDS 3.0 / Open Referral UK
=========================  ===============================================================
name, description          service.name/description (organization.name/description too)
website                    service.url, organization.website
contact (if public)        service.email when an e-mail, else service.contacts[].phones[]
point, address, postcode   location.latitude/longitude, location.addresses[] (physical)
home_based                 location at the centre of its HOME_GRID_M cell, no address
opening_hours              service.schedules[].description (OSM opening_hours syntax)
last_reviewed              service.assured_date; updated_at -> service.last_modified
category, service types,   service.attributes[] -> taxonomy_term of the AssetMap
client groups              taxonomies (asset categories, service types, client groups)
hourly_price               service.cost_options[] (GBP, "per hour")
capacity_hours, vacancies  service.capacities[] (service_capacity: maximum, available;
                           unit "hours per week")
quality_mark               service.accreditations ("AssetMap quality mark: gold")
cqc / charity / company    organization.organization_identifiers[] (CQC location ID,
                           GB-CHC, GB-COH)
other provider fields,     service.attributes[] with a value, taxonomy "AssetMap provider
AssetMap id                details" (direct_payments, preferred_list, staff_fte,
                           community_focus, radius_km, home_based, contact_public,
                           assetmap_id)
=========================  ===============================================================

Identifiers are UUIDs derived from the AssetMap id (uuid5), so an export is stable and a
re-import finds the same records. :func:`services_page` builds the ``/services`` page the
web app serves (the UK profile's page envelope: ``total_items, total_pages, page_number,
size, first_page, last_page, empty, contents``).

The rooms: ``terms`` (vocabularies, identifiers), ``record`` (one asset -> a nested
service), ``feed`` (the ``/services`` pages), ``export`` (services.json and the HSDS CSV
tables), ``read`` (a JSON feed or CSV package -> nested services), ``importer`` (nested
services -> AssetMap assets in the store).
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
