"""OpenStreetMap extracts: the walking network and community assets from tags.

``.osm`` and ``.osm.bz2`` (OSM XML) are stored as they are in the store blob ``osm``; the
analysis compiles the walking graph from it (cached by the blob's sha256). ``.osm.pbf`` is
converted to OSM XML with pyosmium (``pip install osmium``) and stored bz2-compressed.

Assets come from tagged nodes, ways (their centroid: buildings and parks are often mapped as
areas) and multipolygon relations, mapped to AssetMap categories by :func:`osm_category`.
Ids are ``osm-node-123`` / ``osm-way-45`` / ``osm-relation-6``, so re-importing an extract
updates rather than duplicates. When areas are stored, assets outside them are left out
(extracts are cut by bounding box and usually reach beyond the local authority).
"""
from __future__ import annotations

import bz2
import gzip
import io
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import Polygon

from .. import model
from ..errors import InputError
from ..settings import ANALYSIS_CRS, STORAGE_CRS
from . import assets_csv
from .common import ImportReport, area_union, check_file, inside

OSM_BLOB = "osm"

#: (key, value) -> category; value None = any value. First match wins.
TAG_CATEGORIES = [
    (("amenity", "community_centre"), "community_centre"),
    (("amenity", "social_centre"), "community_centre"),
    (("amenity", "village_hall"), "community_centre"),
    (("amenity", "library"), "library"),
    (("amenity", "place_of_worship"), "faith_venue"),
    (("amenity", "cafe"), "cafe_pub"),
    (("amenity", "pub"), "cafe_pub"),
    (("amenity", "bar"), "cafe_pub"),
    (("amenity", "doctors"), "gp_practice"),
    (("healthcare", "doctor"), "gp_practice"),
    (("amenity", "pharmacy"), "pharmacy"),
    (("healthcare", "pharmacy"), "pharmacy"),
    (("leisure", "park"), "park"),
    (("leisure", "garden"), "park"),
    (("leisure", "common"), "park"),
    (("landuse", "village_green"), "park"),
    (("leisure", "sports_centre"), "sport_leisure"),
    (("leisure", "fitness_centre"), "sport_leisure"),
    (("leisure", "swimming_pool"), "sport_leisure"),
    (("leisure", "sports_hall"), "sport_leisure"),
    (("amenity", "social_facility"), "other"),
    (("amenity", "arts_centre"), "other"),
]
_INTERESTING = {k for (k, _), _c in TAG_CATEGORIES}


def osm_category(tags: dict) -> str | None:
    """The AssetMap category of an OSM object's tags, or None if it is not a community
    asset (private access, garden at a house, swimming pool in a back yard...)."""
    if tags.get("access") in ("private", "no") or tags.get("disused") == "yes":
        return None
    for (k, v), cat in TAG_CATEGORIES:
        if tags.get(k) == v:
            if k == "leisure" and v in ("garden", "swimming_pool") and \
                    tags.get("access") not in ("yes", "public", "permissive"):
                continue
            if k == "amenity" and v == "social_facility" and \
                    tags.get("social_facility") in ("outreach", "day_care", "food_bank",
                                                    "soup_kitchen"):
                return "community_centre"
            return cat
    return None


def _address(tags):
    parts = [" ".join(p for p in (tags.get("addr:housenumber"), tags.get("addr:street")) if p),
             tags.get("addr:city") or tags.get("addr:place") or tags.get("addr:suburb")]
    s = ", ".join(p for p in parts if p)
    return s or None


