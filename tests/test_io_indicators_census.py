"""Census 2021 long tables (io.indicators.census): recognised by their categories, counts
become rates and age bands become the areas' population."""
from __future__ import annotations

import pytest
from test_io_common import CODES, area_store, io_store, write_csv  # noqa: F401

from assetmap.io.indicators import import_indicators

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
