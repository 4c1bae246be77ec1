"""The street network of an OSM file, read with pyosmium: every segment (a pair of
consecutive nodes of a way) a pedestrian or a car may use.

One pass over the file in libosmium's C++ reader (node locations kept in its own index, so
no Python object per node): only ways with a ``highway`` tag reach Python, and of those only
the ones the travel mode may use (:func:`walkable`, :func:`drivable`). ``.osm.pbf``,
``.osm`` and ``.osm.bz2`` / ``.osm.gz`` (paths or bytes) are read; XML goes through the
importer's :class:`~assetmap.io.limits.XmlGuard` first (no DTD or entity, no run of text
past ``MAX_XML_TEXT_BYTES``, at most ``MAX_IMPORT_BYTES`` decompressed), so a bomb stops in
seconds with an :class:`InputError`.

The rules and the result are those of ``osmnx.graph_from_xml(..., simplify=False,
retain_all=True)`` with the same filter applied to its edges (the tests hold the two equal,
node for node and segment for segment): consecutive repeats of a node in a way are dropped;
coordinates are projected to ``settings.ANALYSIS_CRS`` and segment lengths are straight
distances in those metres. Driving honours ``oneway`` (``yes``/``true``/``1``, reversed for
``-1``/``reverse``) and roundabouts as osmnx does; walking ignores it. A segment whose node
is missing from the file (an extract cut through a way) is left out.
"""
from __future__ import annotations

import bz2
import re
import tempfile
import zlib
from array import array
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import settings
from ..errors import InputError
from ..projection import to_grid
from .limits import CHUNK, XmlGuard, compression_of, human, too_big

#: osmnx's one-way values (``osmnx.graph._add_paths``) and those meaning "against the way".
ONEWAY_VALUES = frozenset({"yes", "true", "1", "-1", "reverse", "T", "F"})
REVERSED_VALUES = frozenset({"-1", "reverse", "T"})
FILE = "the street network"


# --- which ways a mode may use ---------------------------------------------------------------
def walkable(tags, non_walkable=None) -> bool:
    """A pedestrian may use the way: a ``highway`` not in ``NON_WALKABLE_HIGHWAYS``, not
    ``foot=no``, not private (``access`` private or no) without a foot permission."""
    hw = tags.get("highway")
    if hw is None or hw in (settings.NON_WALKABLE_HIGHWAYS if non_walkable is None
                            else non_walkable):
        return False
    foot = tags.get("foot")
    if foot == "no":
        return False
    return not (tags.get("access") in ("private", "no")
                and foot not in ("yes", "designated", "permissive"))


def _drive_patterns() -> list[tuple[str, re.Pattern]]:
    return [(k, re.compile("|".join(map(re.escape, v))))
            for k, v in settings.DRIVE_EXCLUDED.items()]


def drivable(tags, patterns=None) -> bool:
    """A car may use the way: osmnx's "drive" filter (``settings.DRIVE_EXCLUDED``)."""
    if tags.get("highway") is None:
        return False
    for key, pat in (patterns or _drive_patterns()):
        value = tags.get(key)
        if value is not None and pat.search(value):
            return False
    return True


def drive_directions(tags) -> tuple[bool, bool]:
    """(along the way's node order, against it) as a car may drive it (osmnx's rules)."""
    ow = tags.get("oneway")
    one = ow in ONEWAY_VALUES or tags.get("junction") == "roundabout"
    if not one:
        return True, True
    rev = ow in REVERSED_VALUES
    return (not rev), rev


# --- the result ------------------------------------------------------------------------------
@dataclass
class Streets:
    """The usable segments of one OSM file for one mode (nodes sorted by OSM id)."""

    mode: str
    osmid: np.ndarray       # (n,) int64 node ids
    x: np.ndarray           # (n,) EPSG:27700 metres
    y: np.ndarray
    a: np.ndarray           # (m,) int64 node positions of each segment, in way order
    b: np.ndarray
    fwd: np.ndarray         # (m,) bool: a -> b allowed
    bwd: np.ndarray         # (m,) bool: b -> a allowed
    way: np.ndarray         # (m,) int64 index into the per-way lists below
    highway: list           # per way: its highway value
    maxspeed: list          # per way: its raw maxspeed value or None

    @property
    def length(self) -> np.ndarray:
        """Straight length of each segment (m)."""
        return np.hypot(self.x[self.a] - self.x[self.b], self.y[self.a] - self.y[self.b])


