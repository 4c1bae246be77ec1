"""Gaps (bivariate 3x3), hotspots (Gi*/LISA), access (minutes, isochrones), networks."""
import folium
import numpy as np
import pytest
import shapely

from assetmap.layers import access, gaps, hotspots, networks
from assetmap.maps import render_parts
from assetmap.views import data as webdata

import webmini


@pytest.fixture(scope="module")
def wd(tmp_path_factory):
    from assetmap.store import Store
    s = Store(f"sqlite:///{tmp_path_factory.mktemp('an') / 's.sqlite'}")
    webmini.build(s)
    w = webdata.load(s, webmini.analysis_frames)
    yield w
    s.dispose()


def test_bivariate_palette_and_legend():
    cols = {gaps.colour(n, s) for n in (1, 2, 3) for s in (1, 2, 3)}
    assert len(cols) == 9
    assert gaps.colour(None, 1) == gaps.NO_DATA
    leg = gaps.legend_html()
    assert leg.count("am-bv-cell") == 9 and "am-bv-gap" in leg and "Need" in leg and "Supply" in leg


def test_gap_layer_outlines_gaps(wd):
    m = folium.Map(tiles=None)
    rows = wd.gaps[(wd.gaps.service_type == "befriending") & (wd.gaps.client_group == "carers")]
    gaps.add_to(m, wd.areas, rows, subtitle=webmini.XSS)
    s = render_parts(m).script
    assert webmini.XSS not in s and "<img" not in s
    assert '"weight": 3' in s and "GAP" in s
    assert '"/areas/{code}"' in s and '"E01000001"' in s


def test_hotspot_layers(wd):
    m = folium.Map(tiles=None)
    hotspots.add_to(m, wd.areas, wd.hotspots, kind="gi")
    hotspots.add_to(m, wd.areas, wd.hotspots, kind="lisa", show=False)
    s = render_parts(m).script
    for c in ("#b2182b", "#2166ac"):
        assert c in s
    assert "Hot spot" in s and "High among high" in s
    assert hotspots.gi_class("not significant") == "ns" and hotspots.gi_class("Hot") == "hot"
    assert hotspots.lisa_class("not significant") == "ns" and hotspots.lisa_class("hl") == "HL"


def test_geometry_shared_between_layers(wd):
    m = folium.Map(tiles=None)
    hotspots.add_to(m, wd.areas, wd.hotspots, kind="gi")
    hotspots.add_to(m, wd.areas, wd.hotspots, kind="lisa")
    s = render_parts(m).script
    assert s.count('"coordinates"') == len(wd.areas)    # polygons written once, drawn twice
    assert s.count("assetmapAreaSources.push") == 1 and s.count(".layers[") == 2   # 1 source
    for name in wd.areas["name"]:
        if "<" not in name:
            assert s.count(f'"{name}"') == 1                # each area's name written once


def test_access_layer_and_isochrones(wd):
    m = folium.Map(tiles=None)
    mins = np.r_[np.linspace(1, 30, len(wd.areas) - 1), np.nan]
    access.add_to(m, wd.areas, mins, category="library")
    poly = {5: shapely.Point(-1.2, 52.8).buffer(0.003), 10: shapely.Point(-1.2, 52.8).buffer(0.006)}
    gj = access.isochrone_geojson(poly, label="x")
    assert [f["properties"]["minutes"] for f in gj["features"]] == [10, 5]
    access.add_isochrones(m, gj, url="/api/v1/isochrone")
    s = render_parts(m).script
    assert "window.assetmapLayers.isochrones" in s and "/api/v1/isochrone" in s
    assert access.band_colour(3) == access.MINUTE_BANDS[0][1]
    assert access.band_colour(None) == access.NO_DATA
    assert access.band_colour(99) == access.band_colour(110) != access.band_colour(70 - 11)


def test_access_layer_tells_long_walks_and_estimates_apart(wd):
    """A 70-minute and a 3-hour walk get different classes; a walk not reached within the
    cap is "more than 180 min", never a made-up number; areas off the network are dashed
    and their tooltip says the times are straight-line estimates."""
    n = len(wd.areas)
    classes = {access.band_colour(v) for v in (3, 8, 12, 18, 25, 45, 70, 150)}
    assert len(classes) == 8
    assert access.band_colour(70) != access.band_colour(179)
    assert access.band_colour(180, beyond=True) == access.BEYOND_COLOUR
    assert access.band_colour(180) != access.BEYOND_COLOUR        # reached in exactly 3 h
    assert access.band_colour(150, beyond=True) != access.BEYOND_COLOUR   # a lower bound
    assert access.band_colour(60, beyond=True, cap=60) == access.BEYOND_COLOUR
    assert [u for u, _ in access.bands(60)] == [5, 10, 15, 20, 30, 60]
    assert access.minutes_text(180.0, True) == "more than 180 min"
    assert access.minutes_text(72.4, False) == "72 min"
    mins = np.r_[np.full(n - 2, 70.0), 180.0, 180.0]
    beyond = [False] * (n - 1) + [True]
    off = [True] + [False] * (n - 1)
    m = folium.Map(tiles=None)
    access.add_to(m, wd.areas, mins, category="pharmacy", beyond=beyond, off_network=off)
    s = m.get_root().render()
    assert "more than 180 min walk to nearest pharmacy" in s
    assert s.count("more than 180 min walk") == 1
    assert "180 min walk to nearest pharmacy" in s.replace("more than 180", "")
    assert "straight-line estimate: the street network does not cover this area" in s
    assert access.OFF_NETWORK_DASH in s and "more than 180 min (not reached)" in s
    m2 = folium.Map(tiles=None)
    access.add_to(m2, wd.areas, mins, category="essential")
    s2 = m2.get_root().render()
    assert "walk to essential services (GP, pharmacy, food shop combined)" in s2
    assert access.OFF_NETWORK_DASH not in s2 and "Dashed outline" not in s2


def test_networks_layer_escapes(wd):
    m = folium.Map(tiles=None)
    networks.add_to(m, wd.networks, hub_names={"a008": webmini.XSS})
    s = render_parts(m).script
    assert webmini.XSS not in s and "North network" in s and "dashArray" in s
