"""The shared coordinate transforms (assetmap/projection.py) against geopandas' own."""
import geopandas as gpd
import numpy as np
import shapely

from assetmap import projection


def test_each_transformer_is_made_once():
    assert projection.to_grid() is projection.to_grid()
    assert projection.to_lonlat() is projection.to_lonlat()
    assert projection.to_grid() is not projection.to_lonlat()


def test_points_move_as_geopandas_moves_them():
    pts = gpd.GeoSeries(gpd.points_from_xy([-0.7, -1.55, -2.33], [52.67, 53.8, 53.42]),
                        crs="EPSG:4326")
    ref = pts.to_crs("EPSG:27700")
    x, y = projection.grid_xy(pts)
    np.testing.assert_allclose(x, ref.x, atol=1e-6)
    np.testing.assert_allclose(y, ref.y, atol=1e-6)
    # Rutland's Oakham is near grid reference SK 86 08
    assert 480_000 < x[0] < 490_000 and 300_000 < y[0] < 315_000
    # a series in another CRS is moved by geopandas
    x2, y2 = projection.grid_xy(pts.to_crs("EPSG:3857"))
    np.testing.assert_allclose(x2, ref.x, atol=1e-3)
    np.testing.assert_allclose(y2, ref.y, atol=1e-3)


def test_geometries_go_there_and_back():
    poly = shapely.Polygon([(-1.6, 53.7), (-1.5, 53.7), (-1.5, 53.8), (-1.6, 53.8)])
    grid = projection.geoms_to_grid(poly)
    ref = gpd.GeoSeries([poly], crs="EPSG:4326").to_crs("EPSG:27700").iloc[0]
    assert shapely.hausdorff_distance(grid, ref) < 1e-6
    assert 70e6 < grid.area < 80e6          # about 6.6 km x 11.1 km
    back = projection.geoms_to_lonlat(np.array([grid, shapely.Polygon()]))
    assert shapely.hausdorff_distance(back[0], poly) < 1e-7          # about a centimetre
    assert back[1].is_empty
