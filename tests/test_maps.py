"""Map builders: every layer with a legend and a LayerControl, local browser libraries,
page size, and the cache invalidated by data changes."""
import numpy as np
import pytest

from assetmap import maps, settings
from assetmap.views import data as webdata

import webmini


@pytest.fixture
def mini(tmp_path):
    from assetmap.store import Store
    s = Store(f"sqlite:///{tmp_path / 's.sqlite'}")
    webmini.build(s)
    yield s
    s.dispose()


def test_overview_has_every_layer_and_legend(mini):
    wd = webdata.load(mini, webmini.analysis_frames)
    m = maps.build_overview_map(wd, isochrone_url="/api/v1/isochrone")
    parts = maps.render_parts(m)
    names = ["Needs", "Neighbourhood networks", "Walking minutes to nearest community centre",
             "Gaps: need vs supply", "Isolation hotspots (Gi*)", "Community assets",
             "Micro-providers", "Walking isochrones"]
    for n in names:
        assert n in parts.script, n
    assert parts.script.count("L.control({position") == len(names)      # a legend each
    assert "L.control.layers" in parts.script
    assert "https://" not in parts.header.replace("https://github", "")   # local libraries
    assert parts.size < 1_000_000
    assert webmini.XSS not in parts.script


def test_measures_and_pickers(mini):
    wd = webdata.load(mini, webmini.analysis_frames)
    ms = maps.measures(wd)
    assert "need_index" in ms and "llti" in ms
    assert maps.default_measure(wd) == "need_index"
    v = maps.measure_values(wd, "llti")
    assert len(v) == len(wd.areas) and (v > 0).all()
    sts, cgs = maps.gap_choices(wd)
    assert "befriending" in sts and "carers" in cgs
    assert len(maps.gap_rows(wd, "befriending", "carers")) == len(wd.areas)


def test_gap_rows_fall_back_for_grouped_runs():
    import pandas as pd

    class W:
        gaps = pd.DataFrame({"area_code": ["a", "a", "a"], "service_type": ["", "befriending", ""],
                             "client_group": ["", "", "carers"]})
    assert list(maps.gap_rows(W, "befriending", "carers")["service_type"]) == ["befriending"]
    assert list(maps.gap_rows(W, "", "carers")["client_group"]) == ["carers"]
    assert len(maps.gap_rows(W, "transport", "autism")) == 1
    assert maps.gap_title("", "") == "All services for everyone"


def test_gap_rows_use_the_exact_pair_from_a_pipeline_run(demo_store):
    """A real run analyses service type x client group pairs: gap_rows returns the pair's own
    rows (columns lined up through the web data), with no fallback note; a pair no provider
    offers falls back to its service type and says why."""
    wd = webdata.load(demo_store)
    assert maps.has_gap_pairs(wd)
    rows = maps.gap_rows(wd, "day_activities", "learning_disability")
    assert len(rows) == len(wd.areas)
    assert set(rows["service_type"]) == {"day_activities"}
    assert set(rows["client_group"]) == {"learning_disability"}
    assert set(rows["group_kind"]) == {"service_client"}
    assert maps.rows_title(rows) == "Day activities for learning disability"
    assert maps.gap_fallback_note(wd, rows, "day_activities", "learning_disability") is None
    # the pair's supply is its own, not the service type's
    st_rows = maps.gap_rows(wd, "day_activities", "")
    assert set(st_rows["client_group"]) == {""} and len(st_rows) == len(wd.areas)
    # (per person in need of each: the pair's demand is adults with a learning disability,
    # the service type's people aged 65+, so neither bounds the other)
    assert not np.allclose(rows["supply"].to_numpy(), st_rows["supply"].to_numpy())
    assert set(rows["population_label"]) != set(st_rows["population_label"])
    # accommodation is offered to nobody with autism in the demo: the service type is shown
    rows = maps.gap_rows(wd, "accommodation", "autism")
    assert set(rows["service_type"]) == {"accommodation"} and set(rows["client_group"]) == {""}
    note = maps.gap_fallback_note(wd, rows, "accommodation", "autism")
    assert note.startswith("No provider in the data offers accommodation for autism")
    assert "separately" not in note


def test_no_analysis_still_renders(mini):
    wd = webdata.load(mini)
    assert wd.run is None and wd.notes
    parts = maps.render_parts(maps.build_overview_map(wd))
    assert "Community assets" in parts.script and "Needs" in parts.script


def test_tiles_setting(mini, monkeypatch):
    webdata.load(mini)
    s = maps.render_parts(maps.new_map()).script          # the default: no tile server,
    assert "tileLayer" not in s and settings.BASEMAP_URL in s     # the store's own streets
    monkeypatch.setattr(settings, "TILES", "OpenStreetMap")
    s = maps.render_parts(maps.new_map()).script
    assert "tile.openstreetmap.org" in s and settings.BASEMAP_URL not in s


def test_cached_map_rebuilds_when_data_change(mini):
    calls = []

    def build():
        calls.append(1)
        return maps.new_map()
    a = maps.cached_map(mini, "t", build)
    b = maps.cached_map(mini, "t", build)
    assert a is b and len(calls) == 1
    mini.set_meta("area_name", "Changed")          # a write bumps the data version
    maps.cached_map(mini, "t", build)
    assert len(calls) == 2


def test_localise_assets():
    h = '<script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"></script>'
    assert maps.localise_assets(h) == \
        f'<script src="{settings.VENDOR_URL}leaflet/dist/leaflet.js"></script>'


def test_render_parts_renders_each_element_once():
    """Text that reached a folium element unescaped is still never run as a template: the
    output of every element is joined as it is, not compiled and rendered again (branca's
    Figure.render would turn "X-{{7*7}}-Y" into "X-49-Y")."""
    import folium

    m = maps.new_map((-1.2, 52.7, -1.1, 52.8), tiles="none")
    folium.Marker([52.75, -1.15], tooltip=folium.Tooltip("X-{{7*7}}-Y"),
                  popup=folium.Popup("P-{{7*'7'}}-Q")).add_to(m)
    parts = maps.render_parts(m)
    out = parts.header + parts.html + parts.script
    assert "X-{{7*7}}-Y" in out and "P-{{7*'7'}}-Q" in out
    assert "X-49-Y" not in out and "7777777" not in out
    assert "leaflet" in parts.header and "L.map(" in parts.script


def test_approximate_area_shapes_say_so(mini):
    wd = webdata.load(mini, webmini.analysis_frames)
    note = maps.APPROXIMATE_NOTE[:30]
    for build in (maps.build_overview_map, maps.build_hotspot_map):
        assert note not in maps.render_parts(build(wd)).script
    wd.areas["approximate_geometry"] = True
    for m in (maps.build_overview_map(wd), maps.build_hotspot_map(wd),
              maps.build_gap_map(wd, "", ""),
              maps.build_area_map(wd, wd.areas["code"].iloc[0])):
        assert note in maps.render_parts(m).script
