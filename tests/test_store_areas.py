"""Areas, indicators and their values, and postcodes (assetmap/store/areas.py), on SQLite
and PostgreSQL + PostGIS."""
from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from assetmap import model
from assetmap.errors import InputError

from storehelp import any_store, make_areas, make_indicators, make_postcodes, make_values  # noqa: F401


def test_areas_round_trip(any_store):
    areas = make_areas()
    any_store.write_areas(areas)
    back = any_store.read_areas()
    expected = model.validate_areas(areas)
    assert_frame_equal(pd.DataFrame(back.drop(columns="geometry")),
                       pd.DataFrame(expected.drop(columns="geometry")), check_dtype=False)
    assert back.crs.to_epsg() == 4326
    for a, b in zip(back.geometry, expected.geometry):
        assert a.equals_exact(b, 1e-9)


def test_values_round_trip_and_unknown_area(any_store):
    any_store.write_areas(make_areas())
    ind = pd.DataFrame([{"id": "llti", "title": "LLTI", "unit": "%", "polarity": "high_bad",
                         "ci_method": "wilson", "source": "test", "period": "2021",
                         "description": None}])
    any_store.write_indicators(ind)
    vals = pd.DataFrame({"indicator_id": "llti", "area_code": ["E01990000", "E01990001"],
                         "value": [10.0, 20.0], "count": [10.0, 40.0],
                         "denominator": [100.0, 200.0], "lower_ci": None, "upper_ci": None})
    any_store.write_values(vals)
    back = any_store.read_values()
    assert_frame_equal(back, model.validate_values(vals), check_dtype=False)
    bad = vals.assign(area_code=["E01990000", "E01999999"])
    with pytest.raises(InputError) as e:
        any_store.write_values(bad, file="x.csv")
    assert e.value.row == 2 and e.value.field == "area_code" and "E01999999" in str(e.value)


def test_area_and_indicator_lookups(any_store):
    areas = make_areas()
    any_store.write_areas(areas)
    assert any_store.areas_signature() == (4, "E01990000", "E01990003")
    assert list(any_store.read_areas(codes=["E01990002", "E01990000"])["code"]) == \
        ["E01990000", "E01990002"]
    assert any_store.read_areas(level="ward").empty
    # replace removes the areas of the levels written (and their values)
    any_store.write_areas(areas.iloc[:2], replace=True)
    assert any_store.areas_signature() == (2, "E01990000", "E01990001")
    any_store.write_areas(areas)

    any_store.write_indicators(make_indicators())
    assert list(any_store.read_indicators()["id"]) == ["a_ind", "b_ind"]
    any_store.write_values(make_values())
    assert list(any_store.read_values(["b_ind"])["value"]) == [3.0]
    wide = any_store.values_wide()
    assert wide.loc["E01990001", "a_ind"] == 2.0 and pd.isna(wide.loc["E01990001", "b_ind"])
    assert list(wide.index) == ["E01990000", "E01990001"]


def test_postcode_lookup(any_store):
    any_store.write_postcodes(pd.DataFrame({"postcode": ["M15 4AB"], "lon": [-2.25],
                                            "lat": [53.47], "area_code": ["E01000001"]}))
    found = any_store.lookup_postcodes(["m154ab", "ZZ1 1ZZ"])
    assert list(found["postcode"]) == ["M15 4AB"]


def test_postcodes_within_a_box(any_store):
    any_store.write_postcodes(make_postcodes())
    inside = any_store.postcodes_within((-1.3, 52.6, -1.1, 52.8))
    assert sorted(inside["postcode"]) == ["AB1 2CD", "AB1 3EF"]
    assert list(inside.columns) == ["postcode", "lon", "lat", "area_code"]
    assert any_store.postcodes_within((10, 10, 11, 11)).empty
