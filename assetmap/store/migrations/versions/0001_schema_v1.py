"""Schema version 1: the store as AssetMap made it before migrations existed (commit
287b2a3), frozen here as it was.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

from assetmap.store.migrations.helpers import set_schema_version
from assetmap.store.schema import Geom, Str, Txt

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

AGE_BANDS = ("pop_0_17", "pop_18_64", "pop_65_74", "pop_75_84", "pop_85_plus")
C = sa.Column


def _index(table: str, *columns: str, name: str | None = None) -> None:
    op.create_index(name or f"ix_{table}_{columns[0]}", table, list(columns))


def _places() -> None:
    op.create_table("meta", C("key", Str(64), primary_key=True), C("value", Txt()))
    op.create_table(
        "areas", C("code", Str(16), primary_key=True), C("name", Str(200), nullable=False),
        C("level", Str(8), nullable=False), C("parent_code", Str(16)),
        C("parent_name", Str(200)), *[C(b, sa.Float) for b in AGE_BANDS],
        C("pwc_lon", sa.Float), C("pwc_lat", sa.Float), C("geometry", Geom, nullable=False))
    _index("areas", "level")
    op.create_table(
        "indicators", C("id", Str(64), primary_key=True), C("title", Str(300), nullable=False),
        C("unit", Str(40), nullable=False), C("polarity", Str(12), nullable=False),
        C("ci_method", Str(12), nullable=False), C("source", Txt()), C("period", Str(60)),
        C("description", Txt()))
    op.create_table(
        "indicator_values",
        C("indicator_id", Str(64), sa.ForeignKey("indicators.id", ondelete="CASCADE"),
          primary_key=True),
        C("area_code", Str(16), sa.ForeignKey("areas.code", ondelete="CASCADE"),
          primary_key=True),
        C("value", sa.Float), C("count", sa.Float), C("denominator", sa.Float),
        C("lower_ci", sa.Float), C("upper_ci", sa.Float))
    op.create_table(
        "postcodes", C("postcode", Str(10), primary_key=True),
        C("lon", sa.Float, nullable=False), C("lat", sa.Float, nullable=False),
        C("area_code", Str(16)))


def _assets() -> None:
    op.create_table(
        "assets", C("id", Str(64), primary_key=True), C("name", Str(200), nullable=False),
        C("category", Str(32), nullable=False), C("description", Txt()), C("address", Txt()),
        C("postcode", Str(10)), C("opening_hours", Txt()), C("contact", Txt()),
        C("contact_public", sa.Boolean, nullable=False), C("website", Txt()),
        C("source", Str(16), nullable=False), C("source_ref", Str(200)),
        C("status", Str(12), nullable=False), C("home_based", sa.Boolean, nullable=False),
        C("last_reviewed", Str(32)), C("created_by", Str(100)), C("created_at", Str(32)),
        C("updated_by", Str(100)), C("updated_at", Str(32)),
        C("version", sa.Integer, nullable=False), C("geometry", Geom, nullable=False))
    for col in ("category", "source_ref", "status"):
        _index("assets", col)
    op.create_table(
        "providers",
        C("asset_id", Str(64), sa.ForeignKey("assets.id", ondelete="CASCADE"),
          primary_key=True),
        C("service_types", Txt(), nullable=False), C("client_groups", Txt(), nullable=False),
        C("hourly_price", sa.Float), C("quality_mark", Str(8), nullable=False),
        C("cqc_registered", sa.Boolean, nullable=False), C("cqc_location_id", Str(40)),
        C("direct_payments", sa.Boolean, nullable=False),
        C("preferred_list", sa.Boolean, nullable=False),
        C("staff_fte", sa.Float), C("capacity_hours", sa.Float), C("vacancies", sa.Float),
        C("community_focus", Txt()), C("radius_km", sa.Float),
        C("charity_number", Str(20)), C("company_number", Str(20)))
    op.create_table(
        "asset_versions", C("id", sa.Integer, primary_key=True, autoincrement=True),
        C("asset_id", Str(64), sa.ForeignKey("assets.id"), nullable=False),
        C("version", sa.Integer, nullable=False), C("action", Str(20), nullable=False),
        C("data", Txt(), nullable=False), C("changed_by", Str(100)),
        C("changed_at", Str(32), nullable=False), C("reason", Txt()))
    _index("asset_versions", "asset_id")
    op.create_table(
        "networks", C("id", Str(64), primary_key=True), C("name", Str(200), nullable=False),
        C("hub_asset_id", Str(64)), C("members", sa.Integer), C("activities", Txt()),
        C("geometry", Geom, nullable=False))


def _runs() -> None:
    op.create_table(
        "blobs", C("name", Str(100), primary_key=True), C("sha256", Str(64), nullable=False),
        C("data", sa.LargeBinary, nullable=False), C("created_at", Str(32), nullable=False))
    op.create_table(
        "runs", C("id", sa.Integer, primary_key=True, autoincrement=True),
        C("created_at", Str(32), nullable=False), C("data_version", sa.Integer, nullable=False),
        C("params", Txt(), nullable=False), C("summary", Txt()))
    op.create_table(
        "run_results",
        C("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"),
          primary_key=True),
        C("name", Str(64), primary_key=True), C("data", sa.LargeBinary, nullable=False))


def _people() -> None:
    op.create_table(
        "users", C("id", sa.Integer, primary_key=True, autoincrement=True),
        C("name", Str(100), nullable=False, unique=True), C("role", Str(16), nullable=False),
        C("password_hash", Txt(), nullable=False), C("active", sa.Boolean, nullable=False),
        C("created_at", Str(32), nullable=False),
        C("session_version", sa.Integer, nullable=False, server_default="0"))
    op.create_table(
        "submissions", C("id", sa.Integer, primary_key=True, autoincrement=True),
        C("asset_id", Str(64), sa.ForeignKey("assets.id"), nullable=False),
        C("kind", Str(8), nullable=False), C("status", Str(12), nullable=False),
        C("data", Txt(), nullable=False), C("base_version", sa.Integer),
        C("token_hash", Str(64)), C("submitted_by", Str(100)),
        C("created_at", Str(32), nullable=False), C("updated_at", Str(32), nullable=False),
        C("reviewed_by", Str(100)), C("reviewed_at", Str(32)), C("reason", Txt()),
        C("version", sa.Integer, nullable=False))
    for col in ("asset_id", "status", "token_hash", "submitted_by"):
        _index("submissions", col)
    op.create_table(
        "outreach_plans", C("id", sa.Integer, primary_key=True, autoincrement=True),
        C("name", Str(200), nullable=False), C("created_at", Str(32), nullable=False),
        C("created_by", Str(100)), C("run_id", sa.Integer), C("data_version", sa.Integer),
        C("params", Txt(), nullable=False), C("plan", Txt(), nullable=False))
    op.create_table(
        "rate_events", C("id", sa.Integer, primary_key=True, autoincrement=True),
        C("bucket", Str(32), nullable=False), C("key", Str(200), nullable=False),
        C("at", sa.Float, nullable=False))
    _index("rate_events", "bucket", "key", "at", name="ix_rate_events_key")
    _index("rate_events", "bucket", "at", name="ix_rate_events_at")
    op.create_table(
        "login_failures", C("account", Str(100), primary_key=True),
        C("address", Str(64), primary_key=True), C("failures", sa.Integer, nullable=False),
        C("first_at", sa.Float, nullable=False), C("last_at", sa.Float, nullable=False))
    _index("login_failures", "last_at")


def upgrade():
    _places()
    _assets()
    _runs()
    _people()
    meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.execute(meta.insert().values(key="data_version", value="0"))
    set_schema_version(revision)
