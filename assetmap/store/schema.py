"""The schema: column types that behave alike on SQLite and PostgreSQL + PostGIS, and every
table.

Geometry is a :class:`Geom` column: WKB bytes on SQLite, a PostGIS ``geometry(…, 4326)`` on
PostgreSQL (2-D) with a GiST index (:func:`gist_index`). Times the store writes itself are
:func:`Stamp` columns: ISO 8601 text on SQLite, ``timestamptz`` on PostgreSQL, exchanged with
Python as ISO text on both. Text columns (:func:`Str`, :func:`Txt`) behave on PostgreSQL as on
SQLite: no length limit enforced, byte-order sorting, NUL characters dropped (see
:class:`_PGText`).
"""
from __future__ import annotations

import datetime as dt

import shapely
from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    false,
    func,
)
from sqlalchemy.types import TIMESTAMP, TypeDecorator, UserDefinedType

from .. import model
from ..errors import InputError

#: The schema's version: the number of the newest migration (``migrations/versions``),
#: also kept in the meta table's ``schema`` row. A new column is a new revision there.
SCHEMA_VERSION = 7


def _to_wkb(value):
    return None if value is None else shapely.to_wkb(value)


def _from_wkb(value):
    return None if value is None else shapely.from_wkb(bytes(value))


class _PostGISGeometry(UserDefinedType):
    """A PostGIS geometry column in EPSG:4326, exchanged with Python as WKB."""

    cache_ok = True

    def get_col_spec(self, **kw):
        return "geometry(Geometry, 4326)"

    def bind_expression(self, bindvalue):
        return func.ST_SetSRID(func.ST_GeomFromWKB(bindvalue), 4326)

    def column_expression(self, col):
        return func.ST_AsBinary(col, type_=self)

    def bind_processor(self, dialect):
        # the column is XY (typmod ``Geometry``) and the store is 2-D throughout; PostGIS
        # refuses a Z or M coordinate ("Geometry has Z dimension but column does not"), so
        # a 3-D GeoJSON or GPKG import would fail only here: drop them (SQLite keeps the
        # bytes it is given, and nothing reads Z)
        return lambda value: None if value is None else _to_wkb(shapely.force_2d(value))

    def result_processor(self, dialect, coltype):
        return _from_wkb


