"""English Indices of Deprivation 2019 files (io.indicators.iod): the wide MHCLG layout
(the long file through the 2011 lookup is in test_io_indicators_codes.py)."""
from __future__ import annotations

import pytest
from test_io_common import CODES, area_store, io_store, write_csv  # noqa: F401

from assetmap.io.indicators import import_indicators


def test_iod_wide_with_older_population(area_store, tmp_path):
    head = ["LSOA code (2021)", "LSOA name (2021)",
            "Index of Multiple Deprivation (IMD) Score",
            "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)",
            "Income Deprivation Affecting Older People (IDAOPI) Score (rate)",
            "Older population aged 60 and over: mid 2015 (excluding prisoners)"]
    rows = [[c, "x", 10.5 + i, 1000 + i, 0.25, 200] for i, c in enumerate(CODES)]
    rep = import_indicators(area_store, write_csv(tmp_path / "File_7.csv", head, rows))
    assert rep.written == {"indicators": 3, "values": 12}
    w = area_store.values_wide()
    assert w.loc[CODES[1], "imd_score"] == pytest.approx(11.5)
    assert w.loc[CODES[3], "imd_rank"] == 1003
    assert w.loc[CODES[0], "idaopi"] == pytest.approx(25.0)          # rate x 100
    v = area_store.read_values(["idaopi"]).set_index("area_code")
    assert (v.loc[CODES[0], "count"], v.loc[CODES[0], "denominator"]) == (50, 200)
