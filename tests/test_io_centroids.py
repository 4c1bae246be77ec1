"""Areas from centroids (io.centroids through io.boundaries): Voronoi cells that tile the
boundary, flagged approximate; real polygons replacing some later, keeping indicators, with
the other cells redrawn around them."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box
from test_io_common import CODES, NAMES, ORIGIN, io_store, squares, write_csv  # noqa: F401

from assetmap.errors import InputError
from assetmap.io import centroids
from assetmap.io.boundaries import import_boundaries


def _points_csv(tmp_path, codes=CODES, dx=500.0, dy=500.0):
    """A centroid table (BNG_E/BNG_N) with one point in the middle of each test square."""
    x0, y0 = ORIGIN
    rows = [[i + 1, c, NAMES[i], x0 + (i % 2) * 1000 + dx, y0 + (i // 2) * 1000 + dy]
            for i, c in enumerate(codes)]
    return write_csv(tmp_path / "centroids.csv", ["OBJECTID", "LSOA21CD", "LSOA21NM", "BNG_E",
                                                  "BNG_N"], rows)


def _clip_file(tmp_path):
    x0, y0 = ORIGIN
    g = gpd.GeoDataFrame({"LAD22CD": ["E08900001"], "LAD22NM": ["Testborough"]},
                         geometry=[box(x0, y0, x0 + 2000, y0 + 2000)], crs="EPSG:27700")
    path = tmp_path / "la.geojson"
    g.to_crs(4326).to_file(path, driver="GeoJSON")
    return path


def test_cells_tile_the_boundary_and_are_flagged(io_store, tmp_path):
    rep = import_boundaries(io_store, _points_csv(tmp_path), clip=_clip_file(tmp_path))
    a = io_store.read_areas().to_crs(27700)
    assert a["approximate_geometry"].all() and len(a) == 4
    # the points sit in the middle of four 1 km squares: their Voronoi cells are the squares
    for geom, sq in zip(a.sort_values("code").geometry, squares()):
        assert geom.symmetric_difference(sq).area < 50.0    # mm from the EPSG:4326 round trip
    assert shapely.union_all(a.geometry.values).area == pytest.approx(4e6, rel=1e-6)
    assert a.area.sum() == pytest.approx(4e6, rel=1e-6)          # no overlaps
    # the centroid stays the area's population-weighted centre
    pts = gpd.GeoSeries(gpd.points_from_xy(a.to_crs(4326)["pwc_lon"], a.to_crs(4326)["pwc_lat"]),
                        crs=4326).to_crs(27700)
    assert [round(p.x) for p in pts] == [ORIGIN[0] + 500, ORIGIN[0] + 1500] * 2
    assert any("approximate" in n for n in rep.notes)


def test_without_a_boundary_the_hull_is_buffered_with_a_warning(io_store, tmp_path):
    rep = import_boundaries(io_store, _points_csv(tmp_path))
    a = io_store.read_areas().to_crs(27700)
    hull = shapely.convex_hull(shapely.multipoints(
        [(ORIGIN[0] + 500 + 1000 * (i % 2), ORIGIN[1] + 500 + 1000 * (i // 2)) for i in range(4)]))
    expected = hull.buffer(1500.0)
    assert shapely.union_all(a.geometry.values).symmetric_difference(expected).area < 100
    assert any(n.startswith("warning: no boundary given") for n in rep.notes)


def test_real_polygons_replace_cells_keeping_values(io_store, tmp_path):
    import_boundaries(io_store, _points_csv(tmp_path), clip=_clip_file(tmp_path))
    io_store.write_indicators(pd.DataFrame([{"id": "llti", "title": "LLTI", "unit": "%"}]))
    io_store.write_values(pd.DataFrame([{"indicator_id": "llti", "area_code": c, "value": 10.0 + k}
                                        for k, c in enumerate(CODES)]))
    # a real polygon for the first area, larger than its cell (it takes ground from two others)
    x0, y0 = ORIGIN
    real = box(x0, y0, x0 + 1400, y0 + 1400)
    g = gpd.GeoDataFrame({"LSOA21CD": [CODES[0]], "LSOA21NM": [NAMES[0]]}, geometry=[real],
                         crs="EPSG:27700").to_crs(4326)
    g.to_file(tmp_path / "one.geojson", driver="GeoJSON")
    rep = import_boundaries(io_store, tmp_path / "one.geojson")
    a = io_store.read_areas().set_index("code")
    assert not a.loc[CODES[0], "approximate_geometry"]
    assert a.loc[CODES[1:], "approximate_geometry"].all()
    bng = a.to_crs(27700)
    others = shapely.union_all(bng.geometry.loc[CODES[1:]].values)
    assert others.intersection(bng.geometry.loc[CODES[0]]).area < 50.0      # no overlap left
    total = shapely.union_all(bng.geometry.values)
    assert total.area == pytest.approx(4e6, rel=1e-4)                      # still tiles it
    assert any("redrawn" in n for n in rep.notes)
    v = io_store.read_values().set_index("area_code")["value"]
    assert v.to_dict() == {c: 10.0 + k for k, c in enumerate(CODES)}
    # centroids imported again do not overwrite the real polygon
    rep = import_boundaries(io_store, _points_csv(tmp_path), clip=_clip_file(tmp_path))
    assert not io_store.read_areas().set_index("code").loc[CODES[0], "approximate_geometry"]
    assert any("already have a real boundary" in n for n in rep.notes)


def test_point_geojson_and_lonlat_columns(io_store, tmp_path):
    x0, y0 = ORIGIN
    pts = gpd.GeoDataFrame({"code": CODES, "name": NAMES}, geometry=gpd.points_from_xy(
        [x0 + 500 + 1000 * (i % 2) for i in range(4)],
        [y0 + 500 + 1000 * (i // 2) for i in range(4)]), crs="EPSG:27700").to_crs(4326)
    pts.to_file(tmp_path / "pts.geojson", driver="GeoJSON")
    import_boundaries(io_store, tmp_path / "pts.geojson", clip=_clip_file(tmp_path))
    assert io_store.read_areas()["approximate_geometry"].all()
    df = pd.DataFrame({"LSOA11CD": CODES, "LONG": pts.geometry.x, "LAT": pts.geometry.y})
    cols = centroids.point_columns(df.columns)
    assert cols[:2] == ("LONG", "LAT")
    got = centroids.points_from_frame(df.astype(str), cols, "f.csv")
    assert np.allclose(got.geometry.x, pts.geometry.x)


def test_bad_centroids_are_refused(io_store, tmp_path):
    path = write_csv(tmp_path / "c.csv", ["LSOA21CD", "BNG_E", "BNG_N"],
                     [[CODES[0], 376500, 392500], [CODES[1], "x", 392500]])
    with pytest.raises(InputError) as e:
        import_boundaries(io_store, path)
    assert e.value.row == 2 and e.value.field == "BNG_E"
    path = write_csv(tmp_path / "d.csv", ["LSOA21CD", "BNG_E", "BNG_N"],
                     [[CODES[0], 376500, 392500], [CODES[1], 376500, 392500]])
    with pytest.raises(InputError, match="same centroid"):
        import_boundaries(io_store, path)
    path = write_csv(tmp_path / "e.csv", ["LSOA21CD", "colour"], [[CODES[0], "red"]])
    with pytest.raises(InputError, match="without coordinates"):
        import_boundaries(io_store, path)
    assert io_store.counts()["areas"] == 0


def test_a_stray_point_gets_a_small_disc():
    x0, y0 = ORIGIN
    region = box(x0, y0, x0 + 1000, y0 + 1000)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([x0 + 250, x0 + 750, x0 + 3000],
                                                       [y0 + 500] * 3),
                           crs="EPSG:27700").to_crs(4326)
    notes: list = []
    cells = centroids.cells(pts, region, codes=["a", "b", "c"], notes=notes).to_crs(27700)
    assert cells.iloc[0].area == pytest.approx(500_000, rel=1e-4)
    assert cells.iloc[2].area == pytest.approx(np.pi * 200 ** 2, rel=0.01)
    assert any("'c'" in n and "outside" in n for n in notes)
