"""``assetmap db``: the store's schema version, and its upgrade (Alembic migrations in
``assetmap/store/migrations``).

An embedded SQLite store is upgraded on opening by any command (after a copy beside it);
a PostgreSQL store is upgraded only by ``assetmap db upgrade``, run on purpose by whoever
looks after the server (back the database up first: ``assetmap backup``, or pg_dump).
Exit status: 0 done; 2 a store this version cannot use (newer, or not an AssetMap store),
a bad URL or a missing store; 1 anything else.
"""
from __future__ import annotations

import json

import click

from . import settings


def _raw_store(ctx):
    """The store without the open-time check (the commands below do it themselves)."""
    from .store import Store
    return Store(ctx.obj.get("db") or settings.default_db_url(), create=False, check=False)


@click.group()
def db():
    """The store's schema: its version and upgrades."""


@db.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def status(ctx, as_json):
    """The store's schema version against this AssetMap's (current, behind, newer...)."""
    from .store import SCHEMA_VERSION
    store = _raw_store(ctx)
    st = store.schema_state()
    data = {"db": store.display_url, "state": st.kind,
            "schema_version": None if st.revision is None else int(st.revision),
            "code_schema_version": SCHEMA_VERSION, "detail": st.why or None}
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    have = "no schema" if st.revision is None else f"schema version {int(st.revision)}"
    click.echo(f"Store: {data['db']}: {have} ({st.kind}; this AssetMap: {SCHEMA_VERSION})"
               + (f": {st.why}" if st.why else ""))


@db.command("upgrade")
@click.pass_context
def upgrade(ctx):
    """Apply every pending migration in one transaction (an embedded SQLite store is copied
    beside itself first). A store newer than this AssetMap, or of unknown shape, is refused
    (exit status 2) and left as it is."""
    from .store import SCHEMA_VERSION
    store = _raw_store(ctx)
    before = store.schema_state()
    if before.kind == "current":
        click.echo(f"The store is already at schema version {SCHEMA_VERSION}.")
        return
    copy = store.copy_before_upgrade(before) if before.kind == "behind" else None
    store.upgrade_schema()
    was = "an empty database" if before.revision is None else \
        f"schema version {int(before.revision)}"
    click.echo(f"Upgraded the store from {was} to {SCHEMA_VERSION}."
               + (f" The copy taken before is {copy}." if copy else ""))
