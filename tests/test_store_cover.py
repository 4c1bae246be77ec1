"""The area the store covers (assetmap/store/cover.py): distances outside the stored areas
against an independent reference (the union of the areas, measured in British National
Grid by geopandas), the ``cross_border`` flag read with assets, and footprints."""
from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import Point, box

from assetmap.store.cover import EDGE_TOLERANCE_M, AreaCover

from storehelp import any_store, make_areas, make_assets  # noqa: F401 (fixtures)


def _reference_m(areas, lon, lat):
    import geopandas as gpd
    union = areas.to_crs("EPSG:27700").union_all()
    pts = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326").to_crs("EPSG:27700")
    return np.array([union.distance(p) for p in pts])


def test_distances_match_the_union_measured_on_the_ground():
    areas = make_areas()
    cover = AreaCover(areas.geometry.values)
    rng = np.random.default_rng(7)
    x0, y0, x1, y1 = areas.total_bounds
    lon = rng.uniform(x0 - 0.06, x1 + 0.06, 400)
    lat = rng.uniform(y0 - 0.04, y1 + 0.04, 400)
    ref = _reference_m(areas, lon, lat)
    got = cover.distance_m(lon, lat, within_m=2000.0)
    near = ref <= 2000.0
    assert near.sum() > 100 and (~near).sum() > 50 and (ref == 0).sum() > 10
    np.testing.assert_allclose(got[near], ref[near], atol=1e-6)
    assert np.isinf(got[~near]).all()
    out = cover.outside(lon, lat)
    np.testing.assert_array_equal(out, ref > EDGE_TOLERANCE_M)


def test_no_areas_no_cover(any_store):
    assert any_store.area_cover() is None
    areas = make_areas()
    any_store.write_areas(areas)
    assets, prov = make_assets(areas)
    any_store.write_assets(assets, prov)
    assert not any_store.read_assets()["cross_border"].any()


def test_cross_border_flag_follows_the_stored_areas(any_store):
    areas = make_areas()
    any_store.write_areas(areas.iloc[:2])
    assets, prov = make_assets(areas)           # one asset in each of the four squares
    any_store.write_assets(assets, prov)
    a = any_store.read_assets().set_index("id")
    assert a["cross_border"].to_dict() == {"t-0": False, "t-1": False, "t-2": True,
                                           "t-3": True}
    any_store.write_areas(areas.iloc[2:])       # the boundary grows: nothing stale
    assert not any_store.read_assets()["cross_border"].any()


def test_footprints_stored_for_display_never_for_a_home(any_store):
    areas = make_areas()
    any_store.write_areas(areas)
    assets, prov = make_assets(areas)
    outline = box(*areas.geometry.iloc[0].buffer(-0.002).bounds)
    assets["footprint"] = [outline, outline, None, None]     # t-1 is home-based
    any_store.write_assets(assets, prov)
    fp = any_store.read_footprints()
    assert fp["id"].tolist() == ["t-0"]
    assert fp.geometry.iloc[0].equals_exact(outline, 1e-9)
    assert "footprint" not in any_store.read_assets().columns
    # a later write without outlines keeps the stored one
    any_store.write_assets(assets.drop(columns="footprint"), prov)
    assert any_store.read_footprints(ids=["t-0"])["id"].tolist() == ["t-0"]


@pytest.mark.parametrize("dx_m, expected", [(50.0, 0.0), (1500.0, 1500.0)])
def test_points_east_of_an_area(dx_m, expected):
    from pyproj import Transformer
    t = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    sq = box(452000, 318000, 453000, 319000)
    from shapely.ops import transform
    cover = AreaCover([transform(t.transform, sq)])
    lon, lat = t.transform(453000 + dx_m, 318500)
    d = cover.distance_m([lon], [lat], within_m=2000.0)[0]
    assert d == pytest.approx(dx_m, abs=0.5)
    assert cover.outside([lon], [lat])[0] == (expected > EDGE_TOLERANCE_M)
    assert Point(lon, lat).within(transform(t.transform, sq)) is False
