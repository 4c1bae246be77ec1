"""OpenStreetMap XML read safely, in one streaming pass.

:func:`iter_elements` turns chunks of OSM XML into :class:`Element` objects (nodes, ways and
relations with their tags, node positions, way node refs and relation members), checking
as it goes and stopping at the first problem with an :class:`~assetmap.errors.InputError`
that names the file, the line and the element:

* the XML is parsed by expat with no DTD (a ``<!DOCTYPE`` or ``<!ENTITY`` is refused, so no
  entity is ever expanded) and no external entities, and every chunk passes an
  :class:`~.limits.XmlGuard` first (no NUL byte, no markup-free run longer than
  ``settings.MAX_XML_TEXT_BYTES``: a bomb of whitespace is refused within a megabyte);
* at most ``settings.MAX_OSM_ELEMENTS`` nodes, ways and relations;
* the root is ``<osm>``; every node, way and relation has a whole-number id; a node has a
  finite latitude (-90..90) and longitude (-180..180); ``nd`` and ``member`` refs are whole
  numbers; a ``tag`` has a key;
* truncated or malformed XML is reported with expat's line and column.

No character data is kept (OSM XML carries everything in attributes), so memory stays that
of the elements handed on, whatever the file holds between its tags.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from xml.parsers import expat

from .. import settings
from ..errors import InputError
from .limits import XmlGuard

KINDS = ("node", "way", "relation")


class Element:
    """One node, way or relation: ``kind``, ``id``, ``line`` (where it starts), ``tags``;
    ``lon``/``lat`` (nodes), ``refs`` (ways), ``members`` (relations: type, ref, role)."""

    __slots__ = ("id", "kind", "lat", "line", "lon", "members", "refs", "tags")

    def __init__(self, kind: str, oid: int, line: int):
        self.kind, self.id, self.line = kind, oid, line
        self.tags: dict = {}
        self.lon: float | None = None
        self.lat: float | None = None
        self.refs: list = []
        self.members: list = []

    @property
    def label(self) -> str:
        return f"{self.kind} {self.id}"


class OsmXmlReader:
    """Push parser: :meth:`feed` chunks in order, then :meth:`close`; each returns the
    elements completed meanwhile. ``counts`` tallies nodes, ways and relations."""

    def __init__(self, file, *, max_elements: int | None = None):
        self.file = file
        self.max_elements = settings.MAX_OSM_ELEMENTS if max_elements is None \
            else int(max_elements)
        self.counts = {"nodes": 0, "ways": 0, "relations": 0}
        self.saw_osm = False
        self._guard = XmlGuard(file)
        self._done: list[Element] = []
        self._cur: Element | None = None
        self._skip = 0              # depth inside an element left out (visible="false")
        self._root: str | None = None
        p = expat.ParserCreate()
        p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        p.StartDoctypeDeclHandler = self._refuse_dtd
        p.EntityDeclHandler = self._refuse_entity
        p.ExternalEntityRefHandler = self._refuse_entity
        p.StartElementHandler = self._start
        p.EndElementHandler = self._end
        self._p = p

    # --- errors ----------------------------------------------------------------------------
    def error(self, message: str, field: str | None = None) -> InputError:
        return InputError(message, file=self.file, row=self._p.CurrentLineNumber, field=field)

    def _refuse_dtd(self, *args):
        raise self.error("the XML declares a DOCTYPE: DTDs and entities are refused (they can "
                         "expand without limit); OSM XML has none")

    def _refuse_entity(self, *args):
        raise self.error("the XML declares or refers to an entity: refused (entities can "
                         "expand without limit)")

    # --- numbers ---------------------------------------------------------------------------
    def _int(self, value, what: str, field: str) -> int:
        if value is None:
            raise self.error(f"{what} is missing", field)
        try:
            return int(value)
        except ValueError:
            raise self.error(f"{what} '{value[:40]}' is not a whole number", field) from None

    def _coord(self, el: Element, attrs: dict, name: str, bound: float) -> float:
        v = attrs.get(name)
        what = "latitude" if name == "lat" else "longitude"
        if v is None:
            raise self.error(f"{el.label} has no {name} ({what})", f"{el.kind} {name}")
        try:
            f = float(v)
        except ValueError:
            f = math.nan
        if not math.isfinite(f) or abs(f) > bound:
            raise self.error(f"{el.label}: {name}='{v[:40]}' is not a {what} (-{bound:g} to "
                             f"{bound:g})", f"{el.kind} {name}")
        return f

    # --- handlers --------------------------------------------------------------------------
    def _start(self, name: str, attrs: dict) -> None:
        if self._root is None:
            self._root = name
            if name != "osm":
                raise self.error("this XML file is not OpenStreetMap data (no <osm> element)")
            self.saw_osm = True
            return
        if self._skip:
            self._skip += 1
            return
        if name in KINDS:
            self._open(name, attrs)
        elif self._cur is None:
            return                  # bounds, changeset tags, notes: nothing to keep
        elif name == "tag":
            k = attrs.get("k")
            if k is None:
                raise self.error(f"a tag of {self._cur.label} has no key (k)", "tag k")
            self._cur.tags[k] = attrs.get("v", "")
        elif name == "nd":
            self._cur.refs.append(self._int(attrs.get("ref"), f"an nd ref of {self._cur.label}",
                                            "nd ref"))
        elif name == "member":
            mtype = attrs.get("type")
            if mtype not in KINDS:
                raise self.error(f"a member of {self._cur.label} has type '{mtype}' (node, way "
                                 "or relation)", "member type")
            ref = self._int(attrs.get("ref"), f"a member ref of {self._cur.label}",
                            "member ref")
            self._cur.members.append((mtype, ref, attrs.get("role", "")))

    def _open(self, name: str, attrs: dict) -> None:
        if self._cur is not None:
            raise self.error(f"a <{name}> inside {self._cur.label}", name)
        if attrs.get("visible") == "false":
            self._skip = 1          # a deleted object (history files): not part of the map
            return
        line = self._p.CurrentLineNumber
        oid = self._int(attrs.get("id"), f"the id of a <{name}>", f"{name} id")
        el = Element(name, oid, line)
        if name == "node":
            el.lat = self._coord(el, attrs, "lat", 90.0)
            el.lon = self._coord(el, attrs, "lon", 180.0)
        self.counts[name + "s"] += 1
        if sum(self.counts.values()) > self.max_elements:
            raise self.error(f"more than {self.max_elements:,} nodes, ways and relations; the "
                             "limit is settings.MAX_OSM_ELEMENTS: cut the extract to the area "
                             "(osmium extract)")
        self._cur = el

    def _end(self, name: str) -> None:
        if self._skip:
            self._skip -= 1
            return
        if self._cur is not None and name == self._cur.kind:
            self._done.append(self._cur)
            self._cur = None

    # --- feeding ---------------------------------------------------------------------------
    def feed(self, chunk: bytes) -> list[Element]:
        nul = chunk.find(b"\x00")
        if nul >= 0:
            self._parse(chunk[:max(0, chunk.rfind(b"<", 0, nul))], False)
            raise self._nul_error(chunk, nul)
        self._guard.feed(chunk)
        return self._parse(chunk, False)

    def close(self) -> list[Element]:
        out = self._parse(b"", True)
        if not self.saw_osm:
            raise InputError("this XML file is not OpenStreetMap data (no <osm> element)",
                             file=self.file)
        return out

    def _parse(self, data: bytes, final: bool) -> list[Element]:
        try:
            self._p.Parse(data, final)
        except expat.ExpatError as e:
            what = expat.ErrorString(e.code)
            if e.code == expat.errors.codes[expat.errors.XML_ERROR_BAD_CHAR_REF]:
                what += " (such as &#0;, a NUL)"
            raise InputError(f"malformed or truncated OSM XML ({what} at line {e.lineno}, "
                             f"column {e.offset})", file=self.file, row=e.lineno) from None
        out, self._done = self._done, []
        return out

    def _nul_error(self, chunk: bytes, nul: int) -> InputError:
        """Name the tag and element holding a NUL byte."""
        start = chunk.rfind(b"<", 0, nul)
        text = chunk[max(start, 0):nul].decode("utf-8", "replace")
        key = re.search(r'\bk\s*=\s*["\']([^"\']*)', text)
        owner = self._cur.label if self._cur is not None else "the file"
        line = self._p.CurrentLineNumber + chunk.count(b"\n", max(start, 0), nul)
        where = f"tag '{key.group(1)}' of {owner}" if key and text.startswith("<tag") \
            else owner
        return InputError(f"a NUL byte in {where}: a damaged or hostile file",
                          file=self.file, row=line,
                          field=f"tag {key.group(1)}" if key else None)


def iter_elements(chunks: Iterable[bytes], *, file, reader: OsmXmlReader | None = None
                  ) -> Iterator[Element]:
    """The nodes, ways and relations of OSM XML given as chunks of bytes (see the module
    notes for what is checked). Pass ``reader`` to read its ``counts`` afterwards."""
    reader = reader or OsmXmlReader(file)
    for chunk in chunks:
        yield from reader.feed(chunk)
    yield from reader.close()
