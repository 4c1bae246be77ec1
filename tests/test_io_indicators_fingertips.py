"""Fingertips exports (io.indicators.fingertips): the latest period for persons, no category
breakdowns, confidence intervals kept."""
from __future__ import annotations

import pytest
from test_io_common import CODES, area_store, io_store, write_csv  # noqa: F401

from assetmap.io.indicators import import_indicators

HEAD = ["Indicator ID", "Indicator Name", "Area Code", "Area Name", "Sex", "Age",
        "Category Type", "Category", "Time period", "Value", "Lower CI 95.0 limit",
        "Upper CI 95.0 limit", "Count", "Denominator", "Time period Sortable"]


def test_fingertips_latest_persons(area_store, tmp_path):
    rows = []
    for i, code in enumerate(CODES):
        rows += [[93014, "Loneliness", code, "x", "Persons", "18+", "", "", "2019/20",
                  20 + i, 18 + i, 22 + i, 10 * (i + 1), 100, 20190000],
                 [93014, "Loneliness", code, "x", "Persons", "18+", "", "", "2018/19",
                  99, 98, 100, 99, 100, 20180000],
                 [93014, "Loneliness", code, "x", "Male", "18+", "", "", "2019/20",
                  77, 76, 78, 77, 100, 20190000],
                 [93014, "Loneliness", code, "x", "Persons", "18+", "Deprivation", "Most",
                  "2019/20", 55, 54, 56, 55, 100, 20190000]]
    rep = import_indicators(area_store, write_csv(tmp_path / "ft.csv", HEAD, rows))
    assert rep.written == {"indicators": 1, "values": 4}
    v = area_store.read_values(["ph_93014"]).set_index("area_code")
    assert v.loc[CODES[2], ["value", "lower_ci", "upper_ci", "count", "denominator"]] \
        .tolist() == pytest.approx([22, 20, 24, 30, 100])
    ind = area_store.read_indicators().set_index("id").loc["ph_93014"]
    assert (ind["title"], ind["ci_method"], ind["period"]) == ("Loneliness", "given", "2019/20")


def test_polarity_from_england_comparisons_and_england_benchmark(area_store, tmp_path):
    """The export's "Compared to England" flags give the polarity (above England and
    "Worse": high is bad); England's row becomes the benchmark, not an area."""
    import json
    head = HEAD + ["Compared to England value or percentiles"]
    rows = [[90, "Falls", "E92000001", "England", "Persons", "65+", "", "", "2022/23", 20,
             19, 21, 1000, 5000, 20220000, "Not compared"],
            [91, "Activity", "E92000001", "England", "Persons", "19+", "", "", "2022/23", 60,
             59, 61, 600, 1000, 20220000, "Not compared"]]
    for i, code in enumerate(CODES):
        above = i % 2 == 0
        rows.append([90, "Falls", code, "x", "Persons", "65+", "", "", "2022/23",
                     25 if above else 15, 0, 0, 5, 25, 20220000, "Worse" if above else "Better"])
        rows.append([91, "Activity", code, "x", "Persons", "19+", "", "", "2022/23",
                     70 if above else 50, 0, 0, 7, 10, 20220000, "Better" if above else "Worse"])
    rep = import_indicators(area_store, write_csv(tmp_path / "ft.csv", head, rows))
    ind = area_store.read_indicators().set_index("id")
    assert ind.at["ph_90", "polarity"] == "high_bad" and ind.at["ph_91", "polarity"] == "high_good"
    assert json.loads(area_store.get_meta("england_benchmarks")) == {"ph_90": 20.0,
                                                                     "ph_91": 60.0}
    assert "E92000001" not in set(area_store.read_values()["area_code"])
    assert any("benchmarks for 2" in n for n in rep.notes)
