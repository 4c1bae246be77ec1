"""OpenStreetMap import: the stored network blob and assets from tags."""
from __future__ import annotations

import bz2

import pytest
from test_io_common import REALDATA, area_store, centre, io_store, needs_realdata, snapshot  # noqa: F401

from assetmap.errors import InputError
from assetmap.io.osm import import_osm, osm_category


def osm_xml(points_inside=True) -> bytes:
    (x0, y0), (x1, y1) = centre(0, 200, 200), centre(0, 400, 400)
    far = (x0 + 0.5, y0)
    nodes = [
        f'<node id="1" lat="{y0}" lon="{x0}"><tag k="amenity" v="library"/>'
        f'<tag k="name" v="Town Library"/><tag k="opening_hours" v="Mo-Sa 09:00-17:00"/>'
        f'<tag k="addr:postcode" v="m1 1aa"/></node>',
        f'<node id="2" lat="{y0}" lon="{x1}"/>', f'<node id="3" lat="{y1}" lon="{x1}"/>',
        f'<node id="4" lat="{y1}" lon="{x0}"/>',
        f'<node id="5" lat="{far[1]}" lon="{far[0]}"><tag k="amenity" v="pub"/>'
        '<tag k="name" v="Far Pub"/></node>',
        f'<node id="6" lat="{y1}" lon="{x0}"><tag k="amenity" v="cafe"/>'
        '<tag k="access" v="private"/></node>',
        f'<node id="7" lat="{y1}" lon="{x1}"><tag k="amenity" v="bench"/></node>',
    ]
    ways = ['<way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/>'
            '<tag k="amenity" v="place_of_worship"/><tag k="name" v="St Anne"/>'
            '<tag k="religion" v="christian"/></way>',
            '<way id="11"><nd ref="2"/><nd ref="3"/><tag k="highway" v="footway"/></way>',
            '<way id="12"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="1"/></way>']
    rels = ['<relation id="20"><member type="way" ref="12" role="outer"/>'
            '<tag k="type" v="multipolygon"/><tag k="leisure" v="park"/></relation>']
    return ("<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\">\n"
            + "\n".join(nodes + ways + rels) + "\n</osm>\n").encode()


def test_categories_from_tags():
    assert osm_category({"amenity": "community_centre"}) == "community_centre"
    assert osm_category({"amenity": "doctors"}) == "gp_practice"
    assert osm_category({"leisure": "park"}) == "park"
    assert osm_category({"amenity": "social_facility", "social_facility": "outreach"}) == \
        "community_centre"
    assert osm_category({"leisure": "swimming_pool"}) is None          # a garden pool
    assert osm_category({"amenity": "cafe", "access": "private"}) is None
    assert osm_category({"highway": "footway"}) is None


@pytest.mark.parametrize("compress", [False, True])
def test_assets_and_network_blob(area_store, tmp_path, compress):
    data = osm_xml()
    path = tmp_path / ("x.osm.bz2" if compress else "x.osm")
    path.write_bytes(bz2.compress(data) if compress else data)
    rep = import_osm(area_store, path)
    blob = area_store.get_blob("osm")
    assert blob is not None and blob[0] == path.read_bytes()
    a = area_store.read_assets().set_index("id")
    assert set(a.index) == {"osm-node-1", "osm-way-10", "osm-relation-20"}
    assert a.at["osm-node-1", "category"] == "library"
    assert a.at["osm-node-1", "postcode"] == "M1 1AA"
    assert a.at["osm-node-1", "opening_hours"] == "Mo-Sa 09:00-17:00"
    assert a.at["osm-way-10", "category"] == "faith_venue"
    g = a.at["osm-way-10", "geometry"]
    lo, la = centre(0, 300, 300)
    assert g.x == pytest.approx(lo, abs=1e-4) and g.y == pytest.approx(la, abs=1e-4)
    assert a.at["osm-relation-20", "category"] == "park"
    assert any("outside" in n for n in rep.notes)           # the far pub
    assert (a["source"] == "osm").all()
    # the same extract again: nothing duplicated, the planner's rejection kept
    area_store.set_asset_status("osm-node-1", "rejected", expected_version=None,
                                changed_by="planner")
    import_osm(area_store, path)
    assert area_store.counts()["assets"] == 3
    assert area_store.get_asset("osm-node-1")["status"] == "rejected"


def test_without_areas_keeps_all(io_store, tmp_path):
    (tmp_path / "x.osm").write_bytes(osm_xml())
    import_osm(io_store, tmp_path / "x.osm")
    assert io_store.counts()["assets"] == 4


def test_bad_osm_files(area_store, tmp_path):
    before = snapshot(area_store)
    (tmp_path / "cut.osm").write_bytes(osm_xml()[:700])
    with pytest.raises(InputError, match="truncated"):
        import_osm(area_store, tmp_path / "cut.osm")
    (tmp_path / "cut.osm.bz2").write_bytes(bz2.compress(osm_xml())[:200])
    with pytest.raises(InputError):
        import_osm(area_store, tmp_path / "cut.osm.bz2")
    (tmp_path / "x.osm").write_text('{"type": "FeatureCollection"}')
    with pytest.raises(InputError, match="not an OpenStreetMap file"):
        import_osm(area_store, tmp_path / "x.osm")
    (tmp_path / "svg.osm").write_text("<?xml version='1.0'?><svg></svg>")
    with pytest.raises(InputError, match="not OpenStreetMap"):
        import_osm(area_store, tmp_path / "svg.osm")
    (tmp_path / "empty.osm").write_text("")
    with pytest.raises(InputError, match="empty"):
        import_osm(area_store, tmp_path / "empty.osm")
    (tmp_path / "bad.osm.pbf").write_bytes(b"not a pbf at all")
    with pytest.raises(InputError):
        import_osm(area_store, tmp_path / "bad.osm.pbf")
    assert snapshot(area_store) == before


