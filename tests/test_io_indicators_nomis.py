"""Census 2021 tables as Nomis gives them (io.indicators.nomis): the bulk (wide) CSV and the
API's long CSV give the same indicators and population as the long tables."""
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
from test_io_indicators_census import AGES

from assetmap.io.indicators import import_indicators
from assetmap.io.indicators.nomis import category_columns


def test_category_columns_drop_totals_subtotals_and_percentages():
    cols = ["date", "geography", "geography code",
            "Disability: Total: All usual residents; measures: Value",
            "Disability: Disabled under the Equality Act; measures: Value",
            "Disability: Disabled under the Equality Act: Day-to-day activities limited a lot; "
            "measures: Value",
            "Disability: Disabled under the Equality Act: Day-to-day activities limited a lot; "
            "measures: Percent",
            "Disability: Not disabled under the Equality Act; measures: Value"]
    assert list(category_columns(cols).values()) == [
        "Disabled under the Equality Act: Day-to-day activities limited a lot",
        "Not disabled under the Equality Act"]
    hh = category_columns(["Household composition: One person household: Aged 66 years and "
                           "over"])
    assert list(hh.values()) == ["One-person household: Aged 66 years and over"]


def _nomis_wide(tmp_path, values):
    head = ["date", "geography", "geography code", "Age: Total"] + [f"Age: {a}" for a in AGES] \
        + [f"Age: {a}; measures: Percent" for a in AGES[:2]]
    rows = [[2021, f"Testborough 00{k}A", c, 10 * len(AGES)] + [values] * len(AGES) + [9, 9]
            for k, c in enumerate(CODES)]
    return write_csv(tmp_path / "census2021-ts007a-lsoa.csv", head, rows)


def test_nomis_wide_age_is_population(area_store, tmp_path):
    rep = import_indicators(area_store, _nomis_wide(tmp_path, 10))
    a = area_store.read_areas().iloc[0]
    assert (a["pop_65_74"], a["pop_75_84"], a["pop_85_plus"]) == (20, 20, 10)
    assert a["pop_0_17"] == pytest.approx(36.0)
    w = area_store.values_wide()
    assert w.loc[CODES[0], "pop_65_plus"] == pytest.approx(50 / 110 * 100)
    assert rep.notes[0].startswith("read as Census 2021 (age)")
    assert "skipped columns: Age: Total" in rep.notes[0]


def test_nomis_api_long(area_store, tmp_path):
    head = ["DATE", "GEOGRAPHY_NAME", "GEOGRAPHY_CODE", "C2021_HEALTH_6_NAME", "MEASURES_NAME",
            "OBS_VALUE"]
    cats = [("Total: All usual residents", 100), ("Very good health", 40),
            ("Good health", 30), ("Fair health", 15), ("Bad health", 10),
            ("Very bad health", 5)]
    rows = [[2021, "x", c, cat, m, v if m == "Value" else 99] for c in CODES
            for cat, v in cats for m in ("Value", "Percent")]
    import_indicators(area_store, write_csv(tmp_path / "nomis.csv", head, rows))
    w = area_store.values_wide()
    assert w.loc[CODES[0], "bad_health"] == pytest.approx(15.0)
    assert w.loc[CODES[0], "lon_health_fair"] == pytest.approx(0.15)


@needs_realdata
@pytest.mark.parametrize("table", ["population_by_5_year_age_bands", "household_composition",
                                   "general_health", "unpaid_care"])
def test_nomis_wide_from_real_trafford_figures(tmp_path, table):
    """A Nomis bulk table written from Trafford's real Census 2021 figures imports exactly
    as the long table it was written from."""
    from assetmap.io.boundaries import import_boundaries
    from assetmap.store import Store
    src = REALDATA / f"trafford-census2021-lsoa/2021_{table}_lsoa_trafford.csv"
    long = pd.read_csv(src)
    cat = [c for c in long.columns if c not in ("area_code", "area_name", "geography",
                                                "period", "indicator", "measure", "unit",
                                                "value")]
    cat = cat[0] if cat else "indicator"
    wide = long.pivot_table(index=["area_code", "area_name"], columns=cat, values="value",
                            aggfunc="sum")
    label = {"indicator": "Age"}.get(cat, "Category")
    names = {c: f"{label}: {c.replace('One-person', 'One person')}; measures: Value"
             for c in wide.columns}
    wide = wide.rename(columns=names).reset_index().rename(
        columns={"area_code": "geography code", "area_name": "geography"})
    wide.insert(0, "date", 2021)
    wide.insert(3, f"{label}: Total; measures: Value", wide.iloc[:, 3:].sum(axis=1))
    path = tmp_path / f"census2021-{table}-lsoa.csv"
    wide.to_csv(path, index=False)
    stores = []
    for name, f in (("long", src), ("wide", path)):
        s = Store(f"sqlite:///{tmp_path / (name + '.sqlite')}")
        import_boundaries(s, REALDATA / "trafford-boundaries/lsoa_2021_trafford_lsoa_"
                          "generalised.geojson", la="Trafford")
        import_indicators(s, f)
        stores.append(s)
    a, b = (s.values_wide().sort_index() for s in stores)
    assert len(a) == 139 and list(a.columns) == list(b.columns)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)
    pa, pb = (s.read_areas()[["code", "pop_0_17", "pop_85_plus"]] for s in stores)
    pd.testing.assert_frame_equal(pa, pb)
    for s in stores:
        s.dispose()
