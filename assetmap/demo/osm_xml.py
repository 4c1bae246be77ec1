"""The street network, the river and the assets' points of interest as OSM XML
(what ``assetmap.analysis.network`` reads back as the walking graph).
"""
from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import Polygon

from .assets import PUBS
from .geography import RIVER_NAME, River, xy_to_lonlat

#: OSM tag of each asset category mapped as a point of interest (cafes and pubs by name).
OSM_TAGS = {"cafe_pub": None, "faith_venue": ("amenity", "place_of_worship"),
            "park": ("leisure", "park"), "community_centre": ("amenity", "community_centre"),
            "sport_leisure": ("leisure", "sports_centre"), "pharmacy": ("amenity", "pharmacy"),
            "gp_practice": ("amenity", "doctors"), "library": ("amenity", "library")}


def to_osm_xml(nodes, ways, river: River, bnd: Polygon, pois) -> tuple[bytes, dict, dict]:
    """OSM XML of the street ways, the river and the points of interest ``pois`` ((tags,
    (lon, lat)) pairs); returns (bytes, counts of nodes and ways, edge index -> way name)."""
    nodes = np.asarray(nodes)
    lon, lat = xy_to_lonlat(nodes)
    node_lines = []
    for i in range(len(nodes)):
        node_lines.append(f'  <node id="{i + 1}" lat="{lat[i]:.7f}" lon="{lon[i]:.7f}"/>')
    next_id = len(nodes) + 1
    way_lines = []
    extra_xy = []
    edge_name = {}
    for w in ways:
        refs: list[int] = []
        for a, b, c in w["parts"]:
            if not refs:
                refs.append(a + 1)
            for pt in c[1:-1]:
                extra_xy.append(pt)
                refs.append(next_id)
                next_id += 1
            refs.append(b + 1)
        for k in w["edges"]:
            edge_name[k] = w["name"]
        way_lines.append((refs, _way_tags(w)))
    # the river itself (not part of the street network)
    rl = shapely.intersection(river.line, bnd.buffer(300.0))
    rxy = shapely.get_coordinates(rl)[::2]
    river_refs = []
    for pt in rxy:
        extra_xy.append(pt)
        river_refs.append(next_id)
        next_id += 1
    way_lines.append((river_refs, [("waterway", "river"), ("name", RIVER_NAME)]))
    if extra_xy:
        ex = np.asarray(extra_xy)
        elon, elat = xy_to_lonlat(ex)
        base_id = len(nodes) + 1
        for i in range(len(ex)):
            node_lines.append(f'  <node id="{base_id + i}" lat="{elat[i]:.7f}" '
                              f'lon="{elon[i]:.7f}"/>')
    for tags, (plon, plat) in pois:
        t = "".join(f'<tag k="{_x(k)}" v="{_x(v)}"/>' for k, v in tags)
        node_lines.append(f'  <node id="{next_id}" lat="{plat:.7f}" lon="{plon:.7f}">{t}</node>')
        next_id += 1
    all_lat = np.r_[lat, elat] if extra_xy else lat
    all_lon = np.r_[lon, elon] if extra_xy else lon
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<osm version="0.6" generator="assetmap demo (synthetic Ashbrook)">',
           f'  <bounds minlat="{all_lat.min():.7f}" minlon="{all_lon.min():.7f}" '
           f'maxlat="{all_lat.max():.7f}" maxlon="{all_lon.max():.7f}"/>']
    out += node_lines
    for w_i, (refs, tags) in enumerate(way_lines):
        body = "".join(f'<nd ref="{r}"/>' for r in refs)
        body += "".join(f'<tag k="{_x(k)}" v="{_x(v)}"/>' for k, v in tags)
        out.append(f'  <way id="{w_i + 1}">{body}</way>')
    out.append("</osm>\n")
    stats = {"osm_nodes": next_id - 1, "osm_ways": len(way_lines),
             "street_nodes": len(nodes) + len(extra_xy) - len(river_refs)}
    return "\n".join(out).encode("utf-8"), stats, edge_name


def _way_tags(w) -> list[tuple[str, str]]:
    """The OSM tags of a street way (highway class, name, bridge, surface hints)."""
    tags = [("highway", w["cls"])]
    if w["name"]:
        tags.append(("name", w["name"]))
    if w["bridge"]:
        tags += [("bridge", "yes"), ("layer", "1")]
    if w["cls"] == "track":
        tags.append(("tracktype", "grade2"))
    if w["cls"] == "footway" and w["zone"] == "rural":
        tags.append(("designation", "public_footpath"))
    if w["cls"] == "primary":
        tags.append(("maxspeed", "30 mph"))
    if w["cls"] == "service":
        tags.append(("service", "parking_aisle"))
    if w["cls"] in ("residential", "service", "tertiary", "primary", "unclassified"):
        tags.append(("sidewalk", "both" if w["zone"] in ("grid", "suburb", "culdesac")
                     else "no"))
    return tags


def asset_pois(rows, lon, lat) -> list:
    """The assets OSM would map as points of interest: (tags, (lon, lat)) in asset order."""
    pois = []
    for r, (lo, la) in zip(rows, zip(lon, lat)):
        cat = r["category"]
        tag: tuple[str, str] | None
        if cat == "cafe_pub":
            tag = ("amenity", "pub" if r["name"] in PUBS or "Inn" in r["name"] else "cafe")
        else:
            tag = OSM_TAGS.get(cat)
        if tag is None:
            continue
        pois.append(([tag, ("name", r["name"])], (round(float(lo), 7), round(float(la), 7))))
    return pois


def _x(s) -> str:
    return (str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))
