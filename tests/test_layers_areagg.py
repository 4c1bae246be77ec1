"""layers.areagg: areas aggregated to their parents for a national map's wide views."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from assetmap.layers import areadata, areagg


def _three(parents=("W1", "W1", "W1")):
    """Three unit squares in a row, 100, 300 and 600 people (all ages)."""
    return gpd.GeoDataFrame({
        "code": ["A1", "A2", "A3"], "name": ["One", "Two", "Three"],
        "parent_code": list(parents), "parent_name": ["Ward " + p for p in parents],
        "pop_0_17": [20.0, 60.0, 100.0], "pop_18_64": [50.0, 140.0, 300.0],
        "pop_65_74": [30.0, 100.0, 200.0]},
        geometry=[box(i, 0, i + 1, 1) for i in range(3)], crs=4326)


def test_population_weighted_need_equals_a_hand_computation():
    a = _three()
    g = areagg.groups(a)
    assert list(g.frame["code"]) == ["W1"] and list(g.frame["n"]) == [3]
    assert g.frame["population"].iloc[0] == 1000
    need = areagg.weighted_mean([1.0, 2.0, 4.0], areagg.population(a), g.inv, 1)
    assert need[0] == pytest.approx((1 * 100 + 2 * 300 + 4 * 600) / 1000)        # 3.1
    # an area without a value is left out, the weights of the others renormalised
    part = areagg.weighted_mean([1.0, np.nan, 4.0], areagg.population(a), g.inv, 1)
    assert part[0] == pytest.approx((100 + 2400) / 700)
    # no population at all: the plain mean
    plain = areagg.weighted_mean([1.0, 2.0, 4.0], [np.nan] * 3, g.inv, 1)
    assert plain[0] == pytest.approx(7 / 3)


def test_shapes_dissolved_per_parent():
    g = areagg.groups(_three(("W1", "W1", "W2")))
    assert list(g.frame["name"]) == ["Ward W1", "Ward W2"]
    assert [gm.area for gm in g.frame.geometry] == pytest.approx([2.0, 1.0])
    assert g.frame.geometry.iloc[0].geom_type == "Polygon"       # the shared edge dissolved
    assert g.level == "ward"


def test_no_parents_no_aggregates():
    a = _three().drop(columns=["parent_code", "parent_name"])
    assert areagg.groups(a) is None
    assert areagg.groups(_three(("W1", "W2", "W3"))) is None      # as many parents as areas


def test_gap_share_and_hotspot_count():
    g = areagg.groups(_three())
    gaps = areadata.make_layer("gaps", lambda p: {"fillColor": p["f"]},
                               tips=["high need, low supply – GAP", "low need, low supply",
                                     "high need, low supply – GAP"],
                               props={"f": ["#a", "#b", "#a"]})
    cell = areagg.categorical(gaps, g).cells[0]
    assert cell[0] == 0 and cell[1] == "67% of areas in the gap class (2 of 3)"
    gi = areadata.make_layer("gi", lambda p: {"fillColor": p["f"]},
                             tips=["Hot spot (high isolation cluster)", "Not significant",
                                   "Not significant"], props={"f": ["#h", "#n", "#n"]})
    lay = areagg.headed(areagg.categorical(gi, g), g, "")
    assert lay.cells[0][0] == 1                                   # most areas: not significant
    assert lay.cells[0][1].split("\n") == [
        "3 areas", "1 significant hot spot, 0 cold spots among 3 areas",
        "Click to zoom in to the areas"]
    assert "ward aggregates" in lay.legend and lay.popup is False


def test_counts_are_summed():
    g = areagg.groups(_three(("W1", "W1", "W2")))
    assert areagg.total([5.0, np.nan, 7.0], g.inv, 2).tolist() == [5.0, 7.0]
    assert np.isnan(areagg.total([np.nan, np.nan, 7.0], g.inv, 2)[0])
