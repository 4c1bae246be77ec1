import geopandas as gpd
import numpy as np
from shapely.geometry import Point

from assetmap import privacy, settings


def _frame():
    pts = gpd.GeoSeries([Point(452123.4, 318456.7), Point(453001.0, 319999.0)],
                        crs="EPSG:27700").to_crs("EPSG:4326")
    return gpd.GeoDataFrame({"name": ["Home care", "Library"], "home_based": [True, False],
                             "address": ["1 Secret Rd", "High St"],
                             "contact": ["07700 900000", "01234"],
                             "contact_public": [False, True], "created_by": ["a", "b"]},
                            geometry=pts, crs="EPSG:4326")


def test_snap_to_grid_centres():
    x, y = privacy.snap_to_grid(np.array([452123.4]), np.array([318456.7]), 500)
    assert (x[0], y[0]) == (452250.0, 318250.0)


def test_home_based_is_moved_and_stripped():
    src = _frame()
    out = privacy.public_assets(src)
    moved = out.geometry.to_crs(settings.ANALYSIS_CRS)
    assert abs(moved.iloc[0].x - 452250.0) < 0.01 and abs(moved.iloc[0].y - 318250.0) < 0.01
    assert out.geometry.iloc[1].equals_exact(src.geometry.iloc[1], 1e-12)
    assert out["address"].iloc[0] is None and out["address"].iloc[1] == "High St"
    assert out["contact"].iloc[0] is None and out["contact"].iloc[1] == "01234"
    assert "created_by" not in out
    # the source frame is untouched
    assert src["address"].iloc[0] == "1 Secret Rd"


def test_private_view_keeps_contact_but_still_hides_home():
    out = privacy.public_assets(_frame(), private_ok=True)
    assert out["contact"].iloc[0] == "07700 900000"
    assert out["address"].iloc[0] is None
    assert not out.geometry.iloc[0].equals_exact(_frame().geometry.iloc[0], 1e-9)