def _asset_from(kind, oid, tags, lon, lat, cat) -> dict:
    pc = model.normalise_postcode(tags.get("addr:postcode"))
    if pc is not None and not model.POSTCODE_RE.match(pc):
        pc = None
    label = model.ASSET_CATEGORIES[cat]
    desc = None
    if cat == "other":
        sub = tags.get("social_facility") or tags.get("amenity")
        desc = f"{tags.get('amenity', '').replace('_', ' ')}: {sub.replace('_', ' ')}" \
            if sub else None
    elif tags.get("religion") and cat == "faith_venue":
        desc = f"Place of worship ({tags['religion']})"
    contact = tags.get("phone") or tags.get("contact:phone") or tags.get("email") or \
        tags.get("contact:email")
    return {"id": f"osm-{kind}-{oid}", "name": (tags.get("name") or f"{label} (unnamed)")[:200],
            "category": cat, "description": desc, "address": _address(tags), "postcode": pc,
            "opening_hours": tags.get("opening_hours"), "contact": contact,
            "contact_public": True, "website": tags.get("website") or tags.get("contact:website"),
            "source": "osm", "source_ref": f"{kind}/{oid}", "status": None,
            "home_based": False, "lon": round(float(lon), 7), "lat": round(float(lat), 7)}


def _centroid(coords):
    """Centroid of a closed ring (area-weighted, in projected-ish lon/lat; fine at this
    scale), else of the line's points."""
    if len(coords) >= 4 and coords[0] == coords[-1]:
        try:
            c = Polygon(coords).centroid
            if not c.is_empty:
                return c.x, c.y
        except (ValueError, shapely.errors.GEOSException):
            pass
    a = np.asarray(coords, dtype=float)
    return float(a[:, 0].mean()), float(a[:, 1].mean())


def open_osm(path) -> tuple[bytes, bool]:
    """(bytes to store, is_bz2). PBF is converted with pyosmium; gzip is unpacked."""
    p = check_file(path, kind="OSM file")
    name = p.name.lower()
    if name.endswith(".pbf"):
        try:
            import osmium
        except ImportError:
            raise InputError(".osm.pbf needs pyosmium: `pip install osmium`, or convert the "
                             "file first (osmium cat in.osm.pbf -o out.osm.bz2)",
                             file=str(path)) from None
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "extract.osm"
            try:
                with osmium.SimpleWriter(str(out)) as w:
                    for obj in osmium.FileProcessor(str(p)):
                        w.add(obj)
            except Exception as e:  # osmium raises RuntimeError for bad files
                raise InputError(f"not a readable OSM PBF file: {e}", file=str(path)) from None
            xml = out.read_bytes()
        return bz2.compress(xml, 6), True
    data = p.read_bytes()
    if data[:3] == b"BZh":
        return data, True
    if data[:2] == b"\x1f\x8b":
        try:
            return bz2.compress(gzip.decompress(data), 6), True
        except (OSError, EOFError) as e:
            raise InputError(f"the gzip file is damaged or truncated: {e}", file=str(path)) \
                from None
    head = data[:512].lstrip()
    if head.startswith(b"<?xml") or head.startswith(b"<osm"):
        if b"<osm" not in data[:4096]:
            raise InputError("this XML file is not OpenStreetMap data (no <osm> element)",
                             file=str(path))
        return data, False
    raise InputError("not an OpenStreetMap file: expected .osm (XML), .osm.bz2 or .osm.pbf",
                     file=str(path))


