"""Indicator import (io.indicators.importer): unknown and out-of-area codes, bad values and
files, one transaction, idempotent re-import."""
from __future__ import annotations

import pytest
from test_io_common import CODES, area_store, io_store, snapshot, write_csv  # noqa: F401
from test_io_indicators_census import AGES, HEAD, census_rows

from assetmap.errors import InputError
from assetmap.io.indicators import import_indicators


def test_unknown_area_code_and_skip(area_store, tmp_path):
    before = snapshot(area_store)
    path = write_csv(tmp_path / "u.csv", ["area_code", "llti"],
                     [[c, 1] for c in CODES] + [["E01999999", 2]])
    with pytest.raises(InputError) as e:
        import_indicators(area_store, path)
    assert (e.value.row, e.value.field) == (5, "area_code") and "E01999999" in e.value.message
    assert snapshot(area_store) == before
    rep = import_indicators(area_store, path, skip_bad=True)
    assert rep.written["values"] == 4 and rep.skipped[0].row == 5


def test_national_file_keeps_local_rows(area_store, tmp_path):
    rows = [[c, 1] for c in CODES] + [[f"E0170{i:04d}", 2] for i in range(50)]
    rep = import_indicators(area_store, write_csv(tmp_path / "n.csv", ["area_code", "llti"], rows))
    assert rep.written["values"] == 4 and any("ignored" in n for n in rep.notes)


def test_malformed_values_and_files(area_store, tmp_path):
    before = snapshot(area_store)
    path = write_csv(tmp_path / "m.csv", ["area_code", "llti"],
                     [[CODES[0], 1], [CODES[1], "lots"], ["nonsense", 3]])
    with pytest.raises(InputError) as e:
        import_indicators(area_store, path)
    assert {(x.row, x.field) for x in e.value.errors} == {(2, "llti"), (3, "area_code")}
    (tmp_path / "e.csv").write_text("")
    with pytest.raises(InputError, match="empty"):
        import_indicators(area_store, tmp_path / "e.csv")
    (tmp_path / "t.csv").write_text(f"area_code,llti,llti_count\n{CODES[0]},1,2\n{CODES[1]},4")
    with pytest.raises(InputError, match="truncated"):
        import_indicators(area_store, tmp_path / "t.csv")
    (tmp_path / "what.csv").write_text("foo,bar\n1,2\n")
    with pytest.raises(InputError, match="--mapping"):
        import_indicators(area_store, tmp_path / "what.csv")
    (tmp_path / "b.geojson").write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(InputError):
        import_indicators(area_store, tmp_path / "b.geojson")
    assert snapshot(area_store) == before


def test_without_areas_says_import_boundaries(io_store, tmp_path):
    path = write_csv(tmp_path / "u.csv", ["area_code", "llti"], [[c, 1] for c in CODES])
    with pytest.raises(InputError, match="boundaries"):
        import_indicators(io_store, path)


def test_reimport_is_idempotent(area_store, tmp_path):
    path = write_csv(tmp_path / "age.csv", HEAD, census_rows([(a, 10) for a in AGES]))
    import_indicators(area_store, path)
    c1 = area_store.counts()
    import_indicators(area_store, path)
    assert area_store.counts() == c1
