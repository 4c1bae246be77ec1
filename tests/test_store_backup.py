"""Backups (issue 13, item 11; assetmap/store/backup.py and ``assetmap backup`` / ``restore``):
a round trip while the store is being written to, on SQLite (the online backup API) and
PostGIS (pg_dump / pg_restore); the backup holds one consistent state and opens cleanly;
restore brings it back, refuses to replace data without --force and refuses files that are
not AssetMap backups; the CLI's exit statuses (0, 2 bad path or not a backup, 1 otherwise)."""
from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from conftest import FormClient

from assetmap.errors import AssetMapError, InputError
from assetmap.store import Store

from contribhelp import inside_point, provider_form, store_of
from storehelp import any_store, contribution, seeded  # noqa: F401 (fixtures)


class Writer(threading.Thread):
    """Makes submissions one after another until stopped (as the app does under load)."""

    def __init__(self, write):
        super().__init__(daemon=True)
        self.write, self.done, self.errors = write, 0, []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                self.write(self.done)
                self.done += 1
            except Exception as e:                      # reported by the test
                self.errors.append(e)
                return

    def wait_for(self, n: int, timeout: float = 120.0):
        t0 = time.monotonic()
        while self.done < n and not self.errors and time.monotonic() - t0 < timeout:
            time.sleep(0.01)
        assert self.done >= n, self.errors

    def finish(self):
        self.stop.set()
        self.join(60)
        assert not self.errors, self.errors


def baseline(store: Store) -> dict:
    return dict(store.counts(), submissions=len(store.list_submissions(statuses=None)))


def state(store: Store, base: dict) -> int:
    """How many submissions the store holds beyond ``base``, after checking every one is
    whole: each wrote an asset, a service record, a first version and a submission row in
    one transaction."""
    counts = store.counts()
    n = len(store.list_submissions(statuses=None)) - base["submissions"]
    assert (counts["assets"] - base["assets"], counts["providers"] - base["providers"],
            counts["asset_versions"] - base["asset_versions"]) == (n, n, n)
    return n


def test_round_trip_while_writing(seeded, tmp_path):
    store, (lon, lat) = seeded
    base, v0 = baseline(store), store.data_version()
    writer = Writer(lambda i: store.create_submission(
        contribution(lon, lat, name=f"Group {i}"), token_hash=None, submitted_by=None))
    writer.start()
    try:
        writer.wait_for(5)
        before = writer.done
        done = store.backup(tmp_path / "copy.bak")
        after = writer.done
        writer.wait_for(after + 5)                       # and it carries on writing
    finally:
        writer.finish()
    assert done["format"] == ("sqlite" if store.dialect == "sqlite" else "pg_dump")
    assert before <= done["data_version"] - v0 <= after + 1
    assert not list(tmp_path.glob(".*partial"))         # no temporary file left behind
    if store.dialect == "sqlite":                       # opens as a store on its own
        copy = Store(f"sqlite:///{tmp_path / 'copy.bak'}")
        with copy.engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        held = state(copy, base)
        assert copy.data_version() == v0 + held
        copy.dispose()
    total = state(store, base)
    assert total >= after + 5
    with pytest.raises(AssetMapError, match="use --force"):
        store.restore(tmp_path / "copy.bak")
    assert state(store, base) == total                   # refused: nothing changed
    version_before = store.data_version()
    out = store.restore(tmp_path / "copy.bak", force=True)
    restored = state(store, base)
    assert before <= restored <= after + 1 and restored < total
    assert restored == done["data_version"] - v0
    if store.dialect == "sqlite":
        assert restored == held
    assert store.data_version() == out["data_version"] > version_before
    # the restored store works as before: it takes new submissions
    store.create_submission(contribution(lon, lat, name="After"), token_hash=None,
                            submitted_by=None)
    assert state(store, base) == restored + 1


def test_restore_refuses_what_is_not_a_backup(any_store, tmp_path):
    s = any_store
    s.add_user("alice", "planner", "h")
    junk = tmp_path / "junk.bak"
    junk.write_bytes(b"not a backup at all" * 10)
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    truncated = tmp_path / "truncated.bak"
    fake_dump = tmp_path / "fake.dump"
    fake_dump.write_bytes(b"PGDMP" + b"\x00" * 100)
    bad = [junk, tmp_path / "missing.bak", tmp_path]
    if s.dialect == "sqlite":
        real = tmp_path / "real.bak"
        s.backup(real)
        truncated.write_bytes(real.read_bytes()[:5000])
        bad += [other, truncated, fake_dump]
    else:
        bad += [other, fake_dump]
    for path in bad:
        with pytest.raises(InputError):
            s.restore(path, force=True)
    assert s.get_user(name="alice") is not None          # nothing changed
    with pytest.raises(InputError, match="folder"):
        s.backup(tmp_path / "no-such-folder" / "x.bak")
    if s.dialect == "sqlite":
        with pytest.raises(InputError, match="own file"):
            s.backup(s.engine.url.database, force=True)


