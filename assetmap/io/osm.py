"""OpenStreetMap extracts: the walking network and community assets from tags.

``.osm`` and ``.osm.bz2`` (OSM XML) are stored as they are in the store blob ``osm``; the
analysis compiles the walking graph from it (cached by the blob's sha256). ``.osm.pbf`` is
converted to OSM XML with pyosmium (``pip install osmium``) and stored bz2-compressed.

Assets come from tagged nodes, ways (buildings and parks are often mapped as areas) and
multipolygon relations, mapped to AssetMap categories by :func:`osm_category`; one without
a name is named by its category and address or position.
Ids are ``osm-node-123`` / ``osm-way-45`` / ``osm-relation-6``, so re-importing an extract
updates rather than duplicates. Ways and multipolygons become a point on them (their
representative point) and keep their outline for the maps; a stop_position beside its
stop's platform is the same stop. When areas are stored, assets within
``settings.CROSS_BORDER_BUFFER_KM`` outside them are kept as cross-border supply and the
rest left out (extracts are cut by bounding box and usually reach beyond the local
authority).

The file is read once, streaming (:mod:`.osm_xml`: no DTDs or entities, the limits of
``settings.MAX_IMPORT_BYTES``, ``MAX_XML_TEXT_BYTES`` and ``MAX_OSM_ELEMENTS``, every id and
coordinate checked), so a bomb is refused within a megabyte. The extract's street network
replaces the stored one only when it validates (:func:`check_network`: enough walkable
segments, mostly inside the stored areas), in the same transaction as its assets; otherwise
nothing is written and the error says why.
"""
from __future__ import annotations

import bz2
import math
import tempfile
from array import array
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import LineString, Polygon

from .. import model, settings
from ..errors import InputError
from ..store.cover import EDGE_TOLERANCE_M
from . import assets_csv, osm_graph
from .asset_features import fallback_name
from .common import ImportReport, area_union, check_file, visible_text
from .limits import check_file_size, compression_of, iter_chunks
from .osm_xml import OsmXmlReader, iter_elements

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
    (("amenity", "dentist"), "dentist"),
    (("healthcare", "dentist"), "dentist"),
    (("amenity", "hospital"), "hospital"),
    (("healthcare", "hospital"), "hospital"),
    (("amenity", "post_office"), "post_office"),
    (("amenity", "food_bank"), "food_bank"),
    # food shops: where people buy everyday food (the IoD's "general store or supermarket",
    # and the village baker, butcher and farm shop); newsagents and off-licences are not.
    # After the amenities: a village shop that is also the post office files as the latter
    *((("shop", v), "food_shop") for v in (
        "supermarket", "convenience", "general", "greengrocer", "butcher", "bakery", "deli",
        "farm", "frozen_food", "health_food", "seafood", "cheese")),
    (("highway", "bus_stop"), "transport_stop"),
    (("railway", "station"), "transport_stop"),
    (("railway", "halt"), "transport_stop"),
    (("railway", "tram_stop"), "transport_stop"),
    (("public_transport", "station"), "transport_stop"),
    (("public_transport", "platform"), "transport_stop"),
    (("public_transport", "stop_position"), "transport_stop"),
    (("amenity", "social_facility"), "other"),
    (("amenity", "arts_centre"), "other"),
]
_INTERESTING = {k for (k, _), _c in TAG_CATEGORIES}
#: social_facility values that are food support (a food bank, a soup kitchen).
FOOD_SUPPORT = ("food_bank", "soup_kitchen")
#: A stop_position (where the vehicle halts, on the road) this close (metres) to another
#: mapped stop (its platform, the bus_stop node) is the same stop.
SAME_STOP_M = 40.0
#: Outlines of areas and lines are simplified to this (degrees; about a metre).
OUTLINE_TOLERANCE_DEG = 1e-5


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
            if k == "amenity" and v == "social_facility":
                sub = tags.get("social_facility")
                if sub in FOOD_SUPPORT:
                    return "food_bank"
                if sub in ("outreach", "day_care"):
                    return "community_centre"
            return cat
    return None


def _address(tags):
    parts = [" ".join(p for p in (tags.get("addr:housenumber"), tags.get("addr:street")) if p),
             tags.get("addr:city") or tags.get("addr:place") or tags.get("addr:suburb")]
    s = ", ".join(p for p in parts if p)
    return s or None