# --- opening the file ------------------------------------------------------------------------
def _guard_xml(chunks, out) -> None:
    guard = XmlGuard(FILE)
    for c in chunks:
        guard.feed(c)
        if out is not None:
            out.write(c)


def _decompressed(data: bytes, kind: str):
    """The content of bz2 (multi-stream) or gzip (multi-member) bytes, in chunks, at most
    ``MAX_IMPORT_BYTES``."""
    limit, total, rest = settings.MAX_IMPORT_BYTES, 0, data
    while rest:
        d = bz2.BZ2Decompressor() if kind == "bz2" else zlib.decompressobj(31)
        feed = rest
        while True:
            try:
                chunk = d.decompress(feed, 8 * CHUNK)
            except (OSError, EOFError, ValueError, zlib.error) as e:
                raise InputError(f"the {kind} data is damaged or truncated ({e})",
                                 file=FILE) from None
            total += len(chunk)
            if total > limit:
                raise too_big(FILE, f"the file holds more than {human(limit)} once "
                              "decompressed", "MAX_IMPORT_BYTES", limit)
            if chunk:
                yield chunk
            if d.eof:
                break
            feed = getattr(d, "unconsumed_tail", b"")
            if not chunk and not feed and getattr(d, "needs_input", True):
                raise InputError(f"the {kind} data is truncated", file=FILE)
        rest = d.unused_data


def _kind(head: bytes, name: str = "") -> str:
    comp = compression_of(head)
    if comp:
        return comp
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<":
        return "xml"
    if name.lower().endswith(".pbf") or head[4:15] == b"\n\tOSMHeader":
        return "pbf"
    raise InputError("not an OpenStreetMap file: expected .osm.pbf, .osm (XML) or .osm.bz2",
                     file=FILE, field="osm")


def _as_bytes_or_path(osm) -> tuple[bytes, Path | None]:
    """(the bytes, None) or (b"", the path) of ``osm``, within the size limit."""
    if isinstance(osm, (str, Path)):
        p = Path(osm)
        if p.stat().st_size > settings.MAX_IMPORT_BYTES:
            raise too_big(FILE, f"the file is {human(p.stat().st_size)}", "MAX_IMPORT_BYTES",
                          settings.MAX_IMPORT_BYTES)
        return b"", p
    data = bytes(osm)
    if len(data) > settings.MAX_IMPORT_BYTES:
        raise too_big(FILE, f"the file is {human(len(data))}", "MAX_IMPORT_BYTES",
                      settings.MAX_IMPORT_BYTES)
    return data, None


def _slices(data: bytes):
    for i in range(0, len(data), CHUNK):
        yield data[i:i + CHUNK]


def _file_chunks(path: Path):
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


# --- reading ---------------------------------------------------------------------------------
def read_streets(osm, mode: str = "walk", *, non_walkable=None) -> Streets:
    """The ``mode`` ("walk" or "drive") street segments of an OSM file (a path or bytes).
    InputError for a file that is not OSM, is damaged, passes a limit, or has no usable
    street."""
    if mode not in settings.TRAVEL_MODES:
        raise InputError(f"travel mode must be one of {', '.join(settings.TRAVEL_MODES)}, "
                         f"not '{mode}'", field="mode")
    with tempfile.TemporaryDirectory() as tmp:
        return _read(_open(osm, Path(tmp)), mode, non_walkable)


