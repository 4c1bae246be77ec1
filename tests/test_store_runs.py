"""Analysis runs, their results and blobs (assetmap/store/runs.py), on SQLite and
PostgreSQL + PostGIS."""
from __future__ import annotations

import pytest

from assetmap.errors import NotFound

from storehelp import any_store  # noqa: F401 (fixture)


def test_blobs_and_runs(any_store):
    digest = any_store.put_blob("osm", b"<osm/>")
    assert any_store.get_blob("osm") == (b"<osm/>", digest)
    run_id = any_store.save_run({"a": 1}, any_store.data_version(), {"areas": b"xyz"},
                                {"n": 2})
    assert any_store.latest_run()["id"] == run_id
    assert any_store.run_result(run_id, "areas") == b"xyz"
    assert any_store.get_run(run_id)["params"] == {"a": 1}


def test_blob_replacement_and_run_results(any_store):
    assert any_store.blob_hash("osm") is None and any_store.get_blob("osm") is None
    digest = any_store.put_blob("osm", b"\x00\x01binary\xff")
    assert any_store.blob_hash("osm") == digest
    digest2 = any_store.put_blob("osm", b"<osm/>")               # replaced, not duplicated
    assert any_store.get_blob("osm") == (b"<osm/>", digest2)

    rid = any_store.save_run({"k": 1}, any_store.data_version(),
                             {"need": b"\x00parquet", "gaps": b"{}"})
    assert any_store.run_result_names(rid) == ["gaps", "need"]
    assert any_store.run_result(rid, "need") == b"\x00parquet"
    assert any_store.run_result(rid, "missing") is None
    assert any_store.get_run(rid)["summary"] == {}
    with pytest.raises(NotFound):
        any_store.get_run(rid + 100)