def _asset_from(kind, oid, tags, lon, lat, cat, footprint=None) -> dict:
    pc = model.normalise_postcode(tags.get("addr:postcode"))
    if pc is not None and not model.POSTCODE_RE.match(pc):
        pc = None
    desc = None
    if cat == "other":
        sub = tags.get("social_facility") or tags.get("amenity")
        desc = f"{tags.get('amenity', '').replace('_', ' ')}: {sub.replace('_', ' ')}" \
            if sub else None
    elif tags.get("religion") and cat == "faith_venue":
        desc = f"Place of worship ({tags['religion']})"
    contact = tags.get("phone") or tags.get("contact:phone") or tags.get("email") or \
        tags.get("contact:email")
    name = visible_text(tags.get("name")) or \
        fallback_name(cat, {"address": _address(tags)}, pc, (lon, lat))
    return {"id": f"osm-{kind}-{oid}", "name": name[:200], "category": cat,
            "description": desc, "address": _address(tags), "postcode": pc,
            "opening_hours": tags.get("opening_hours"), "contact": contact,
            "contact_public": True, "website": tags.get("website") or tags.get("contact:website"),
            "source": "osm", "source_ref": f"{kind}/{oid}", "status": None,
            "home_based": False, "lon": round(float(lon), 7), "lat": round(float(lat), 7),
            "footprint": footprint, "_stop_position": tags.get("public_transport") ==
            "stop_position" and cat == "transport_stop"}


def _place_of(shape, coords) -> tuple[float, float, object]:
    """(lon, lat, outline) of an area or line: a point on it (its representative point,
    inside even a U-shaped building) and its outline simplified to about a metre; the mean
    of ``coords`` when the shape is unusable."""
    try:
        if shape is not None and not shape.is_empty:
            if not shape.is_valid:
                shape = shapely.make_valid(shape)
            pt = shapely.point_on_surface(shape)
            if not pt.is_empty:
                return pt.x, pt.y, shapely.simplify(shape, OUTLINE_TOLERANCE_DEG,
                                                   preserve_topology=True)
    except (ValueError, shapely.errors.GEOSException):
        pass
    a = np.asarray(coords, dtype=float)
    return float(a[:, 0].mean()), float(a[:, 1].mean()), None


def _way_shape(coords):
    """A closed way as a polygon (a building, a park), an open one as a line."""
    if len(coords) >= 4 and coords[0] == coords[-1]:
        return Polygon(coords)
    return LineString(coords) if len(coords) >= 2 else None


def _drop_duplicate_stops(assets: list) -> list:
    """Without the stop_position nodes that lie within ``SAME_STOP_M`` of another mapped
    stop (the platform or bus_stop node of the same stop)."""
    stops = [a for a in assets if a["category"] == "transport_stop"]
    pos = [a for a in stops if a["_stop_position"]]
    others = [a for a in stops if not a["_stop_position"]]
    if not pos or not others:
        return assets
    lat0 = math.radians(float(np.mean([a["lat"] for a in stops])))
    xy = np.array([(a["lon"] * math.cos(lat0), a["lat"]) for a in others]) * 111_320.0
    tree = shapely.STRtree(shapely.points(xy))
    q = np.array([(a["lon"] * math.cos(lat0), a["lat"]) for a in pos]) * 111_320.0
    near = tree.query(shapely.points(q), predicate="dwithin", distance=SAME_STOP_M)
    drop = {id(pos[i]) for i in set(near[0].tolist())}
    return [a for a in assets if id(a) not in drop]


# --- the file: format, limits, conversion ------------------------------------------------------
def osm_format(path) -> str:
    """'xml', 'bz2', 'gzip' or 'pbf' (by content, the name only for PBF); InputError for a
    missing, empty, oversized or other kind of file."""
    p = check_file(path, kind="OSM file")
    check_file_size(p, file=str(path))
    if p.name.lower().endswith(".pbf"):
        return "pbf"
    with open(p, "rb") as f:
        head = f.read(512)
    kind = compression_of(head)
    if kind:
        return kind
    head = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"<?xml", b"<osm")):
        return "xml"
    raise InputError("not an OpenStreetMap file: expected .osm (XML), .osm.bz2 or .osm.pbf",
                     file=str(path))


def _pbf_to_xml(path, out: Path, file) -> None:
    """Convert a PBF file to OSM XML with pyosmium, at most ``MAX_OSM_ELEMENTS`` objects,
    refusing NUL bytes in tags."""
    try:
        import osmium
    except ImportError:
        raise InputError(".osm.pbf needs pyosmium: `pip install osmium`, or convert the "
                         "file first (osmium cat in.osm.pbf -o out.osm.bz2)", file=file) from None
    limit, n = settings.MAX_OSM_ELEMENTS, 0
    try:
        with osmium.SimpleWriter(str(out)) as w:
            for obj in osmium.FileProcessor(str(path)):
                n += 1
                if n > limit:
                    raise InputError(f"more than {limit:,} nodes, ways and relations; the "
                                     "limit is settings.MAX_OSM_ELEMENTS: cut the extract to "
                                     "the area (osmium extract)", file=file)
                for t in obj.tags:
                    if "\x00" in t.k or "\x00" in t.v:
                        kind = type(obj).__name__.lower()
                        raise InputError(f"a NUL byte in tag '{t.k.replace(chr(0), '')}' of "
                                         f"{kind} {obj.id}: a damaged or hostile file",
                                         file=file, field=f"tag {t.k}")
                w.add(obj)
    except InputError:
        raise
    except Exception as e:  # noqa: BLE001 - osmium raises RuntimeError and others for bad files
        raise InputError(f"not a readable OSM PBF file: {e}", file=file) from None


