"""The street network read with pyosmium: the same tag rules as before, every file format,
bombs refused, and node for node and segment for segment the graph osmnx builds (the
reference reader) on the demo's file and Rutland's, for walking and driving, driving speeds
included (osmnx's ``add_edge_speeds``)."""
import bz2
import gzip

import numpy as np
import pytest

from assetmap import settings
from assetmap.analysis.osmgraph import segment_costs
from assetmap.errors import InputError
from assetmap.io import osm_graph, osm_speeds
from assetmap.io.osm import walkable_way

import synthetic

PLACES = ["demo", pytest.param("rutland", marks=pytest.mark.realdata)]


def test_tag_rules():
    cases = [{"highway": "residential"}, {"highway": "motorway"}, {"highway": "footway"},
             {"highway": "residential", "foot": "no"}, {"highway": "track", "access": "private"},
             {"highway": "track", "access": "private", "foot": "permissive"},
             {"building": "yes"}, {"highway": "construction"}]
    assert [osm_graph.walkable(t) for t in cases] == [walkable_way(t) for t in cases] == \
        [True, False, True, False, False, True, False, False]
    drive = {"residential": True, "motorway": True, "service": False, "track": False,
             "footway": False, "cycleway": False, "unclassified": True, "living_street": True}
    assert {h: osm_graph.drivable({"highway": h}) for h in drive} == drive
    for extra in ({"access": "private"}, {"motor_vehicle": "no"}, {"motorcar": "no"},
                  {"area": "yes"}, {"service": "parking_aisle"}):
        assert not osm_graph.drivable({"highway": "residential", **extra}), extra
    assert osm_graph.drivable({"highway": "residential", "access": "destination"})
    d = osm_graph.drive_directions
    assert d({"oneway": "yes"}) == (True, False) and d({"oneway": "-1"}) == (False, True)
    assert d({"junction": "roundabout"}) == (True, False) and d({"oneway": "no"}) == (True, True)
    assert d({}) == (True, True)


def test_maxspeed_read_as_osmnx_reads_it():
    from osmnx.routing import _clean_maxspeed
    values = ["30 mph", "50", "20|30", "48,5", "30mph", "70 km/h", "60 kph", "none", "signals",
              "walk", "", "abc", "UK:nsl_single", "UK:nsl_dual", "UK:motorway",
              "GB:nsl_restricted", "20 mph|30 mph", None]
    for v in values:
        assert osm_speeds.clean_maxspeed(v) == _clean_maxspeed(v), v


def _pbf(xml: bytes, tmp_path) -> bytes:
    import osmium
    src, out = tmp_path / "in.osm", tmp_path / "out.osm.pbf"
    src.write_bytes(xml)
    with osmium.SimpleWriter(str(out)) as w:
        for obj in osmium.FileProcessor(str(src)):
            w.add(obj)
    return out.read_bytes()


def test_every_format_gives_the_same_streets(tmp_path):
    xml = synthetic.grid_osm_xml(8, 6, 100.0)
    (tmp_path / "a.osm").write_bytes(xml)
    (tmp_path / "a.osm.bz2").write_bytes(bz2.compress(xml))
    forms = [xml, tmp_path / "a.osm", bz2.compress(xml), tmp_path / "a.osm.bz2",
             gzip.compress(xml), bz2.compress(xml[:700]) + bz2.compress(xml[700:]),
             _pbf(xml, tmp_path)]
    ref = osm_graph.read_streets(xml)
    assert len(ref.osmid) == 48 and len(ref.a) == 7 * 6 + 8 * 5
    for f in forms:
        s = osm_graph.read_streets(f)
        for k in ("osmid", "x", "y", "a", "b", "fwd", "bwd"):
            np.testing.assert_array_equal(getattr(s, k), getattr(ref, k), err_msg=k)


