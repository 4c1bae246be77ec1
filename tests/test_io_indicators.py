"""Indicator import: recognised census/IoD files, wide/long/mapped files, the 2011->2021
lookup, and bad input."""
from __future__ import annotations

import pytest

from assetmap.errors import InputError
from assetmap.io.indicators import import_indicators, load_mapping

from test_io_common import CODES, area_store, io_store, snapshot, write_csv  # noqa: F401

HEAD = ["area_code", "area_name", "geography", "period", "indicator", "measure", "unit", "value"]
AGES = ["Aged 4 years and under", "Aged 5 to 9 years", "Aged 10 to 14 years",
        "Aged 15 to 19 years", "Aged 20 to 24 years", "Aged 60 to 64 years",
        "Aged 65 to 69 years", "Aged 70 to 74 years", "Aged 75 to 79 years",
        "Aged 80 to 84 years", "Aged 85 years and over"]


def census_rows(cats_values, code_list=CODES, extra=None):
    rows = []
    for code in code_list:
        for cat, v in cats_values:
            r = [code, "x", "LSOA", "2021-03-21", cat, "Count", "Persons", v]
            if extra is not None:
                r = r[:5] + [extra] + r[5:]
                r[4], r[5] = "Estimates...", cat
            rows.append(r)
    return rows


def test_census_age_bands_set_area_population(area_store, tmp_path):
    path = write_csv(tmp_path / "2021_population_by_5_year_age_bands.csv", HEAD,
                     census_rows([(a, 10) for a in AGES]))
    rep = import_indicators(area_store, path)
    assert rep.written["values"] == 8    # pop_65_plus and lon_aged_75_79 for 4 areas
    a = area_store.read_areas().iloc[0]
    assert a["pop_0_17"] == pytest.approx(36.0)   # 3 bands + 3/5 of 15-19
    assert a["pop_18_64"] == pytest.approx(24.0)  # 2/5 of 15-19 + 20-24 + 60-64
    assert (a["pop_65_74"], a["pop_75_84"], a["pop_85_plus"]) == (20, 20, 10)
    v = area_store.values_wide()
    assert v.loc[CODES[0], "pop_65_plus"] == pytest.approx(50 / 110 * 100)
    assert v.loc[CODES[0], "lon_aged_75_79"] == pytest.approx(10 / 50)


def test_census_tables_to_rates_and_loneliness_inputs(area_store, tmp_path):
    hh = [("One-person household: Aged 66 years and over", 30),
          ("One-person household: Other", 70),
          ("Single family household: All aged 66 years and over", 20),
          ("Other household types: With dependent children", 80)]
    import_indicators(area_store, write_csv(tmp_path / "hh.csv", HEAD, census_rows(hh)))
    head9 = HEAD[:5] + ["general_health"] + HEAD[5:]
    gh = [("Very good health", 40), ("Good health", 30), ("Fair health", 20),
          ("Bad health", 6), ("Very bad health", 4)]
    import_indicators(area_store, write_csv(tmp_path / "gh.csv", head9,
                                            census_rows(gh, extra="x")))
    head9 = HEAD[:5] + ["disability_category"] + HEAD[5:]
    dis = [("Disabled under the Equality Act: Day-to-day activities limited a lot", 5),
           ("Disabled under the Equality Act: Day-to-day activities limited a little", 15),
           ("Not disabled under the Equality Act: No long term physical or mental health "
            "conditions", 80)]
    import_indicators(area_store, write_csv(tmp_path / "dis.csv", head9,
                                            census_rows(dis, extra="x")))
    head9 = HEAD[:5] + ["unpaid_care"] + HEAD[5:]
    uc = [("Provides no unpaid care", 90), ("Provides 9 hours or less unpaid care a week", 10)]
    import_indicators(area_store, write_csv(tmp_path / "uc.csv", head9,
                                            census_rows(uc, extra="x")))
    import_indicators(area_store, write_csv(tmp_path / "age.csv", HEAD,
                                            census_rows([(a, 10) for a in AGES])))
    w = area_store.values_wide()
    row = w.loc[CODES[1]]
    assert row["living_alone_65"] == pytest.approx(15.0)
    assert row["bad_health"] == pytest.approx(10.0)
    assert row["llti"] == pytest.approx(20.0)
    assert row["unpaid_carers"] == pytest.approx(10.0)
    assert (row["lon_health_good"], row["lon_health_fair"], row["lon_health_poor"]) == \
        pytest.approx((0.3, 0.2, 0.1))
    # 65+ = 50; 30 alone (size 1), 2x20 in older couples (size 2), rest 0
    assert row["lon_household_size"] == pytest.approx((30 + 80) / 70, abs=1e-4)
    vals = area_store.read_values(["living_alone_65"])
    assert vals["count"].iloc[0] == 30 and vals["denominator"].iloc[0] == 200


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


def test_own_wide_and_long_with_counts(area_store, tmp_path):
    path = write_csv(tmp_path / "w.csv", ["area_code", "llti", "llti_count", "llti_denominator"],
                     [[c, 10 + i, i, 100] for i, c in enumerate(CODES)])
    assert import_indicators(area_store, path).written["values"] == 4
    path = write_csv(tmp_path / "l.csv", ["area_code", "indicator_id", "value", "title", "unit"],
                     [[c, "my_ind", i, "My indicator", "%"] for i, c in enumerate(CODES)])
    assert import_indicators(area_store, path).written["values"] == 4
    ind = area_store.read_indicators().set_index("id")
    assert ind.loc["my_ind", "title"] == "My indicator"
    assert area_store.read_values(["llti"])["count"].tolist() == [0, 1, 2, 3]


def test_mapping_yaml_wide_and_csv_long(area_store, tmp_path):
    data = write_csv(tmp_path / "data.csv", ["Code", "alone", "hh", "year"],
                     [[c, 5 * (i + 1), 100, "2021"] for i, c in enumerate(CODES)] +
                     [[c, 1, 1, "2011"] for c in CODES])
    m = tmp_path / "m.yaml"
    m.write_text("code_column: Code\nfilter: {year: '2021'}\nindicators:\n"
                 "  - id: living_alone_65\n    count_column: alone\n"
                 "    denominator_column: hh\n")
    import_indicators(area_store, data, mapping=m)
    w = area_store.values_wide()
    assert w.loc[CODES[2], "living_alone_65"] == pytest.approx(15.0)
    long = write_csv(tmp_path / "long.csv", ["area_code", "category", "value"],
                     [[c, cat, v] for c in CODES for cat, v in (("lot", 5), ("little", 10),
                                                                ("none", 85))])
    mc = write_csv(tmp_path / "m.csv", ["id", "where_column", "where_values",
                                         "denominator_values", "title"],
                   [["llti", "category", "lot|little", "all", "LLTI"]])
    import_indicators(area_store, long, mapping=mc)
    assert area_store.values_wide().loc[CODES[0], "llti"] == pytest.approx(15.0)


def test_mapping_errors(area_store, tmp_path):
    data = write_csv(tmp_path / "d.csv", ["area_code", "x"], [[c, 1] for c in CODES])
    m = tmp_path / "bad.yaml"
    m.write_text("indicators:\n  - id: a\n    column: missing\n")
    with pytest.raises(InputError) as e:
        import_indicators(area_store, data, mapping=m)
    assert e.value.field == "missing"
    m.write_text("indicators: [")
    with pytest.raises(InputError, match="YAML"):
        load_mapping(m)


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
