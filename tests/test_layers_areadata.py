"""The compact area table: each area once, per-layer cells, payloads for the whole map or
the view (bbox, zoom, the area cap), simplified geometry per zoom."""
import json

import geopandas as gpd
import numpy as np
import pytest
import shapely

from assetmap import settings
from assetmap.layers import areadata


@pytest.fixture
def areas():
    geoms = [shapely.box(x, y, x + 0.01, y + 0.01).segmentize(0.001)
             for y in np.arange(52.0, 52.1, 0.01) for x in np.arange(-1.0, -0.9, 0.01)]
    n = len(geoms)
    return gpd.GeoDataFrame({"code": [f"E01{i:06d}" for i in range(n)],
                             "name": [f"Area <{i}>" for i in range(n)],
                             "parent_name": ["North ward"] * (n // 2) + [None] * (n - n // 2)},
                            geometry=geoms, crs=4326)


def _layer(areas, lid="x"):
    hi = [i % 3 == 0 for i in range(len(areas))]
    return areadata.make_layer(lid, lambda p: {"fillColor": "#000" if p["hi"] else "#fff"},
                               tips=[f"tip {i}" for i in range(len(areas))],
                               extras=[f"a\nb {i}" for i in range(len(areas))], props={"hi": hi})


def test_make_layer_keeps_distinct_styles_once(areas):
    lay = _layer(areas)
    assert lay.styles == [{"fillColor": "#000"}, {"fillColor": "#fff"}]
    assert lay.cells[0] == [0, "tip 0", "a\nb 0"] and lay.cells[1][0] == 1
    assert len(lay.cells) == len(areas)


def test_payload_carries_each_area_once(areas):
    p = areadata.payload(areas, [_layer(areas, "x"), _layer(areas, "y")])
    text = json.dumps(p)
    assert text.count('"Area <7>"') == 1                 # the name once, for both layers
    assert p["areas"][0] == ["E01000000", "Area <0>", "North ward"]
    assert p["areas"][-1][2] == ""                       # no ward: an empty string
    assert set(p["layers"]) == {"x", "y"} and len(p["layers"]["x"]) == len(areas)
    assert [f["properties"]["i"] for f in p["geometry"]["features"]] == list(range(len(areas)))
    assert p["total"] == p["shown"] == len(areas)


def test_view_payload_picks_the_areas_in_view_and_caps(areas):
    cache: dict = {}
    lay = _layer(areas)
    p = areadata.view_payload(areas, [lay], (-1.0, 52.0, -0.985, 52.015), 14, cache=cache)
    codes = [r[0] for r in p["areas"]]
    assert 4 <= len(codes) <= 9 and "E01000000" in codes and "E01000099" not in codes
    i = codes.index("E01000000")
    assert p["layers"]["x"][i] == lay.cells[0]           # cells follow the rows
    feature = next(f for f in p["geometry"]["features"] if f["properties"]["i"] == i)
    drawn = shapely.geometry.shape(feature["geometry"])
    assert drawn.symmetric_difference(areas.geometry[0]).area < 1e-9
    capped = areadata.view_payload(areas, [lay], (-2, 51, 0, 53), 8, cache=cache, limit=50)
    assert capped["total"] == len(areas) and capped["shown"] == 0 and capped["max"] == 50
    assert capped["areas"] == [] and capped["geometry"]["features"] == []
    assert "tree" in cache


def test_geometry_is_simplified_for_the_zoom(areas):
    cache: dict = {}
    far = areadata.simplified(areas, 6, cache)
    near = areadata.simplified(areas, 16, cache)
    assert shapely.get_num_coordinates(far).sum() < shapely.get_num_coordinates(near).sum()
    assert near is areas.geometry.values                 # closest: the display geometry
    assert areadata.simplified(areas, 6, cache) is far   # kept per level
    assert areadata.zoom_level(18) == (0.0, settings.MAP_COORD_DECIMALS)
    tol, dec = areadata.zoom_level(6)
    assert tol > 0 and dec < settings.MAP_COORD_DECIMALS
