"""Mapping files (io.indicators.mappings): YAML and CSV, wide columns and long rows, and
their errors."""
from __future__ import annotations

import pytest
from test_io_common import CODES, area_store, io_store, write_csv  # noqa: F401

from assetmap.errors import InputError
from assetmap.io.indicators import import_indicators, load_mapping


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