def test_backup_of_an_older_schema_restores_into_the_current_one(any_store, tmp_path):
    if any_store.dialect != "sqlite":
        pytest.skip("the older schema is made by editing a SQLite copy")
    s = any_store
    uid = s.add_user("alice", "planner", "h")
    s.backup(tmp_path / "old.bak")
    con = sqlite3.connect(tmp_path / "old.bak")
    # a schema-1 store from before issue 13 (and before migrations: no alembic_version)
    con.executescript("DROP TABLE rate_events; DROP TABLE login_failures; "
                      "ALTER TABLE users DROP COLUMN session_version; "
                      "DROP TABLE alembic_version; UPDATE meta SET value = '1' "
                      "WHERE key = 'schema'; " + "".join(
                          f"ALTER TABLE providers DROP COLUMN {c}; " for c in (
                              "reach", "area_served", "area_served_geojson",
                              "capacity_places", "vacancies_confirmed",
                              "quality_mark_by", "cqc_rating", "community_tags"))
                      + "ALTER TABLE areas DROP COLUMN approximate_geometry; "
                      "ALTER TABLE assets DROP COLUMN footprint; "
                      "ALTER TABLE assets DROP COLUMN oruk_extra; ")
    con.close()
    s.restore(tmp_path / "old.bak", force=True)
    s.end_sessions(uid)
    assert s.get_user(user_id=uid)["session_version"] == 1
    assert s.rate_hit("x", "k", now=1.0, window=5.0, limit=1) == 0


# --- the CLI --------------------------------------------------------------------------------------
def test_cli_backup_while_the_server_takes_submissions(contrib_app, runner, tmp_path):
    from assetmap.cli import main
    contrib_app.config["SUBMISSION_LIMIT"] = 100_000
    store = store_of(contrib_app)
    lon, lat = inside_point(store)
    fc = FormClient(contrib_app)
    fc.get("/contribute")

    def submit(i):
        r = fc.post("/contribute", provider_form(lon, lat, name=f"Lunch club {i}"))
        assert r.status_code == 303, r.get_data(as_text=True)[:500]
    base = baseline(store)
    db = ["--db", contrib_app.config["DATABASE"]]
    writer = Writer(submit)
    writer.start()
    try:
        writer.wait_for(3)
        r = runner.invoke(main, db + ["backup", str(tmp_path / "site.bak")])
        writer.wait_for(writer.done + 3)
    finally:
        writer.finish()
    assert r.exit_code == 0, r.output
    assert "Backed up the store" in r.output
    copy = Store(f"sqlite:///{tmp_path / 'site.bak'}")
    held = state(copy, base)
    copy.dispose()
    assert 3 <= held < writer.done
    # exit statuses
    assert runner.invoke(main, db + ["backup", str(tmp_path / "site.bak")]).exit_code == 1
    assert runner.invoke(main, db + ["backup", str(tmp_path / "site.bak"),
                                     "--force"]).exit_code == 0
    assert runner.invoke(main, db + ["backup", str(tmp_path / "nope" / "x.bak")]).exit_code == 2
    assert runner.invoke(main, db + ["backup", str(tmp_path)]).exit_code == 2
    (tmp_path / "junk").write_text("hello")
    r = runner.invoke(main, db + ["restore", str(tmp_path / "junk"), "--force"])
    assert r.exit_code == 2 and "not an AssetMap backup" in r.output
    assert runner.invoke(main, db + ["restore", str(tmp_path / "nope.bak")]).exit_code == 2
    r = runner.invoke(main, db + ["restore", str(tmp_path / "site.bak")])
    assert r.exit_code == 1 and "--force" in r.output
    r = runner.invoke(main, db + ["restore", str(tmp_path / "site.bak"), "--force"])
    assert r.exit_code == 0 and "Restored" in r.output
    assert state(store, base) >= held
    # into a new, empty store no --force is needed
    empty = ["--db", f"sqlite:///{tmp_path / 'new.sqlite'}"]
    r = runner.invoke(main, empty + ["restore", str(tmp_path / "site.bak")])
    assert r.exit_code == 0, r.output