def read_extract(path, *, file) -> tuple[bytes, Extract]:
    """(bytes to store, what the extract holds), reading the file once, streaming, with
    every check of :mod:`.osm_xml`. OSM XML and .osm.bz2 are stored as they are; gzip and
    PBF (converted to OSM XML with pyosmium) are stored bz2-compressed."""
    kind = osm_format(path)
    if kind in ("xml", "bz2"):
        extract = Extract.read(iter_chunks(path, file=file), file=file)
        return Path(path).read_bytes(), extract
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(path)
        if kind == "pbf":
            src = Path(tmp) / "extract.osm"
            _pbf_to_xml(path, src, file)
        comp = bz2.BZ2Compressor(6)
        parts: list[bytes] = []

        def tee():
            for chunk in iter_chunks(src, file=file):
                parts.append(comp.compress(chunk))
                yield chunk
        extract = Extract.read(tee(), file=file)
        parts.append(comp.flush())
    return b"".join(parts), extract


# --- what an extract holds ---------------------------------------------------------------------
def walkable_way(tags: dict, non_walkable=None) -> bool:
    """Whether a pedestrian may use a way: the rule the street graph is built with
    (:func:`assetmap.io.osm_graph.walkable`)."""
    return osm_graph.walkable(tags, non_walkable)


class Extract:
    """Community assets and street-network figures of one OSM extract (:meth:`read`)."""

    def __init__(self, file):
        self.file = file
        self.nodes: dict[int, tuple] = {}
        self.ways: dict[int, array] = {}
        self.walk_ways: list[int] = []
        self.assets: list[dict] = []
        self.relations: list = []
        self.counts = {"nodes": 0, "ways": 0, "relations": 0}

    @classmethod
    def read(cls, chunks, *, file) -> Extract:
        ex = cls(file)
        reader = OsmXmlReader(file)
        for el in iter_elements(chunks, file=file, reader=reader):
            ex.add(el)
        ex.counts = dict(reader.counts)
        if ex.counts["nodes"] == 0:
            raise InputError("the OSM file holds no nodes", file=file)
        ex.finish()
        return ex

    def add(self, el) -> None:
        tags = el.tags
        if el.kind == "node":
            self.nodes[el.id] = (el.lon, el.lat)
            if tags and _INTERESTING & tags.keys():
                cat = osm_category(tags)
                if cat:
                    self.assets.append(_asset_from("node", el.id, tags, el.lon, el.lat, cat))
        elif el.kind == "way":
            self.ways[el.id] = array("q", el.refs)
            if "highway" in tags and walkable_way(tags):
                self.walk_ways.append(el.id)
            if tags and _INTERESTING & tags.keys():
                cat = osm_category(tags)
                pts = [self.nodes[r] for r in el.refs if r in self.nodes] if cat else []
                if pts:
                    lon, lat, outline = _place_of(_way_shape(pts), pts)
                    self.assets.append(_asset_from("way", el.id, tags, lon, lat, cat, outline))
        elif tags.get("type") == "multipolygon" and _INTERESTING & tags.keys():
            cat = osm_category(tags)
            if cat:
                self.relations.append((el.id, dict(tags), list(el.members), cat))

    def finish(self) -> None:
        for rid, tags, members, cat in self.relations:
            pts, lines = [], []
            for mtype, ref, role in members:
                if mtype == "way" and role in ("outer", "") and ref in self.ways:
                    way = [self.nodes[r] for r in self.ways[ref] if r in self.nodes]
                    pts += way
                    if len(way) >= 2:
                        lines.append(LineString(way))
            if pts:
                shape = shapely.union_all(shapely.get_parts(shapely.polygonize(lines))) \
                    if lines else None
                lon, lat, outline = _place_of(shape, pts)
                self.assets.append(_asset_from("relation", rid, tags, lon, lat, cat, outline))
        self.assets = _drop_duplicate_stops(self.assets)

    def walk_network(self) -> tuple[int, np.ndarray]:
        """(walkable street segments, lon/lat array of their distinct nodes)."""
        edges, used = 0, set()
        nodes = self.nodes
        for wid in self.walk_ways:
            refs = self.ways[wid]
            for a, b in zip(refs[:-1], refs[1:]):
                if a != b and a in nodes and b in nodes:
                    edges += 1
                    used.add(a)
                    used.add(b)
        pts = np.array([nodes[n] for n in used], dtype=float).reshape(-1, 2)
        return edges, pts


