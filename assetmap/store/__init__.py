"""The only code that talks SQL.

SQLAlchemy 2 Core tables; a SQLite file by default (WAL, foreign keys on) and PostgreSQL +
PostGIS by URL through the same code. Geometry is a :class:`Geom` column: WKB bytes on
SQLite, a PostGIS ``geometry(…, 4326)`` on PostgreSQL (2-D). Text columns (:func:`Str`,
:func:`Txt`) behave on PostgreSQL as on SQLite: no length limit enforced, byte-order
sorting, NUL characters dropped (see ``schema._PGText``). Every write runs inside one
transaction and bumps the store's data version, so analysis results and cached maps can say
which data they were built from.

One module per concern, each a mixin of :class:`Store`:

    schema      column types, every table, SCHEMA_VERSION, COUNTED_TABLES
    core        StoreCore: engine, create/drop, transactions, data version, meta, counts
    areas       areas, indicators and their values, postcodes
    assets      assets, providers, asset versions (history, edits, restores), networks
    moderation  the contribution workflow: submissions, approve/reject/amend/edit, reviews
    runs        analysis runs and their results, blobs
    accounts    users (and their session versions) and saved outreach plans
    referrals   referrals and their audit trail, providers' private links, vacancy
                confirmations (issue 11)
    limits      rate-limit events and failed sign-ins per (account, address)
    backup      backup and restore of the whole store (SQLite backup API, pg_dump)
"""
from __future__ import annotations

from ..errors import ConflictError, InputError, NotFound
from .accounts import AccountsMixin
from .areas import AreasMixin
from .assets import AssetsMixin
from .backup import BackupMixin
from .core import StoreCore, now_iso, open_store
from .limits import LimitsMixin
from .moderation import ModerationMixin
from .referrals import ReferralsMixin
from .runs import RunsMixin
from .schema import (
    COUNTED_TABLES,
    SCHEMA_VERSION,
    Geom,
    Str,
    Txt,
    areas,
    asset_versions,
    assets,
    blobs,
    indicator_values,
    indicators,
    login_failures,
    meta_table,
    metadata,
    networks,
    outreach_plans,
    postcodes,
    provider_links,
    providers,
    rate_events,
    referral_events,
    referrals,
    run_results,
    runs,
    submissions,
    users,
)


class Store(AreasMixin, ModerationMixin, ReferralsMixin, AssetsMixin, RunsMixin,
            AccountsMixin, LimitsMixin, BackupMixin, StoreCore):
    """A handle on one AssetMap database (SQLite file or PostgreSQL+PostGIS)."""


__all__ = [
    "Store", "StoreCore", "open_store", "now_iso",
    "ConflictError", "InputError", "NotFound",
    "COUNTED_TABLES", "SCHEMA_VERSION", "Geom", "Str", "Txt", "metadata",
    "areas", "asset_versions", "assets", "blobs", "indicator_values", "indicators",
    "login_failures", "meta_table", "networks", "outreach_plans", "postcodes", "provider_links",
    "providers", "rate_events", "referral_events", "referrals", "run_results", "runs",
    "submissions", "users",
]