def read_osm_assets(data: bytes, is_bz2: bool, *, file) -> tuple[list, dict]:
    """Assets (dicts with lon/lat) from OSM XML bytes, and counts of what was read."""
    stream = bz2.BZ2File(io.BytesIO(data)) if is_bz2 else io.BytesIO(data)
    nodes: dict[int, tuple] = {}
    ways: dict[int, list] = {}
    assets = []
    relations = []
    counts = {"nodes": 0, "ways": 0, "relations": 0}
    saw_osm = False
    tags: dict = {}
    refs: list = []
    members: list = []
    try:
        for event, el in ET.iterparse(stream, events=("start", "end")):
            tag = el.tag
            if event == "start":
                if tag == "osm":
                    saw_osm = True
                elif tag in ("node", "way", "relation"):
                    tags, refs, members = {}, [], []
                continue
            if tag == "tag":
                tags[el.get("k")] = el.get("v")
            elif tag == "nd":
                refs.append(int(el.get("ref")))
            elif tag == "member":
                members.append((el.get("type"), int(el.get("ref")), el.get("role")))
            elif tag == "node":
                counts["nodes"] += 1
                nid = int(el.get("id"))
                lon, lat = float(el.get("lon")), float(el.get("lat"))
                nodes[nid] = (lon, lat)
                if tags and _INTERESTING & tags.keys():
                    cat = osm_category(tags)
                    if cat:
                        assets.append(_asset_from("node", nid, tags, lon, lat, cat))
                el.clear()
            elif tag == "way":
                counts["ways"] += 1
                wid = int(el.get("id"))
                ways[wid] = refs
                if tags and _INTERESTING & tags.keys():
                    cat = osm_category(tags)
                    pts = [nodes[r] for r in refs if r in nodes]
                    if cat and pts:
                        lon, lat = _centroid(pts)
                        assets.append(_asset_from("way", wid, tags, lon, lat, cat))
                el.clear()
            elif tag == "relation":
                counts["relations"] += 1
                if tags.get("type") == "multipolygon" and _INTERESTING & tags.keys():
                    cat = osm_category(tags)
                    if cat:
                        relations.append((int(el.get("id")), dict(tags), list(members), cat))
                el.clear()
    except ET.ParseError as e:
        line = e.position[0] if hasattr(e, "position") else None
        raise InputError(f"malformed or truncated OSM XML ({e})", file=file, row=line) from None
    except (OSError, EOFError) as e:
        raise InputError(f"the compressed file is damaged or truncated: {e}", file=file) \
            from None
    if not saw_osm:
        raise InputError("this XML file is not OpenStreetMap data (no <osm> element)", file=file)
    if counts["nodes"] == 0:
        raise InputError("the OSM file holds no nodes", file=file)
    for rid, tags, members, cat in relations:
        pts = []
        for mtype, ref, role in members:
            if mtype == "way" and role in ("outer", "") and ref in ways:
                pts += [nodes[r] for r in ways[ref] if r in nodes]
        if pts:
            a = np.asarray(pts)
            lon, lat = float(a[:, 0].mean()), float(a[:, 1].mean())
            assets.append(_asset_from("relation", rid, tags, lon, lat, cat))
    return assets, counts


def import_osm(store, path, *, skip_bad: bool = False) -> ImportReport:
    """Store the extract (for the walking graph) and its community assets, in one
    transaction."""
    file = str(path)
    report = ImportReport("osm", file)
    data, is_bz2 = open_osm(path)
    assets, counts = read_osm_assets(data, is_bz2, file=file)
    report.notes.append(f"read {counts['nodes']} nodes, {counts['ways']} ways, "
                        f"{counts['relations']} relations")
    with store.transaction() as conn:
        digest = store.put_blob(OSM_BLOB, data, conn=conn)
        store.set_meta("osm_file", Path(file).name, conn=conn)
        report.add("street network (blob 'osm')", 1)
        report.notes.append(f"walking network stored (sha256 {digest[:12]}); `assetmap "
                            "analyse` compiles it once and caches it")
        union = area_union(store, conn)
        if union is not None and assets:
            ok = inside(union, [a["lon"] for a in assets], [a["lat"] for a in assets])
            out = int((~ok).sum())
            assets = [a for a, k in zip(assets, ok) if k]
            if out:
                report.notes.append(f"{out} OSM assets outside the stored areas left out")
            if not assets:
                report.notes.append("the extract has no community assets inside the stored "
                                    "areas (is it the right place?)")
        for k, a in enumerate(assets, start=1):
            a["_row"] = k
        if assets:
            assets_csv.dedupe_against_store(assets, [], store, conn, report, match=False)
            for a in assets:
                if a.get("status") is None:
                    a["status"] = "approved"
            assets_csv.write_assets(store, conn, assets, [], file=file, report=report,
                                    skip_bad=skip_bad)
    return report
