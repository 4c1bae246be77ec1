"""The ONS LSOA 2011->2021 lookup (io.indicators.codes): 2011-keyed files joined to the
stored 2021 areas, merged areas averaged, split areas (and their MSOA siblings) inheriting."""
from __future__ import annotations

import pytest
from test_io_common import area_store, io_store, write_csv  # noqa: F401
from test_io_indicators_census import AGES

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


# --- either vintage in either store (issue 17) ---------------------------------------------------
def _store_2011(io_store, tmp_path):
    """A store of the lookup's 2011 LSOAs: E01900001 (unchanged), E01800002 (split in 2021
    into E01900002 and E01900003), E01800003 + E01800004 (merged into E01900004)."""
    import geopandas as gpd
    from test_io_common import squares

    from assetmap.io.boundaries import import_boundaries
    codes = ["E01900001", "E01800002", "E01800003", "E01800004"]
    g = gpd.GeoDataFrame({"LSOA11CD": codes, "LSOA11NM": ["Testborough 001A", "Testborough "
                                                          "001B", "Testborough 002A",
                                                          "Testborough 002B"]},
                         geometry=squares(), crs="EPSG:27700")
    g.to_file(tmp_path / "b11.geojson", driver="GeoJSON")
    import_boundaries(io_store, tmp_path / "b11.geojson")
    lk = write_csv(tmp_path / "lookup.csv",
                   ["LSOA11CD", "LSOA11NM", "LSOA21CD", "LSOA21NM", "LAD22CD", "LAD22NM"],
                   [["E01900001", "a", "E01900001", "Testborough 001A", "E08900001", "T"],
                    ["E01800002", "b", "E01900002", "Testborough 001C", "E08900001", "T"],
                    ["E01800003", "c", "E01900004", "Testborough 002C", "E08900001", "T"],
                    ["E01800004", "d", "E01900004", "Testborough 002C", "E08900001", "T"]])
    import_indicators(io_store, lk)
    return io_store


def test_2011_store_keeps_2011_files_as_they_are(io_store, tmp_path):
    s = _store_2011(io_store, tmp_path)
    rows = [[c, "Index of Multiple Deprivation", 5, 1000 + k, 10.0 * (k + 1), 2019]
            for k, c in enumerate(["E01900001", "E01800002", "E01800003", "E01800004"])]
    rep = import_indicators(s, write_csv(tmp_path / "imd.csv", ["lsoa11cd", "index_domain",
                                                                "decile", "rank", "score",
                                                                "year"], rows))
    w = s.values_wide()
    assert w["imd_score"].to_dict() == {"E01800002": 20.0, "E01800003": 30.0,
                                        "E01800004": 40.0, "E01900001": 10.0}
    assert not any("lookup" in n for n in rep.notes)


def test_2021_file_onto_2011_areas(io_store, tmp_path):
    s = _store_2011(io_store, tmp_path)
    head = ["area_code", "area_name", "geography", "period", "indicator", "measure", "unit",
            "value"]
    rows = []
    # E01900003 is not in the lookup (the other half of E01800002's split): its name's stem
    # ("Testborough 001") places it; E01900004 is two 2011 areas merged
    for code, name, n in (("E01900001", "Testborough 001A", 10), ("E01900002",
                                                                  "Testborough 001C", 20),
                          ("E01900003", "Testborough 001D", 30),
                          ("E01900004", "Testborough 002C", 40)):
        rows += [[code, name, "LSOA", "2021", a, "Count", "Persons", n] for a in AGES]
    rep = import_indicators(s, write_csv(tmp_path / "age.csv", head, rows))
    a = s.read_areas().set_index("code")
    assert a.loc["E01900001", "pop_85_plus"] == 10
    assert a.loc["E01800002", "pop_85_plus"] == 50       # 20 + 30: the split's halves summed
    assert a.loc["E01800003", "pop_85_plus"] == 20       # the merged area's people shared
    assert a.loc["E01800004", "pop_85_plus"] == 20
    w = s.values_wide()
    assert w.loc["E01800003", "pop_65_plus"] == w.loc["E01800004", "pop_65_plus"]
    assert any("2021 area codes joined to the stored 2011 areas" in n for n in rep.notes)


def test_unknown_codes_named_as_in_the_file(io_store, tmp_path):
    s = _store_2011(io_store, tmp_path)
    path = write_csv(tmp_path / "w.csv", ["LSOA21CD", "imd_score"],
                     [["E01900001", 1], ["E01900002", 2], ["E01900004", 3], ["E01999999", 4]])
    import pytest

    from assetmap.errors import InputError
    with pytest.raises(InputError) as e:
        import_indicators(s, path)
    assert "'E01999999'" in str(e.value) and e.value.row == 4
