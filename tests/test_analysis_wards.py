"""Ward aggregation, against a hand-worked example."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point, box

from assetmap.analysis import wards


def _areas():
    return pd.DataFrame({
        "code": ["A1", "A2", "B1"], "parent_code": ["W1", "W1", "W2"],
        "parent_name": ["West", "West", "East"], "population": [1000.0, 3000.0, 2000.0],
        "pop_65_plus": [100.0, 300.0, 200.0], "need_index": [1.0, -1.0, 0.5],
        "loneliness_risk": [0.2, 0.4, np.nan], "isolation": [2.0, 0.0, 1.0],
        "is_gap": [True, False, True], "gi_class": ["hot", "not significant", "cold"]})


def test_ward_means_are_weighted_by_people_aged_65_and_counts_are_sums():
    t = wards.ward_table(_areas()).set_index("ward_code")
    west = t.loc["W1"]
    # (1.0 x 100 + -1.0 x 300) / 400 = -0.5 ; isolation (2 x 100 + 0 x 300) / 400 = 0.5
    assert west["need_index"] == -0.5 and west["isolation"] == 0.5
    assert west["loneliness_risk"] == (0.2 * 100 + 0.4 * 300) / 400
    assert (west["areas"], west["population"], west["gaps"], west["hot_spots"]) == \
        (2, 4000.0, 1, 1)
    east = t.loc["W2"]
    assert np.isnan(east["loneliness_risk"])       # no value: no mean, not zero
    assert east["need_rank"] == 1 and west["need_rank"] == 2
    assert east["isolation_rank"] == 1 and west["isolation_rank"] == 2


def test_social_assets_per_1000_count_inside_each_ward():
    w = gpd.GeoDataFrame({"code": ["W1", "W2"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
                         crs="EPSG:4326")
    a = gpd.GeoDataFrame({"category": ["library", "cafe_pub", "gp_practice", "library"]},
                         geometry=[Point(.5, .5), Point(.2, .2), Point(.6, .6), Point(1.5, .5)],
                         crs="EPSG:4326")
    t = wards.ward_table(_areas(), a, w).set_index("ward_code")
    assert t.loc["W1", "social_assets"] == 2          # the GP practice is not a social asset
    assert t.loc["W1", "social_assets_per_1000"] == 2 / 4000 * 1000
    assert t.loc["W2", "social_assets"] == 1
