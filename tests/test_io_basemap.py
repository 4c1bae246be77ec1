"""The offline basemap from the store's own OSM file."""
from __future__ import annotations

import bz2

import pytest

from assetmap.io import basemap

OSM = b"""<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6">
 <node id="1" lat="52.80" lon="-1.10"/><node id="2" lat="52.80" lon="-1.09"/>
 <node id="3" lat="52.81" lon="-1.09"/><node id="4" lat="52.81" lon="-1.10"/>
 <node id="5" lat="52.805" lon="-1.095"/>
 <way id="10"><nd ref="1"/><nd ref="2"/><tag k="highway" v="primary"/></way>
 <way id="11"><nd ref="2"/><nd ref="3"/><tag k="highway" v="footway"/></way>
 <way id="12"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/>
   <tag k="leisure" v="park"/></way>
 <way id="13"><nd ref="4"/><nd ref="5"/><tag k="building" v="yes"/></way>
 <way id="14"><nd ref="3"/><nd ref="4"/><tag k="railway" v="rail"/></way>
</osm>"""


@pytest.mark.parametrize("data", [OSM, bz2.compress(OSM)])
def test_ways_become_kinds_lines_and_polygons(data):
    gj = basemap.basemap_geojson(data)
    kinds = [f["properties"]["kind"] for f in gj["features"]]
    assert kinds == ["green", "path", "major", "rail"]        # drawing order; no buildings
    geoms = {f["properties"]["kind"]: f["geometry"] for f in gj["features"]}
    assert geoms["green"]["type"] == "Polygon"
    assert geoms["major"]["type"] == "LineString"
    assert geoms["major"]["coordinates"] == [[-1.1, 52.8], [-1.09, 52.8]]


def test_no_file_no_features():
    assert basemap.basemap_geojson(None)["features"] == []


def test_kinds_from_tags():
    assert basemap.kind_of({"highway": "residential"}, False) == "minor"
    assert basemap.kind_of({"natural": "water"}, True) == "water"
    assert basemap.kind_of({"natural": "water"}, False) is None      # an open way is no lake
    assert basemap.kind_of({"waterway": "river"}, False) == "waterway"
    assert basemap.kind_of({"amenity": "pub"}, True) is None