class _WKBBlob(TypeDecorator):
    """Geometry as WKB bytes in a BLOB (SQLite)."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return _to_wkb(value)

    def process_result_value(self, value, dialect):
        return _from_wkb(value)


#: Shapely geometry column: WKB BLOB on SQLite, PostGIS geometry on PostgreSQL.
Geom = _WKBBlob().with_variant(_PostGISGeometry(), "postgresql")


class _PGText(TypeDecorator):
    """The PostgreSQL side of every text column, so that it behaves as SQLite's does:

    * unbounded: SQLite never enforces a VARCHAR length, PostgreSQL raises
      StringDataRightTruncation; the lengths in the table definitions document intent (the
      limits users see are checked in ``model``/``submissions`` with a proper InputError);
    * collation "C" (byte order, SQLite's BINARY): ORDER BY, min/max and comparisons give
      the same answer whatever locale the server's database was created with (en_US,
      ICU... sort "B" before "a" differently, and ignore or reorder punctuation);
    * NUL characters removed: PostgreSQL text cannot hold them ("PostgreSQL text fields
      cannot contain NUL (0x00) bytes") and they have no meaning in any field.
    """

    impl = String
    cache_ok = True

    def __init__(self):
        super().__init__(collation="C")

    def process_bind_param(self, value, dialect):
        if isinstance(value, str) and "\x00" in value:
            return value.replace("\x00", "")
        return value


class _PGTimestamp(TypeDecorator):
    """``timestamptz`` on PostgreSQL, exchanged as ISO 8601 text (UTC) like SQLite's column:
    ``2026-01-01T09:00:00+00:00`` goes in and comes out; a time without an offset is UTC."""

    impl = TIMESTAMP(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None or isinstance(value, dt.datetime):
            return value
        try:
            t = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise InputError(f"'{value}' is not an ISO 8601 date and time",
                             field="timestamp") from None
        return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None or not isinstance(value, dt.datetime):
            return value
        return value.astimezone(dt.timezone.utc).isoformat()


def Stamp() -> String:
    """A time the store records (created, updated, changed, reviewed): VARCHAR(32) ISO text
    on SQLite, ``timestamptz`` on PostgreSQL (see _PGTimestamp)."""
    return String(32).with_variant(_PGTimestamp(), "postgresql")


def gist_index(table: str, column: str = "geometry") -> Index:
    """A GiST index on a PostGIS geometry column (none on SQLite, where geometry is WKB)."""
    return Index(f"ix_{table}_{column}_gist", column, postgresql_using="gist").ddl_if(
        dialect="postgresql")


def Str(length: int) -> String:
    """A short text column: VARCHAR(length) on SQLite (not enforced there), see _PGText."""
    return String(length).with_variant(_PGText(), "postgresql")


def Txt() -> Text:
    """A long text column: TEXT on SQLite, see _PGText."""
    return Text().with_variant(_PGText(), "postgresql")


metadata = MetaData()

meta_table = Table("meta", metadata,
                   Column("key", Str(64), primary_key=True),
                   Column("value", Txt()))

areas = Table(
    "areas", metadata,
    Column("code", Str(16), primary_key=True),
    Column("name", Str(200), nullable=False),
    Column("level", Str(8), nullable=False, index=True),
    Column("parent_code", Str(16)),
    Column("parent_name", Str(200)),
    *[Column(b, Float) for b in model.AGE_BANDS],
    Column("pwc_lon", Float), Column("pwc_lat", Float),
    Column("geometry", Geom, nullable=False),
    # issue 17: the polygon is an estimate (a Voronoi cell around the centroid)
    Column("approximate_geometry", Boolean, nullable=False, default=False,
           server_default=false()),
    gist_index("areas"),
)

indicators = Table(
    "indicators", metadata,
    Column("id", Str(64), primary_key=True),
    Column("title", Str(300), nullable=False),
    Column("unit", Str(40), nullable=False),
    Column("polarity", Str(12), nullable=False),
    Column("ci_method", Str(12), nullable=False),
    Column("source", Txt()), Column("period", Str(60)), Column("description", Txt()),
)

indicator_values = Table(
    "indicator_values", metadata,
    Column("indicator_id", Str(64), ForeignKey("indicators.id", ondelete="CASCADE"),
           primary_key=True),
    Column("area_code", Str(16), ForeignKey("areas.code", ondelete="CASCADE"),
           primary_key=True),
    Column("value", Float), Column("count", Float), Column("denominator", Float),
    Column("lower_ci", Float), Column("upper_ci", Float),
)

assets = Table(
    "assets", metadata,
    Column("id", Str(64), primary_key=True),
    Column("name", Str(200), nullable=False),
    Column("category", Str(32), nullable=False, index=True),
    Column("description", Txt()), Column("address", Txt()), Column("postcode", Str(10)),
    Column("opening_hours", Txt()), Column("contact", Txt()),
    Column("contact_public", Boolean, nullable=False, default=False),
    Column("website", Txt()),
    Column("source", Str(16), nullable=False), Column("source_ref", Str(200), index=True),
    Column("status", Str(12), nullable=False, index=True),
    Column("home_based", Boolean, nullable=False, default=False),
    Column("last_reviewed", Str(32)),
    Column("created_by", Str(100)), Column("created_at", Stamp()),
    Column("updated_by", Str(100)), Column("updated_at", Stamp()),
    Column("version", Integer, nullable=False, default=1),
    Column("geometry", Geom, nullable=False),
    # schema version 5: an imported Open Referral record's ids and the fields
    # AssetMap cannot hold, verbatim JSON (model.ASSET_COLUMNS, io.openreferral.extra)
    Column("oruk_extra", Txt()),
    # schema version 4: the outline of an asset imported as a polygon or line (a building,
    # a park), for display only; its point (``geometry``) is what analysis measures from
    Column("footprint", Geom),
    gist_index("assets"),
    gist_index("assets", "footprint"),
)

providers = Table(
    "providers", metadata,
    Column("asset_id", Str(64), ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True),
    Column("service_types", Txt(), nullable=False), Column("client_groups", Txt(), nullable=False),
    Column("hourly_price", Float), Column("quality_mark", Str(8), nullable=False),
    Column("cqc_registered", Boolean, nullable=False), Column("cqc_location_id", Str(40)),
    Column("direct_payments", Boolean, nullable=False),
    Column("preferred_list", Boolean, nullable=False),
    Column("staff_fte", Float), Column("capacity_hours", Float), Column("vacancies", Float),
    Column("community_focus", Txt()), Column("radius_km", Float),
    Column("charity_number", Str(20)), Column("company_number", Str(20)),
    # schema version 2: reach, area served, places, vacancy date (see model.PROVIDER_COLUMNS)
    Column("reach", Str(8)), Column("area_served", Txt()), Column("area_served_geojson", Txt()),
    Column("capacity_places", Float), Column("vacancies_confirmed", Str(32)),
    # schema version 7: trust signals (who awarded the mark, CQC rating, focus terms)
    Column("quality_mark_by", Str(8)), Column("cqc_rating", Str(24)),
    Column("community_tags", Txt()),
)

asset_versions = Table(
    "asset_versions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("asset_id", Str(64), ForeignKey("assets.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("action", Str(20), nullable=False),
    Column("data", Txt(), nullable=False),
    Column("changed_by", Str(100)), Column("changed_at", Stamp(), nullable=False),
    Column("reason", Txt()),
)

networks = Table(
    "networks", metadata,
    Column("id", Str(64), primary_key=True),
    Column("name", Str(200), nullable=False),
    Column("hub_asset_id", Str(64)),
    Column("members", Integer), Column("activities", Txt()),
    Column("geometry", Geom, nullable=False),
    gist_index("networks"),
)

blobs = Table(
    "blobs", metadata,
    Column("name", Str(100), primary_key=True),
    Column("sha256", Str(64), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", Stamp(), nullable=False),
)

postcodes = Table(
    "postcodes", metadata,
    Column("postcode", Str(10), primary_key=True),
    Column("lon", Float, nullable=False), Column("lat", Float, nullable=False),
    Column("area_code", Str(16)),
)

runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", Stamp(), nullable=False),
    Column("data_version", Integer, nullable=False),
    Column("params", Txt(), nullable=False),
    Column("summary", Txt()),
)

run_results = Table(
    "run_results", metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("name", Str(64), primary_key=True),
    Column("data", LargeBinary, nullable=False),
)

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Str(100), nullable=False, unique=True),
    Column("role", Str(16), nullable=False),
    Column("password_hash", Txt(), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", Stamp(), nullable=False),
    #: Bumped on sign-out, password, role or active changes: every session signed in under
    #: an older version is void (issue 13; added to older stores by AccountsMixin.create).
    Column("session_version", Integer, nullable=False, default=0, server_default="0"),
)

#: Contributions (issue 6): a new asset (kind "new", its asset row is ``pending``) or a
#: proposed change to an existing one (kind "update", the asset stays as it is until a
#: planner approves). ``token_hash`` is the SHA-256 of the contributor's private link.
submissions = Table(
    "submissions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("asset_id", Str(64), ForeignKey("assets.id"), nullable=False, index=True),
    Column("kind", Str(8), nullable=False),
    Column("status", Str(12), nullable=False, index=True),
    Column("data", Txt(), nullable=False),
    Column("base_version", Integer),
    Column("token_hash", Str(64), index=True),
    Column("submitted_by", Str(100), index=True),
    Column("created_at", Stamp(), nullable=False),
    Column("updated_at", Stamp(), nullable=False),
    Column("reviewed_by", Str(100)), Column("reviewed_at", Stamp()),
    Column("reason", Txt()),
    Column("version", Integer, nullable=False, default=1),
)

#: Coordinators' saved outreach plans (issue 7).
outreach_plans = Table(
    "outreach_plans", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Str(200), nullable=False),
    Column("created_at", Stamp(), nullable=False),
    Column("created_by", Str(100)),
    Column("run_id", Integer),
    Column("data_version", Integer),
    Column("params", Txt(), nullable=False),
    Column("plan", Txt(), nullable=False),
)

#: Rate-limit events (issue 13): one row per counted event (a submission, a failed sign-in
#: from an address...) per ``bucket`` and ``key``, ``at`` in seconds since the epoch. Kept
#: in the store so limits hold across restarts and processes; expired rows are pruned.
rate_events = Table(
    "rate_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("bucket", Str(32), nullable=False),
    Column("key", Str(200), nullable=False),
    Column("at", Float, nullable=False),
    Index("ix_rate_events_key", "bucket", "key", "at"),
    Index("ix_rate_events_at", "bucket", "at"),
)

#: Failed sign-ins per (account, address) pair (issue 13): growing delays for that pair,
#: never a lock on the account. ``account`` is the name as typed (lower case), known or not.
login_failures = Table(
    "login_failures", metadata,
    Column("account", Str(100), primary_key=True),
    Column("address", Str(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("first_at", Float, nullable=False),
    Column("last_at", Float, nullable=False, index=True),
)

#: Referrals (issue 11): a signed-in referrer refers a person to a provider (an asset with a
#: service record). The person is named only by ``case_ref``, a reference the referrer's own
#: system owns (checked to hold no name, postcode, date or number that identifies them), and
#: placed only by ``area_code`` (an LSOA). ``status`` moves as ``assetmap.referrals.workflow``
#: allows; ``answer`` and ``decline_reason`` keep the provider's answer after a close (the
#: evidence counts them). ``request_key`` makes a repeated form post create nothing new.
referrals = Table(
    "referrals", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("asset_id", Str(64), ForeignKey("assets.id"), nullable=False, index=True),
    Column("service_type", Str(32), nullable=False),
    Column("client_group", Str(32), nullable=False),
    Column("area_code", Str(16), nullable=False, index=True),
    Column("case_ref", Str(40), nullable=False),
    Column("notes", Txt()),
    Column("status", Str(12), nullable=False, index=True),
    Column("answer", Str(12)), Column("decline_reason", Str(20)),
    Column("answered_at", Str(32)),
    Column("created_by", Str(100), nullable=False, index=True),
    Column("created_at", Str(32), nullable=False, index=True),
    Column("updated_at", Str(32), nullable=False),
    Column("version", Integer, nullable=False, default=1),
    Column("request_key", Str(64), unique=True),
)

#: Every change of a referral's status (issue 11): the audit trail, never rewritten.
referral_events = Table(
    "referral_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("referral_id", Integer, ForeignKey("referrals.id"), nullable=False, index=True),
    Column("from_status", Str(12)), Column("to_status", Str(12), nullable=False),
    Column("reason", Str(40)),
    Column("by", Str(100), nullable=False), Column("at", Str(32), nullable=False),
)

#: Providers' private links (issue 11): ``token_hash`` is the SHA-256 of the link's token
#: (``community.tokens``); a link works until ``revoked_at``. ``email`` (optional) is where
#: notices of new referrals go.
provider_links = Table(
    "provider_links", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("asset_id", Str(64), ForeignKey("assets.id"), nullable=False, index=True),
    Column("token_hash", Str(64), nullable=False, unique=True),
    Column("email", Str(254)),
    Column("created_by", Str(100)), Column("created_at", Str(32), nullable=False),
    Column("revoked_by", Str(100)), Column("revoked_at", Str(32)),
    Column("last_used_at", Str(32)),
)

#: Tables reported by ``assetmap info``, in dependency order.
COUNTED_TABLES = ("areas", "indicators", "indicator_values", "assets", "providers",
                  "asset_versions", "networks", "blobs", "postcodes", "runs", "run_results",
                  "users", "referrals", "referral_events")
