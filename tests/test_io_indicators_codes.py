"""The ONS LSOA 2011->2021 lookup (io.indicators.codes): 2011-keyed files joined to the
stored 2021 areas, merged areas averaged, split areas (and their MSOA siblings) inheriting."""
from __future__ import annotations

import pytest
from test_io_common import area_store, io_store, write_csv  # noqa: F401

from assetmap.io.indicators import import_indicators


def _lookup(tmp_path):
    # E01900001 unchanged; E01800002 split -> E01900002 (+ E01900003 not
    # listed, a sibling of the same MSOA stem); E01800003 + E01800004 merged -> E01900004
    return write_csv(tmp_path / "lookup.csv",
                     ["ObjectId", "LSOA11CD", "LSOA11NM", "LSOA21CD", "LSOA21NM", "LAD22CD"],
                     [[1, "E01900001", "a", "E01900001", "Testborough 001A", "E08900001"],
                      [2, "E01800002", "b", "E01900002", "Testborough 001B", "E08900001"],
                      [3, "E01800003", "c", "E01900004", "Testborough 002B", "E08900001"],
                      [4, "E01800004", "d", "E01900004", "Testborough 002B", "E08900001"]])


def test_iod_long_through_2011_lookup(area_store, tmp_path):
    rep = import_indicators(area_store, _lookup(tmp_path))
    assert rep.written["lookup rows"] == 4
    rows = []
    for code, score, idaopi in (("E01900001", 10.0, 0.1), ("E01800002", 20.0, 0.2),
                                ("E01800003", 30.0, 0.3), ("E01800004", 50.0, 0.5)):
        rows += [[code, "Index of Multiple Deprivation", 5, 1000, score, 2019],
                 [code, "Income Deprivation Affecting Older People", 5, 1000, idaopi, 2019],
                 [code, "Index of Multiple Deprivation", 9, 9, 99.0, 2015]]
    path = write_csv(tmp_path / "imd.csv", ["lsoa11cd", "index_domain", "decile", "rank",
                                            "score", "year"], rows)
    rep = import_indicators(area_store, path)
    w = area_store.values_wide()
    assert w.loc["E01900001", "imd_score"] == 10.0
    assert w.loc["E01900002", "imd_score"] == 20.0
    # E01900003 is not in the lookup: it inherits from the split of its neighbour's parent
    # only when it shares the name stem; here it is 'Testborough 002A', a different stem
    assert w.loc["E01900004", "imd_score"] == pytest.approx(40.0)   # merged: mean
    assert w.loc["E01900001", "idaopi"] == pytest.approx(10.0)       # rate x 100
    assert any("lookup" in n for n in rep.notes)


def test_split_sibling_inherits(area_store, tmp_path):
    # make E01900003 a sibling of E01900002 (same stem) and not in the lookup
    areas = area_store.read_areas()
    areas.loc[areas["code"] == "E01900003", "name"] = "Testborough 001C"
    area_store.write_areas(areas)
    import_indicators(area_store, _lookup(tmp_path))
    path = write_csv(tmp_path / "wide.csv", ["LSOA11CD", "imd_score"],
                     [["E01900001", 1], ["E01800002", 2], ["E01800003", 3], ["E01800004", 5]])
    import_indicators(area_store, path)
    w = area_store.values_wide()
    assert w.loc["E01900003", "imd_score"] == 2.0