def _open(osm, tmp: Path):
    """An osmium File or FileBuffer of ``osm``; compressed XML is decompressed (and XML
    checked) into the folder ``tmp``."""
    import osmium
    data, path = _as_bytes_or_path(osm)
    if path is not None:
        with open(path, "rb") as f:
            head = f.read(64)
    else:
        head = data[:64]
    kind = _kind(head, "" if path is None else path.name)
    if kind in ("pbf", "xml"):
        fmt = "pbf" if kind == "pbf" else "osm"
        if kind == "xml":
            _guard_xml(_slices(data) if path is None else _file_chunks(path), None)
        return osmium.io.FileBuffer(data, fmt) if path is None else osmium.io.File(str(path), fmt)
    raw = data if path is None else path.read_bytes()
    out_path = tmp / "streets.osm"
    with open(out_path, "wb") as out:
        _guard_xml(_decompressed(raw, kind), out)
    return osmium.io.File(str(out_path), "osm")


def _way_filter(mode: str, non_walkable):
    """The per-way test: (keep, along, against)."""
    if mode == "walk":
        nw = set(settings.NON_WALKABLE_HIGHWAYS if non_walkable is None else non_walkable)
        return lambda tags: (walkable(tags, nw), True, True)
    pats = _drive_patterns()

    def drive(tags):
        if not drivable(tags, pats):
            return False, False, False
        f, b = drive_directions(tags)
        return True, f, b
    return drive


def _read(src, mode: str, non_walkable) -> Streets:
    """One pass over ``src`` (an osmium File or FileBuffer)."""
    import osmium
    keep = _way_filter(mode, non_walkable)
    refs, lon, lat, wstart = array("q"), array("d"), array("d"), array("q")
    fwd, bwd, highway, maxspeed = array("b"), array("b"), [], []
    try:
        fp = osmium.FileProcessor(src, osmium.osm.NODE | osmium.osm.WAY).with_locations() \
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY)) \
            .with_filter(osmium.filter.KeyFilter("highway"))
        for w in fp:
            ok, f, b = keep(w.tags)
            if not ok:
                continue
            wstart.append(len(refs))
            fwd.append(f)
            bwd.append(b)
            highway.append(w.tags.get("highway"))
            maxspeed.append(w.tags.get("maxspeed"))
            for nd in w.nodes:                          # type: ignore[union-attr]
                loc = nd.location
                refs.append(nd.ref)
                if loc.valid():
                    lon.append(loc.lon)
                    lat.append(loc.lat)
                else:
                    lon.append(np.nan)
                    lat.append(np.nan)
    except InputError:
        raise
    except Exception as e:  # noqa: BLE001 - libosmium raises RuntimeError and others
        raise InputError(f"could not read the OSM file: {e}", file=FILE, field="osm") from None
    return _segments(mode, np.frombuffer(refs, np.int64), np.frombuffer(lon, float),
                     np.frombuffer(lat, float), np.frombuffer(wstart, np.int64),
                     np.frombuffer(fwd, np.int8).astype(bool),
                     np.frombuffer(bwd, np.int8).astype(bool), highway, maxspeed)


def _segments(mode, refs, lon, lat, wstart, fwd, bwd, highway, maxspeed) -> Streets:
    """Consecutive node pairs of the kept ways (repeats and nodes without a location
    dropped), nodes numbered by sorted OSM id, projected."""
    way_of = np.repeat(np.arange(len(wstart)), np.diff(np.r_[wstart, len(refs)]))
    ok = np.isfinite(lon)
    pair = (way_of[1:] == way_of[:-1]) & (refs[1:] != refs[:-1]) & ok[1:] & ok[:-1]
    i = np.flatnonzero(pair)
    if len(i) == 0:
        raise InputError(f"the OSM file has no {'walkable' if mode == 'walk' else 'drivable'} "
                         "streets", file=FILE, field="osm")
    ends = np.concatenate([i, i + 1])
    osmid, first, inv = np.unique(refs[ends], return_index=True, return_inverse=True)
    x, y = _project(lon[ends[first]], lat[ends[first]])
    a, b = inv[:len(i)].astype(np.int64), inv[len(i):].astype(np.int64)
    w = way_of[i]
    return Streets(mode, osmid.astype(np.int64), x, y, a, b, fwd[w], bwd[w], w.astype(np.int64),
                   highway, maxspeed)


def _project(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = to_grid().transform(lon, lat)
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)
