"""Population by age band (io.indicators.population): ONS mid-year estimates by single year
(persons, or females + males) and by band, IoD File 6 as a stand-in that never replaces a
better population, and population declared in a mapping file."""
from __future__ import annotations

import pandas as pd
import pytest
from test_io_common import (  # noqa: F401
    CODES,
    REALDATA,
    area_store,
    io_store,
    needs_realdata,
    write_csv,
)
from test_io_indicators_census import AGES, HEAD, census_rows

from assetmap import settings
from assetmap.io.indicators import import_indicators
from assetmap.io.indicators.population import age_range, bands_from_ranges, partition

SINGLE = [str(a) for a in range(90)] + ["90+"]


def _mye(tmp_path, sexes=("Persons",), per_year=1.0):
    head = ["period", "area_code", "area_name", "geography", "sex", "all_ages",
            "aged_65_and_over"] + SINGLE
    rows = [["2022-06-30", c, "x", "LSOA", sex, 91 * per_year, 26 * per_year]
            + [per_year] * 91 for c in CODES for sex in sexes]
    return write_csv(tmp_path / "mid-year_2022_population_estimates_lsoa.csv", head, rows)


def test_age_columns_and_partitions():
    assert age_range("F45") == ("f", 45, 45) and age_range("90+") == ("", 90, None)
    assert age_range("Aged 5 to 9") == ("", 5, 9) and age_range("all_ages") is None
    part = partition(["all_ages", "aged_0_to_15", "aged_65_and_over"] + SINGLE)
    assert [c for _, _, c in part[""]] == SINGLE                # the finest columns
    onsF = [f"F{a}" for a in range(91)]
    onsM = [f"M{a}" for a in range(91)]
    part = partition(["Total"] + onsF + onsM)
    assert set(part) == {"f", "m"} and part["f"][-1] == (90, None, "F90")   # 90 = 90 and over
    assert partition(["0-4", "5-9", "20-24"]) is None                        # a hole


def test_bands_from_single_years_and_open_bands():
    b = bands_from_ranges([(a, a, 1.0) for a in range(90)] + [(90, None, 5.0)])
    assert b == {"pop_0_17": 18, "pop_18_64": 47, "pop_65_74": 10, "pop_75_84": 10,
                 "pop_85_plus": 10}
    sh = settings.IOD_60_PLUS_SHARES
    b = bands_from_ranges([(0, 64, 65.0), (65, None, 100.0)])
    older = sh["65_74"] + sh["75_84"] + sh["85_plus"]
    assert b["pop_65_74"] == pytest.approx(100 * sh["65_74"] / older)
    assert b["pop_85_plus"] == pytest.approx(100 * sh["85_plus"] / older)


def test_mid_year_persons_and_by_sex(area_store, tmp_path):
    rep = import_indicators(area_store, _mye(tmp_path))
    a = area_store.read_areas().iloc[0]
    assert (a["pop_0_17"], a["pop_18_64"], a["pop_65_74"], a["pop_75_84"], a["pop_85_plus"]) \
        == (18, 47, 10, 10, 6)
    w = area_store.values_wide()
    assert w.loc[CODES[0], "pop_65_plus"] == pytest.approx(26 / 91 * 100)
    assert w.loc[CODES[0], "lon_aged_75_79"] == pytest.approx(5 / 26, abs=1e-6)
    assert area_store.get_meta("population_source") == "ONS mid-year population estimates 2022"
    note = rep.notes[0]
    assert note.startswith("read as ONS mid-year population estimates: 4 rows")
    assert note.endswith("skipped columns: all_ages, aged_65_and_over")
    import_indicators(area_store, _mye(tmp_path, sexes=("Females", "Males")))
    assert area_store.read_areas().iloc[0]["pop_85_plus"] == 12         # both sexes summed


def _file6(tmp_path, codes=CODES):
    head = ["LSOA code (2011)", "LSOA name (2011)", "Local Authority District code (2019)",
            "Local Authority District name (2019)",
            "Total population: mid 2015 (excluding prisoners)",
            "Dependent Children aged 0-15: mid 2015 (excluding prisoners)",
            "Population aged 16-59: mid 2015 (excluding prisoners)",
            "Older population aged 60 and over: mid 2015 (excluding prisoners)",
            "Working age population 18-59/64: for use with Employment Deprivation Domain "
            "(excluding prisoners)"]
    rows = [[c, "x", "E08900001", "Testborough", "1,000", 200, 440, 360, 500] for c in codes]
    return write_csv(tmp_path / "File_6.csv", head, rows)