def check_network(extract: Extract, union, *, file, replacing: bool) -> int:
    """Refuse an extract whose street network cannot replace the stored one: fewer than
    ``MIN_WALK_EDGES`` walkable segments, or less than ``MIN_NETWORK_INSIDE_SHARE`` of their
    nodes inside (or within ``NETWORK_AREA_MARGIN_M`` of) the stored areas' bounding box.
    Returns the number of walkable segments."""
    kept = "the stored street network is kept" if replacing else "nothing was stored"
    edges, pts = extract.walk_network()
    if edges < settings.MIN_WALK_EDGES:
        raise InputError(f"the extract has {edges} walkable street segment(s); a street "
                         f"network needs at least {settings.MIN_WALK_EDGES} "
                         f"(settings.MIN_WALK_EDGES): {kept}", file=file, field="highway")
    if union is not None and len(pts):
        x0, y0, x1, y1 = union.bounds
        dlat = settings.NETWORK_AREA_MARGIN_M / 111_320.0
        dlon = dlat / max(0.1, math.cos(math.radians((y0 + y1) / 2)))
        near = (pts[:, 0] >= x0 - dlon) & (pts[:, 0] <= x1 + dlon) & \
            (pts[:, 1] >= y0 - dlat) & (pts[:, 1] <= y1 + dlat)
        share = float(near.mean())
        if share < settings.MIN_NETWORK_INSIDE_SHARE:
            raise InputError(
                f"only {share:.0%} of the extract's street nodes lie within "
                f"{settings.NETWORK_AREA_MARGIN_M / 1000:g} km of the stored areas (at least "
                f"{settings.MIN_NETWORK_INSIDE_SHARE:.0%} needed, "
                "settings.MIN_NETWORK_INSIDE_SHARE): is it the right place? " + kept,
                file=file, field="highway")
    return edges


def replace_network(store, conn, data: bytes, *, file) -> str:
    """Store ``data`` as the street network (blob ``osm``) and the file's name, inside the
    caller's transaction (existing Store methods only); returns its sha256."""
    digest = store.put_blob(OSM_BLOB, data, conn=conn)
    store.set_meta("osm_file", Path(file).name, conn=conn)
    return digest


def _near_areas(assets: list, cover, report) -> list:
    """The assets inside the stored areas or within ``settings.CROSS_BORDER_BUFFER_KM`` of
    them (kept as cross-border supply); the others left out; both counted in the report."""
    if cover is None:
        return assets
    limit = max(float(settings.CROSS_BORDER_BUFFER_KM) * 1000.0, EDGE_TOLERANCE_M)
    d = cover.distance_m([a["lon"] for a in assets], [a["lat"] for a in assets],
                         within_m=limit)
    out = int((d > limit).sum())
    near = int(((d > EDGE_TOLERANCE_M) & (d <= limit)).sum())
    kept = [a for a, k in zip(assets, d <= limit) if k]
    if out:
        report.notes.append(f"{out} OSM assets outside the stored areas (more than "
                            f"{settings.CROSS_BORDER_BUFFER_KM:g} km away) left out")
    if near:
        report.notes.append(f"{near} OSM assets within {settings.CROSS_BORDER_BUFFER_KM:g} km "
                            "outside the stored areas kept as cross-border supply "
                            "(settings.CROSS_BORDER_BUFFER_KM)")
    if not kept:
        report.notes.append("the extract has no community assets inside the stored "
                            "areas (is it the right place?)")
    return kept


def import_osm(store, path, *, skip_bad: bool = False) -> ImportReport:
    """Store the extract (for the walking graph) and its community assets, in one
    transaction; the street network replaces the stored one only once it has validated
    (:func:`check_network`), else nothing changes."""
    file = str(path)
    report = ImportReport("osm", file)
    data, extract = read_extract(path, file=file)
    counts = extract.counts
    report.notes.append(f"read {counts['nodes']} nodes, {counts['ways']} ways, "
                        f"{counts['relations']} relations")
    assets = extract.assets
    with store.transaction() as conn:
        union = area_union(store, conn)
        edges = check_network(extract, union, file=file,
                              replacing=store.blob_hash(OSM_BLOB, conn=conn) is not None)
        digest = replace_network(store, conn, data, file=file)
        report.add("street network (blob 'osm')", 1)
        report.notes.append(f"walking network stored ({edges} walkable segments, sha256 "
                            f"{digest[:12]}); `assetmap analyse` compiles it once and caches it")
        if union is not None and assets:
            assets = _near_areas(assets, store.area_cover(conn=conn), report)
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
