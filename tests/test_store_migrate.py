"""Migrations (store/migrate.py, store/migrations/): a store made by the previous landed
version (schema 1, before migrations: tests/fixtures/store_v1.sql, made by that version's
own code) is copied and upgraded on opening and keeps its data; the revisions build exactly
the tables schema.py declares (SQLite and PostGIS); newer or unknown stores are refused with
exit status 2 and left as they were."""
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from assetmap.cli import main
from assetmap.store import SCHEMA_VERSION, Store, migrate
from assetmap.store.migrate import SchemaError

from pghelp import PG_OK, PG_URL

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "store_v1.sql"


def _v1_file(folder: Path) -> Path:
    path = folder / "v1.sqlite"
    con = sqlite3.connect(path)
    con.executescript(FIXTURE.read_text())
    con.close()
    return path


def _shape(engine) -> dict:
    """Every table's columns (name, type, nullable), indexes, keys and unique constraints."""
    i = inspect(engine)
    out = {}
    for t in sorted(i.get_table_names()):
        out[t] = (
            sorted((c["name"], str(c["type"]), c["nullable"]) for c in i.get_columns(t)),
            sorted((x["name"], tuple(x["column_names"]), bool(x["unique"]),
                    str(x.get("dialect_options", {}).get("postgresql_using", "")))
                   for x in i.get_indexes(t)),
            i.get_pk_constraint(t)["constrained_columns"],
            sorted((tuple(fk["constrained_columns"]), fk["referred_table"],
                    fk["options"].get("ondelete")) for fk in i.get_foreign_keys(t)),
            sorted(tuple(u["column_names"]) for u in i.get_unique_constraints(t)))
    return out


def test_head_is_the_schema_version():
    assert migrate.script_head() == migrate.HEAD == f"{SCHEMA_VERSION:04d}"


def test_a_schema_1_store_is_copied_then_upgraded_and_keeps_its_data(tmp_path):
    path = _v1_file(tmp_path)
    s = Store(f"sqlite:///{path}")
    try:
        assert s.schema_state().kind == "current"
        assert s.get_meta("schema") == str(SCHEMA_VERSION)
        counts = s.counts()
        assert (counts["areas"], counts["assets"], counts["providers"], counts["runs"],
                counts["users"]) == (4, 4, 1, 1, 1)
        prov = s.read_assets().set_index("id").loc["t-1"]
        assert prov["hourly_price"] == 18.5 and prov["community_focus"] == "Punjabi speakers"
        assert prov["community_tags"] == "punjabi"       # back-filled by revision 0007
        assert s.get_meta("area_name") == "Testford"
        assert s.get_user(name="pat")["session_version"] == 0
        assert s.list_outreach_plans()["name"].tolist() == ["Plan A"]
        s.write_assets(*_provider_with_reach(s))          # the new columns work
        assert s.read_assets().set_index("id").loc["t-1"]["capacity_places"] == 12.0
    finally:
        s.dispose()
    backups = [p for p in tmp_path.iterdir() if p.name.startswith("v1.schema1-")]
    assert len(backups) == 1
    con = sqlite3.connect(backups[0])
    assert con.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == ("1",)
    assert con.execute("SELECT count(*) FROM assets").fetchone() == (4,)
    con.close()


def _provider_with_reach(s):
    a = s.read_assets()
    assets = a[a["id"] == "t-1"].copy()
    prov = assets[["id"]].rename(columns={"id": "asset_id"}).assign(
        service_types="home_support", client_groups="older_people", quality_mark="none",
        cqc_registered=False, direct_payments=False, preferred_list=False,
        capacity_places=12.0)
    return assets.drop(columns=[c for c in assets.columns if c in prov.columns
                                and c != "id"] + ["is_provider"], errors="ignore"), prov


def test_a_schema_6_store_gets_trust_columns_and_back_filled_tags(tmp_path):
    """Revision 0007: an older (v6) store gains quality_mark_by, cqc_rating and
    community_tags; tags come from the free text, stored marks count as self-declared."""
    path = tmp_path / "v6.sqlite"
    s = Store(f"sqlite:///{path}")
    _v6_rows(s)
    s.dispose()
    _mark(path, "".join(f"ALTER TABLE providers DROP COLUMN {c}; " for c in (
        "quality_mark_by", "cqc_rating", "community_tags"))
        + "UPDATE alembic_version SET version_num = '0006'; "
        "UPDATE meta SET value = '6' WHERE key = 'schema';")
    s = Store(f"sqlite:///{path}")
    try:
        assert s.get_meta("schema") == str(SCHEMA_VERSION)
        a = s.read_assets().set_index("id")
        assert a.loc["p-1", "community_tags"] == "urdu|gujarati"
        assert a.loc["p-1", "quality_mark_by"] == "self"
        assert a.loc["p-1", "community_focus"] == "Urdu and Gujarati speakers"   # kept
        assert a.loc["p-2", "community_tags"] is None and a.loc["p-2", "quality_mark_by"] is None
        assert a.loc["p-2", "cqc_rating"] is None
    finally:
        s.dispose()


