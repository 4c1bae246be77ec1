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
