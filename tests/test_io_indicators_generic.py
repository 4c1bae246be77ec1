"""AssetMap's own wide and long layouts (io.indicators.generic)."""
from __future__ import annotations

from test_io_common import CODES, area_store, io_store, write_csv  # noqa: F401

from assetmap.io.indicators import import_indicators


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