@needs_realdata
def test_real_pbf_converts_like_the_xml(io_store):
    pytest.importorskip("osmium")
    leeds = REALDATA / "osm-leeds-its-example"
    rep = import_osm(io_store, leeds / "its-example.osm.pbf")
    n = rep.written["assets"]
    assert bz2.decompress(io_store.get_blob("osm")[0]).lstrip().startswith(b"<?xml")
    rep = import_osm(io_store, leeds / "its-example.osm.bz2")
    assert rep.written["assets"] == n and io_store.counts()["assets"] == n
    cats = io_store.read_assets()["category"].value_counts()
    assert cats["cafe_pub"] >= 19 and cats["pharmacy"] == 1


def test_new_categories_from_tags():
    assert osm_category({"amenity": "dentist"}) == "dentist"
    assert osm_category({"healthcare": "dentist"}) == "dentist"
    assert osm_category({"amenity": "hospital"}) == "hospital"
    assert osm_category({"amenity": "post_office"}) == "post_office"
    assert osm_category({"amenity": "food_bank"}) == "food_bank"
    assert osm_category({"amenity": "social_facility", "social_facility": "food_bank"}) == \
        "food_bank"
    assert osm_category({"highway": "bus_stop"}) == "transport_stop"
    assert osm_category({"railway": "station"}) == "transport_stop"
    assert osm_category({"railway": "tram_stop"}) == "transport_stop"
    assert osm_category({"public_transport": "platform"}) == "transport_stop"
    assert osm_category({"highway": "residential"}) is None


def stops_xml() -> bytes:
    """A bus stop mapped twice (its platform node and, 15 m away on the road, its
    stop_position), a lone stop_position, a tram platform way and a stop 1.5 km outside."""
    (x0, y0) = centre(1)
    (x1, y1) = centre(1, 515, 500)
    (x2, y2) = centre(2, 200, 200)
    (x3, y3), (x4, y4) = centre(3, 100, 100), centre(3, 300, 120)
    (x5, y5) = centre(0, -1500, 500)
    nodes = [f'<node id="1" lat="{y0}" lon="{x0}"><tag k="highway" v="bus_stop"/>'
             '<tag k="public_transport" v="platform"/><tag k="name" v="Market"/></node>',
             f'<node id="2" lat="{y1}" lon="{x1}"><tag k="public_transport" v="stop_position"/>'
             '<tag k="name" v="Market"/></node>',
             f'<node id="3" lat="{y2}" lon="{x2}"><tag k="public_transport" v="stop_position"/>'
             '</node>',
             f'<node id="4" lat="{y3}" lon="{x3}"/>', f'<node id="5" lat="{y4}" lon="{x4}"/>',
             f'<node id="6" lat="{y5}" lon="{x5}"><tag k="highway" v="bus_stop"/></node>',
             f'<node id="7" lat="{y0}" lon="{x3}"/>']
    ways = ['<way id="10"><nd ref="4"/><nd ref="5"/><tag k="railway" v="platform"/>'
            '<tag k="public_transport" v="platform"/><tag k="name" v="Tram Square"/></way>',
            '<way id="11"><nd ref="4"/><nd ref="7"/><nd ref="5"/>'
            '<tag k="highway" v="footway"/></way>']
    return ("<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\">\n"
            + "\n".join(nodes + ways) + "\n</osm>\n").encode()


def test_stops_without_duplicates_and_cross_border(area_store, tmp_path, monkeypatch):
    from assetmap.io.osm import Extract
    from assetmap.io.osm_xml import iter_elements  # noqa: F401 - the reader's own module
    monkeypatch.setattr("assetmap.settings.MIN_WALK_EDGES", 1)
    monkeypatch.setattr("assetmap.settings.MIN_NETWORK_INSIDE_SHARE", 0.0)
    (tmp_path / "s.osm").write_bytes(stops_xml())
    ex = Extract.read([stops_xml()], file="s.osm")
    ids = sorted(a["id"] for a in ex.assets)
    assert ids == ["osm-node-1", "osm-node-3", "osm-node-6", "osm-way-10"]
    tram = next(a for a in ex.assets if a["id"] == "osm-way-10")
    assert tram["footprint"].geom_type == "LineString"
    assert tram["footprint"].distance(__import__("shapely").Point(tram["lon"], tram["lat"])) \
        < 1e-9
    unnamed = next(a for a in ex.assets if a["id"] == "osm-node-3")
    assert unnamed["name"].startswith("Bus, tram or rail stop at ")
    rep = import_osm(area_store, tmp_path / "s.osm")
    a = area_store.read_assets().set_index("id")
    assert set(a.index) == set(ids) and a.at["osm-node-6", "cross_border"]
    assert not a.drop(index="osm-node-6")["cross_border"].any()
    assert any("1 OSM assets within 2 km outside the stored areas kept" in n for n in rep.notes)
    assert area_store.read_footprints()["id"].tolist() == ["osm-way-10"]
