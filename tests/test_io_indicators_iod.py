"""English Indices of Deprivation 2019 files (io.indicators.iod): the wide MHCLG layout
(the long file through the 2011 lookup is in test_io_indicators_codes.py)."""
from __future__ import annotations

import pandas as pd
import pytest
from test_io_common import CODES, REALDATA, area_store, io_store, write_csv  # noqa: F401

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


# --- every domain (issue 17) -------------------------------------------------------------------
DOMAINS_WIDE = ["Index of Multiple Deprivation (IMD)", "Income", "Employment",
                "Education, Skills and Training", "Health Deprivation and Disability", "Crime",
                "Barriers to Housing and Services", "Living Environment",
                "Income Deprivation Affecting Children Index (IDACI)",
                "Income Deprivation Affecting Older People (IDAOPI)"]


def test_every_domain_score_rank_and_decile(area_store, tmp_path):
    """File 7's layout: each index's score, rank and decile, the sub-domains named as
    skipped, and the rate scores as percentages with their denominators."""
    head = ["LSOA code (2011)", "LSOA name (2011)", "Local Authority District code (2019)"]
    for d in DOMAINS_WIDE:
        rate = " (rate)" if d.startswith(("Income", "Employment")) else ""
        head += [f"{d} Score{rate}", f"{d} Rank (where 1 is most deprived)",
                 f"{d} Decile (where 1 is most deprived 10% of LSOAs)"]
    head += ["Adult Skills Sub-domain Score",
             "Total population: mid 2015 (excluding prisoners)",
             "Dependent Children aged 0-15: mid 2015 (excluding prisoners)",
             "Population aged 16-59: mid 2015 (excluding prisoners)",
             "Older population aged 60 and over: mid 2015 (excluding prisoners)",
             "Working age population 18-59/64: for use with Employment Deprivation Domain "
             "(excluding prisoners)"]
    rows = []
    for i, c in enumerate(CODES):
        r = [c, "x", "E08900001"]
        for k in range(len(DOMAINS_WIDE)):
            r += [0.1 * (k + 1), 100 * (k + 1) + i, 1 + (i + k) % 10]
        r += [0.5, "1,000", 200, 600, 200, 550]
        rows.append(r)
    rep = import_indicators(area_store, write_csv(tmp_path / "File_7.csv", head, rows))
    w = area_store.values_wide()
    meta = area_store.read_indicators().set_index("id")
    from assetmap import model
    for stem, *_ in model.IOD_DOMAINS:
        for ind in (model.iod_score_id(stem), f"{stem}_rank", f"{stem}_decile"):
            assert w[ind].notna().all(), ind
            m = model.INDICATORS[ind]
            assert (meta.at[ind, "unit"], meta.at[ind, "polarity"]) == (m.unit, m.polarity)
    assert w["imd_score"].iloc[0] == pytest.approx(0.1)
    assert w.loc[CODES[0], "iod_income_score"] == pytest.approx(20.0)      # 0.2 x 100
    assert w.loc[CODES[2], "iod_crime_rank"] == 602
    assert meta.at["iod_crime_rank", "polarity"] == "high_good"
    assert meta.at["iod_health_score", "polarity"] == "high_bad"
    v = area_store.read_values(["idaci", "iod_employment_score"]).set_index(
        ["indicator_id", "area_code"])
    assert v.loc[("idaci", CODES[0]), "denominator"] == 200                   # children 0-15
    assert v.loc[("idaci", CODES[0]), "count"] == pytest.approx(0.9 * 200)
    assert v.loc[("iod_employment_score", CODES[0]), "denominator"] == 550
    note = next(n for n in rep.notes if n.startswith("read as IoD 2019"))
    assert "kept 31 indicator(s)" in note                # 30 IoD + pop_60_plus
    assert note.endswith("skipped columns: Adult Skills Sub-domain Score")
    # File 7's denominators give a stand-in population where there was none
    a = area_store.read_areas().iloc[0]
    assert a["pop_85_plus"] == pytest.approx(200 * 0.10)


def test_long_file_every_domain(area_store, tmp_path):
    from assetmap.io.indicators.iod import LONG_DOMAINS
    rows = [[c, d, 3, 1000 + i, 0.2, 2019] for i, c in enumerate(CODES) for d in LONG_DOMAINS]
    rows.append([CODES[0], "Made-up domain", 1, 1, 1, 2019])
    path = write_csv(tmp_path / "imd.csv", ["lsoa21cd", "index_domain", "decile", "rank",
                                            "score", "year"], rows)
    rep = import_indicators(area_store, path)
    assert rep.written["indicators"] == 30 and rep.written["values"] == 120
    w = area_store.values_wide()
    assert w.loc[CODES[1], "idaopi"] == pytest.approx(20.0)
    assert w.loc[CODES[1], "iod_education_score"] == pytest.approx(0.2)
    assert any("Made-up domain" in n for n in rep.notes)


@pytest.mark.skipif(not (REALDATA / "rutland-needs").exists(), reason="shared/realdata absent")
def test_real_file_2_ranks_and_deciles(io_store, tmp_path):
    from assetmap.io.indicators.readers import read_indicator_file
    b = read_indicator_file(REALDATA / "rutland-needs/"
                            "rutland_lsoa11_IoD2019_domains_File_2_subset.csv")
    ids = {v["indicator_id"] for v in b.values}
    assert len(ids) == 16 and {"imd_rank", "imd_decile", "iod_housing_rank"} <= ids
    assert len(b.values) == 16 * 23
    src = pd.read_csv(REALDATA / "rutland-needs/rutland_lsoa11_IoD2019_domains_File_2_subset.csv")
    got = {(v["indicator_id"], v["area_code"]): v["value"] for v in b.values}
    row = src.iloc[0]
    assert got[("iod_crime_rank", row.iloc[0])] == row["Crime Rank (where 1 is most deprived)"]
    assert b.notes[0].endswith("skipped columns: none")