def _v6_rows(s):
    import geopandas as gpd
    import pandas as pd
    import shapely
    assets = gpd.GeoDataFrame({
        "id": ["p-1", "p-2"], "name": ["Sahara carers", "Lunch club"],
        "category": ["micro_provider"] * 2, "source": ["import"] * 2},
        geometry=[shapely.Point(-2.2, 53.4), shapely.Point(-2.21, 53.41)], crs=4326)
    prov = pd.DataFrame({
        "asset_id": ["p-1", "p-2"], "service_types": ["home_support"] * 2,
        "client_groups": ["older_people"] * 2, "quality_mark": ["gold", "none"],
        "community_focus": ["Urdu and Gujarati speakers", "Everyone welcome"]})
    s.write_assets(assets, prov)


def test_upgraded_v1_store_has_exactly_the_declared_tables(tmp_path):
    old = Store(f"sqlite:///{_v1_file(tmp_path)}")
    fresh = Store(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    try:
        assert _shape(old.engine) == _shape(fresh.engine)
    finally:
        old.dispose()
        fresh.dispose()


def test_db_upgrade_command(runner, tmp_path):
    url = f"sqlite:///{_v1_file(tmp_path)}"
    r = runner.invoke(main, ["--db", url, "db", "status"])
    assert r.exit_code == 0 and "schema version 1" in r.output and "behind" in r.output, r.output
    r = runner.invoke(main, ["--db", url, "db", "upgrade"])
    assert r.exit_code == 0, r.output
    assert f"from schema version 1 to {SCHEMA_VERSION}" in r.output
    r = runner.invoke(main, ["--db", url, "db", "upgrade"])
    assert r.exit_code == 0 and "already at schema version" in r.output
    r = runner.invoke(main, ["--db", url, "info", "--json"])
    assert r.exit_code == 0 and '"areas": 4' in r.output


def _mark(path: Path, sql: str) -> None:
    con = sqlite3.connect(path)
    con.executescript(sql)
    con.close()


def test_a_newer_store_is_refused_with_exit_2_and_left_alone(runner, tmp_path):
    path = tmp_path / "new.sqlite"
    Store(f"sqlite:///{path}").dispose()
    _mark(path, "UPDATE alembic_version SET version_num = '0999';")
    before = path.read_bytes()
    with pytest.raises(SchemaError, match="newer than this AssetMap"):
        Store(f"sqlite:///{path}")
    for args in (["info"], ["serve", "--port", "1"], ["db", "upgrade"], ["analyse"]):
        r = runner.invoke(main, ["--db", f"sqlite:///{path}", *args])
        assert r.exit_code == 2, (args, r.output)
        assert "schema version 999, newer than this AssetMap" in r.output
        assert "Traceback" not in r.output
    assert path.read_bytes() == before


def test_a_legacy_store_marked_newer_is_refused(tmp_path):
    path = _v1_file(tmp_path)
    _mark(path, "UPDATE meta SET value = '99' WHERE key = 'schema';")
    with pytest.raises(SchemaError, match="schema version 99"):
        Store(f"sqlite:///{path}")


@pytest.mark.parametrize("sql, why", [
    ("CREATE TABLE assets (id TEXT);", "no meta table"),
    ("CREATE TABLE meta (key TEXT, value TEXT); CREATE TABLE areas (code TEXT);",
     "are missing"),
    ("CREATE TABLE alembic_version (version_num TEXT); "
     "INSERT INTO alembic_version VALUES ('abc123');", "no AssetMap version wrote"),
])
def test_a_store_of_unknown_shape_is_refused(tmp_path, sql, why):
    path = tmp_path / "odd.sqlite"
    _mark(path, sql)
    with pytest.raises(SchemaError, match=why):
        Store(f"sqlite:///{path}")


def test_an_empty_file_is_a_new_store_but_read_only_opening_makes_nothing(tmp_path):
    missing = tmp_path / "nowhere" / "s.sqlite"
    with pytest.raises(SchemaError, match="no AssetMap store at"):
        Store(f"sqlite:///{missing}", create=False)
    assert not missing.parent.exists()


# --- PostGIS --------------------------------------------------------------------------------
pg = pytest.mark.skipif(not PG_OK, reason="no PostgreSQL+PostGIS server (ASSETMAP_TEST_PG_URL)")


def _pg_reset():
    eng = create_engine(PG_URL)
    with eng.begin() as c:
        c.execute(text("DROP SCHEMA public CASCADE"))
        c.execute(text("CREATE SCHEMA public"))
        c.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    eng.dispose()


@pg
@pytest.mark.postgis
def test_postgis_revisions_build_the_declared_tables_and_refuse_to_auto_upgrade(runner):
    _pg_reset()
    eng = create_engine(PG_URL)
    with eng.connect() as c:                              # a schema-1 store, by revision 1
        with c.begin():
            from alembic import command
            command.upgrade(migrate._alembic_config(c), "0001")
    with pytest.raises(SchemaError, match="run `assetmap db upgrade`"):
        Store(PG_URL)
    r = runner.invoke(main, ["--db", PG_URL, "db", "upgrade"])
    assert r.exit_code == 0, r.output
    upgraded = _shape(eng)
    eng.dispose()
    _pg_reset()
    fresh = Store(PG_URL)
    try:
        assert _shape(fresh.engine) == upgraded
    finally:
        fresh.dispose()
