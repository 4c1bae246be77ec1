"""Invalid polygons (io.repair through io.boundaries): repaired with a note naming the
feature and what was done, or refused by row; never repaired silently."""
from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Polygon
from test_io_common import CODES, NAMES, ORIGIN, io_store, squares  # noqa: F401

from assetmap.errors import InputError
from assetmap.io.boundaries import import_boundaries
from assetmap.io.repair import repaired


def _bowtie():
    x0, y0 = ORIGIN
    # a figure of eight: (0,0) -> (1000,1000) -> (1000,0) -> (0,1000): two triangles
    return Polygon([(x0, y0), (x0 + 1000, y0 + 1000), (x0 + 1000, y0), (x0, y0 + 1000)])


def test_bowtie_repaired_with_a_note():
    lonlat = gpd.GeoSeries([_bowtie()], crs="EPSG:27700").to_crs(4326).iloc[0]
    geom, note, error = repaired(lonlat, "area 'X' (row 3)")
    assert error is None and geom.is_valid
    assert geom.geom_type == "MultiPolygon" and len(geom.geoms) == 2
    bng = gpd.GeoSeries([geom], crs=4326).to_crs(27700).iloc[0]
    assert bng.area == pytest.approx(500_000, rel=1e-4)   # two triangles of 250,000 m2
    assert "now 2 parts (was 1)" in note and "0.500 km²" in note
    assert note.startswith("area 'X' (row 3): invalid polygon (Self-intersection")
    assert "now 2 parts" in note
    ok, note, error = repaired(squares(1)[0], "y")
    assert note is None and error is None


def test_import_names_each_repaired_feature(io_store, tmp_path):
    geoms = squares()
    geoms[1] = _bowtie()
    g = gpd.GeoDataFrame({"LSOA21CD": CODES, "LSOA21NM": NAMES}, geometry=geoms,
                         crs="EPSG:27700")
    g.to_file(tmp_path / "b.gpkg", driver="GPKG")
    rep = import_boundaries(io_store, tmp_path / "b.gpkg")
    notes = [n for n in rep.notes if "repaired" in n]
    assert len(notes) == 1 and notes[0].startswith(f"area '{CODES[1]}' (row 2)")
    assert io_store.read_areas().geometry.is_valid.all()


def test_unrepairable_polygon_refused_by_row(io_store, tmp_path):
    flat = Polygon([(-2.30, 53.40), (-2.28, 53.40), (-2.29, 53.40)])   # no area at all
    _, _, error = repaired(flat, "z")
    assert error and "cannot be repaired" in error
    g = gpd.GeoDataFrame({"LSOA21CD": CODES, "LSOA21NM": NAMES}, geometry=squares(),
                         crs="EPSG:27700").to_crs(4326)
    g.loc[2, "geometry"] = flat                # lon/lat as written: still flat when read
    g.to_file(tmp_path / "b.geojson", driver="GeoJSON")
    with pytest.raises(InputError) as e:
        import_boundaries(io_store, tmp_path / "b.geojson")
    assert e.value.row == 3 and e.value.field == "geometry"
    assert io_store.counts()["areas"] == 0