def test_file_6_is_a_stand_in(area_store, tmp_path):
    rep = import_indicators(area_store, _file6(tmp_path))
    a = area_store.read_areas().iloc[0]
    sh = settings.IOD_60_PLUS_SHARES
    assert a["pop_0_17"] == pytest.approx(200 + 440 * 2 / 44)
    assert a["pop_18_64"] == pytest.approx(440 * 42 / 44 + 360 * sh["60_64"])
    assert a["pop_65_74"] == pytest.approx(360 * sh["65_74"])
    assert a["pop_85_plus"] == pytest.approx(360 * sh["85_plus"])
    assert sum(a[b] for b in ("pop_0_17", "pop_18_64", "pop_65_74", "pop_75_84",
                              "pop_85_plus")) == pytest.approx(1000)
    assert area_store.values_wide().loc[CODES[0], "pop_60_plus"] == pytest.approx(36.0)
    assert area_store.get_meta("population_source").startswith("fallback: IoD 2019 File 6")
    assert any("used only where an area has no better population" in n for n in rep.notes)
    # a census age table replaces it ...
    import_indicators(area_store, write_csv(tmp_path / "age.csv", HEAD,
                                            census_rows([(x, 10) for x in AGES])))
    assert area_store.read_areas().iloc[0]["pop_85_plus"] == 10
    # ... and File 6 imported again does not undo that
    rep = import_indicators(area_store, _file6(tmp_path))
    assert area_store.read_areas().iloc[0]["pop_85_plus"] == 10
    assert any("stand-in population was not used" in n for n in rep.notes)
    assert area_store.get_meta("population_source") == "Census 2021 (ONS), age"


def test_mapping_declares_population(area_store, tmp_path):
    path = write_csv(tmp_path / "pop.csv", ["code", "kids", "adults", "a65", "a75", "a85a",
                                            "a85b", "alone"],
                     [[c, 100, 500, 60, 40, 10, 5, 12] for c in CODES])
    yml = tmp_path / "m.yaml"
    yml.write_text("code_column: code\npopulation_source: council survey 2024\n"
                   "population:\n  pop_0_17: kids\n  pop_18_64: adults\n  pop_65_74: a65\n"
                   "  pop_75_84: a75\n  pop_85_plus: [a85a, a85b]\n"
                   "indicators:\n  - id: alone\n    column: alone\n")
    rep = import_indicators(area_store, path, mapping=yml)
    a = area_store.read_areas().iloc[0]
    assert (a["pop_0_17"], a["pop_85_plus"]) == (100, 15)
    assert area_store.get_meta("population_source") == "council survey 2024"
    assert rep.notes[0].endswith("skipped columns: none")
    only = tmp_path / "only.yaml"
    only.write_text("code_column: code\npopulation:\n  pop_65_74: a65\n")
    import_indicators(area_store, path, mapping=only)
    assert area_store.read_areas().iloc[0]["pop_0_17"] == 100           # others kept
    csvmap = write_csv(tmp_path / "m.csv", ["id", "column"], [["pop_85_plus", "a85a|a85b"],
                                                            ["alone", "alone"]])
    import_indicators(area_store, path, mapping=csvmap)
    assert area_store.read_areas().iloc[0]["pop_85_plus"] == 15


@needs_realdata
def test_trafford_mid_year_estimates(tmp_path):
    from assetmap.io.boundaries import import_boundaries
    from assetmap.store import Store
    s = Store(f"sqlite:///{tmp_path / 't.sqlite'}")
    import_boundaries(s, REALDATA / "trafford-boundaries/lsoa_2021_trafford_lsoa_generalised"
                      ".geojson", la="Trafford")
    f = REALDATA / "trafford-census2021-lsoa/mid-year_2022_population_estimates_lsoa.csv"
    rep = import_indicators(s, f)
    a = s.read_areas()
    bands = ["pop_0_17", "pop_18_64", "pop_65_74", "pop_75_84", "pop_85_plus"]
    assert len(a) == 139 and a[bands].notna().all().all()
    src = pd.read_csv(f)
    p = src[src["sex"] == "Persons"]
    assert a[bands].to_numpy().sum() == pytest.approx(p["all_ages"].sum())      # 236,301
    assert (a["pop_65_74"] + a["pop_75_84"] + a["pop_85_plus"]).sum() == \
        pytest.approx(p["aged_65_and_over"].sum())                              # 41,820
    one = p[p["area_code"] == "E01006074"].iloc[0]
    row = a.set_index("code").loc["E01006074"]
    assert row["pop_85_plus"] == pytest.approx(sum(one[str(x)] for x in range(85, 90))
                                               + one["90+"])
    assert "236,301 people" in " ".join(rep.notes)
    s.dispose()