def test_bad_files_refused(tmp_path, monkeypatch):
    head = b'<?xml version="1.0"?>\n<osm version="0.6"><node id="1" lat="1" lon="1"/>'
    cases = {
        "DTD": head.replace(b"\n<osm", b'\n<!DOCTYPE osm [<!ENTITY a "x">]>\n<osm') + b"</osm>",
        "not an OpenStreetMap file": b"\x00\x01notosm",
        "could not read": b"<?xml version='1.0'?><svg></svg>",
        "truncated": bz2.compress(synthetic.grid_osm_xml(4, 4, 100.0))[:-30],
        "no walkable streets": head + b'<way id="2"><nd ref="1"/><tag k="building" v="yes"/>'
                                      b"</way></osm>",
    }
    for words, data in cases.items():
        with pytest.raises(InputError, match=words):
            osm_graph.read_streets(data)
    monkeypatch.setattr(settings, "MAX_XML_TEXT_BYTES", 1000)
    with pytest.raises(InputError, match="MAX_XML_TEXT_BYTES"):          # a whitespace bomb
        osm_graph.read_streets(bz2.compress(head + b" " * 5000 + b"</osm>"))
    monkeypatch.setattr(settings, "MAX_IMPORT_BYTES", 2000)
    with pytest.raises(InputError, match="MAX_IMPORT_BYTES"):
        osm_graph.read_streets(bz2.compress(synthetic.grid_osm_xml(8, 6, 100.0)))
    with pytest.raises(InputError, match="travel mode"):
        osm_graph.read_streets(head, "fly")


def _segments(st) -> dict:
    """(from OSM id, to OSM id) -> least cost, per direction allowed."""
    out: dict = {}
    cost = segment_costs(st)
    for a, b, f, r, c in zip(st.osmid[st.a], st.osmid[st.b], st.fwd, st.bwd, cost):
        for p, q, ok in ((a, b, f), (b, a, r)):
            if ok:
                out[(int(p), int(q))] = min(out.get((int(p), int(q)), np.inf), float(c))
    return out


def _reference(G, weight: str) -> dict:
    out: dict = {}
    for a, b, d in G.edges(data=True):
        out[(a, b)] = min(out.get((a, b), np.inf), float(d[weight]))
    return out


@pytest.mark.parametrize("place", PLACES)
def test_walking_streets_identical_to_osmnx(osmnx_streets, place):
    path, G = osmnx_streets(place, "walk")
    st = osm_graph.read_streets(path, "walk")
    assert set(st.osmid.tolist()) == set(G.nodes)
    ref_xy = np.array([[G.nodes[n]["x"], G.nodes[n]["y"]] for n in st.osmid.tolist()])
    np.testing.assert_allclose(np.column_stack([st.x, st.y]), ref_xy, atol=1e-6)
    mine, ref = _segments(st), _reference(G, "length_bng")
    assert mine.keys() == ref.keys()
    np.testing.assert_allclose([mine[k] for k in ref], list(ref.values()), atol=1e-6)
    if place == "rutland":      # the figures of issue 15 and DESIGN.md
        assert len(st.osmid) == 40_647
        assert sum(ref.values()) / 2 / 1000 == pytest.approx(1492.80, abs=0.01)


@pytest.mark.parametrize("place", PLACES)
def test_driving_streets_and_speeds_identical_to_osmnx(osmnx_streets, place):
    """One-way streets, the drive filter and osmnx's imputed speeds: every directed segment's
    travel time equal to osmnx's."""
    path, G = osmnx_streets(place, "drive")
    st = osm_graph.read_streets(path, "drive")
    assert set(st.osmid.tolist()) == set(G.nodes)
    mine, ref = _segments(st), _reference(G, "travel_time")
    assert mine.keys() == ref.keys()
    assert any((b, a) not in ref for a, b in ref) or place == "demo"     # one-way streets
    np.testing.assert_allclose([mine[k] for k in ref], list(ref.values()), rtol=1e-9)
