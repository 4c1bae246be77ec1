"""Reading untrusted files without letting one exhaust the machine.

Every importer reads through these helpers, which stream (nothing is decompressed or parsed
whole first) and stop with an :class:`~assetmap.errors.InputError` naming the file and the
limit as soon as a file passes one of the limits in :mod:`assetmap.settings`:

* :func:`iter_chunks`: a file's bytes in chunks, bz2 or gzip decompressed on the way, never
  more than ``MAX_IMPORT_BYTES`` in all;
* :class:`XmlGuard`: watches the bytes of an XML document as they go to the parser: no
  DTD or entity declarations (so nothing can be expanded), no NUL byte, and no run of more
  than ``MAX_XML_TEXT_BYTES`` without markup (a bomb of whitespace is refused within a
  megabyte, not after gigabytes);
* :func:`check_xlsx`: a workbook's ZIP members, their declared and actual unpacked sizes
  and its cell count, checked before openpyxl opens it;
* :func:`check_json` / :func:`load_json`: JSON nesting no deeper than
  ``MAX_JSON_DEPTH`` (Python's parser would hit its recursion limit with a traceback) and
  no NUL character (GDAL would silently cut the string there);
* :func:`refuse_nul`: no NUL byte in any cell of a table, named by row and column.
"""
from __future__ import annotations

import bz2
import gzip
import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .. import settings
from ..errors import InputError

#: Bytes read (or decompressed) at a time.
CHUNK = 1 << 20
#: A workbook with more ZIP members than this is not a spreadsheet anyone typed.
MAX_ZIP_MEMBERS = 10_000


def human(n: float) -> str:
    """1536 -> '1.5 KB' (binary units, as the limits are set)."""
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"  # pragma: no cover


def too_big(file, what: str, setting: str, limit: int) -> InputError:
    """The error for a file past a size limit: names the file, the limit and its setting."""
    return InputError(f"{what}; the limit is {human(limit)} (settings.{setting}): cut the "
                      "file down, or raise the limit if the file is genuine", file=file)


# --- streams ---------------------------------------------------------------------------------
def compression_of(head: bytes) -> str | None:
    """'bz2', 'gzip' or None from a file's first bytes."""
    if head[:3] == b"BZh":
        return "bz2"
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    return None


def iter_chunks(source, *, file, max_bytes: int | None = None) -> Iterator[bytes]:
    """The content of ``source`` (a path or a bytes object) in chunks, bz2/gzip
    decompressed by its magic bytes; InputError past ``max_bytes`` (default
    ``settings.MAX_IMPORT_BYTES``) of content, or when the compressed data is damaged."""
    limit = settings.MAX_IMPORT_BYTES if max_bytes is None else int(max_bytes)
    raw: io.BufferedIOBase
    if isinstance(source, (str, Path)):
        raw = open(source, "rb")
        head = raw.peek(3)[:3]
    else:
        raw, head = io.BytesIO(source), bytes(source[:3])
    kind = compression_of(head)
    with raw:
        f: io.BufferedIOBase
        if kind == "bz2":
            f = bz2.BZ2File(raw)
        elif kind == "gzip":
            f = gzip.GzipFile(fileobj=raw)
        else:
            f = raw
        total = 0
        try:
            while True:
                chunk = f.read(CHUNK)
                if not chunk:
                    return
                total += len(chunk)
                if total > limit:
                    raise too_big(file, f"the file holds more than {human(limit)}"
                                  + (" once decompressed" if kind else ""),
                                  "MAX_IMPORT_BYTES", limit)
                yield chunk
        except (OSError, EOFError, ValueError) as e:
            raise InputError(f"the {kind or 'file'} data is damaged or truncated ({e})",
                             file=file) from None


class _LimitedRaw(io.RawIOBase):
    """A decompressing stream that refuses to give more than ``limit`` bytes."""

    def __init__(self, f, limit: int, file, kind: str):
        self._f, self._limit, self._file, self._kind = f, limit, file, kind
        self._total = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        try:
            data = self._f.read(len(b))
        except (OSError, EOFError, ValueError) as e:
            raise InputError(f"the {self._kind} data is damaged or truncated ({e})",
                             file=self._file) from None
        self._total += len(data)
        if self._total > self._limit:
            raise too_big(self._file, f"the file holds more than {human(self._limit)} once "
                          "decompressed", "MAX_IMPORT_BYTES", self._limit)
        b[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self._f.close()
        super().close()


def open_limited(path, *, file) -> io.BufferedReader:
    """A bz2 or gzip file (by its name) opened for reading, decompressed as it is read and
    refusing past ``settings.MAX_IMPORT_BYTES`` (for pandas, which would otherwise
    decompress without limit)."""
    name = str(path).lower()
    kind = "bz2" if name.endswith(".bz2") else "gzip"
    f = bz2.BZ2File(path) if kind == "bz2" else gzip.GzipFile(path)
    return io.BufferedReader(_LimitedRaw(f, settings.MAX_IMPORT_BYTES, file, kind), CHUNK)


def check_zip_size(path, *, file) -> None:
    """Refuse a ZIP archive whose members declare more than ``MAX_IMPORT_BYTES`` unpacked
    (Python's zipfile never unpacks more than a member declares)."""
    try:
        with zipfile.ZipFile(path) as zf:
            declared = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError) as e:
        raise InputError(f"the ZIP archive is damaged or truncated ({e})", file=file) from None
    if declared > settings.MAX_IMPORT_BYTES:
        raise too_big(file, f"the archive unpacks to {human(declared)}", "MAX_IMPORT_BYTES",
                      settings.MAX_IMPORT_BYTES)


def check_file_size(path, *, file) -> None:
    """Refuse a file on disk bigger than ``settings.MAX_IMPORT_BYTES``."""
    size = Path(path).stat().st_size
    if size > settings.MAX_IMPORT_BYTES:
        raise too_big(file, f"the file is {human(size)}", "MAX_IMPORT_BYTES",
                      settings.MAX_IMPORT_BYTES)


# --- XML -------------------------------------------------------------------------------------
class XmlGuard:
    """Checks the bytes of one XML document on their way to the parser (call
    :meth:`feed` with each chunk, in order); raises InputError naming the file and line."""

    _DECL = re.compile(rb"<!(DOCTYPE|ENTITY)")

    def __init__(self, file, *, max_text: int | None = None, member: str | None = None):
        self.file = file
        self.member = member
        self.max_text = settings.MAX_XML_TEXT_BYTES if max_text is None else int(max_text)
        self.line = 1
        self.gap = 0          # bytes since the last '<'
        self._tail = b""      # the end of the previous chunk (a declaration cut in two)

    def _where(self, chunk: bytes, pos: int) -> int:
        return self.line + chunk.count(b"\n", 0, pos)

    def _error(self, message: str, line: int) -> InputError:
        where = f" ({self.member})" if self.member else ""
        return InputError(f"{message}{where}", file=self.file, row=line)

    def feed(self, chunk: bytes) -> None:
        m = self._DECL.search(self._tail + chunk)
        if m:
            line = self._where(chunk, max(0, m.start() - len(self._tail)))
            raise self._error(f"the XML declares a {m.group(1).decode()}: DTDs and entities are "
                              "refused (they can expand without limit)", line)
        nul = chunk.find(b"\x00")
        if nul >= 0:
            line = self._where(chunk, nul)
            raise self._error("a NUL byte: a damaged or hostile file", line)
        if self._longest_gap(chunk) > self.max_text:
            raise self._error(f"more than {human(self.max_text)} without markup (whitespace "
                              "padding or one giant value: a decompression bomb?); the limit "
                              "is settings.MAX_XML_TEXT_BYTES", self.line)
        self.line += chunk.count(b"\n")
        self._tail = chunk[-16:]

    def _longest_gap(self, chunk: bytes) -> int:
        """The longest run without '<' ending in or crossing ``chunk`` (updates the run
        still open at its end)."""
        first = chunk.find(b"<")
        if first < 0:
            self.gap += len(chunk)
            return self.gap
        longest = self.gap + first
        if len(chunk) > self.max_text:
            pos = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 60)
            if len(pos) > 1:
                longest = max(longest, int(np.diff(pos).max()) - 1)
        self.gap = len(chunk) - chunk.rfind(b"<") - 1
        return max(longest, self.gap)


# --- XLSX ------------------------------------------------------------------------------------
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
_SHEET = re.compile(r"^xl/worksheets/[^/]+\.xml$", re.I)


def check_xlsx(path, *, file) -> int:
    """Check a workbook before openpyxl reads it: a ZIP archive whose members declare at
    most ``MAX_IMPORT_BYTES`` unpacked, unpack to what they declare (CRC checked), hold no
    DTD, entity or markup-free run (:class:`XmlGuard`), and whose sheets have at most
    ``MAX_XLSX_CELLS`` cells. Returns the number of cells."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise InputError(f"not a readable XLSX workbook: the ZIP archive is damaged or "
                         f"truncated ({e})", file=file) from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ZIP_MEMBERS:
            raise InputError(f"the workbook holds {len(infos)} files; a spreadsheet has a few "
                             "dozen", file=file)
        declared = sum(i.file_size for i in infos)
        limit = settings.MAX_IMPORT_BYTES
        if declared > limit:
            big = max(infos, key=lambda i: i.file_size)
            raise too_big(file, f"the workbook unpacks to {human(declared)} ({big.filename}: "
                          f"{human(big.file_size)})", "MAX_IMPORT_BYTES", limit)
        cells = 0
        for info in infos:
            if info.filename.lower().endswith((".xml", ".rels", ".vml")):
                cells += _check_member(zf, info, file, cells)
        return cells


def _check_member(zf, info, file, cells_before: int) -> int:
    """Stream one member through an XmlGuard, counting the cells of a sheet."""
    guard = XmlGuard(file, member=info.filename)
    is_sheet = bool(_SHEET.match(info.filename))
    cells, actual, carry = 0, 0, b""
    limit = settings.MAX_XLSX_CELLS
    try:
        with zf.open(info) as f:
            while True:
                chunk = f.read(CHUNK)
                if not chunk:
                    break
                actual += len(chunk)
                if actual > info.file_size:
                    raise InputError(f"{info.filename} unpacks to more than it declares: a "
                                     "forged archive", file=file)
                if is_sheet and b"\x00" in chunk:
                    raise _sheet_nul(carry + chunk, info.filename, file)
                guard.feed(chunk)
                if is_sheet:
                    buf = carry + chunk
                    cut = buf.rfind(b"<")
                    cut = len(buf) if cut < 0 else cut
                    cells += len(_CELL.findall(buf, 0, cut))
                    carry = buf[cut:]
                    if cells_before + cells > limit:
                        raise InputError(
                            f"the workbook has more than {limit:,} cells ({info.filename}); "
                            "the limit is settings.MAX_XLSX_CELLS: save the part you need, "
                            "or use CSV", file=file)
        if is_sheet:
            cells += len(_CELL.findall(carry))
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as e:
        raise InputError(f"not a readable XLSX workbook: {info.filename} is damaged ({e})",
                         file=file) from None
    if actual != info.file_size:
        raise InputError(f"{info.filename} unpacks to {actual} bytes, not the "
                         f"{info.file_size} it declares: a damaged or forged archive", file=file)
    return cells


_CELL_REF = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?c\b[^>]*?\br="([A-Z]{1,3})(\d+)"')


def _sheet_nul(data: bytes, member: str, file) -> InputError:
    """The error for a NUL byte in a sheet: the cell it is in, as row (the data row under
    a header row) and column letter, when the sheet names its cells."""
    refs = _CELL_REF.findall(data, 0, data.find(b"\x00"))
    if not refs:
        return InputError(f"a NUL byte in {member}: a damaged or hostile file", file=file)
    col, row = refs[-1][0].decode(), int(refs[-1][1])
    return InputError(f"a NUL byte in cell {col}{row} ({member}): a damaged or hostile file",
                      file=file, row=row - 1, field=f"column {col}")


# --- JSON ------------------------------------------------------------------------------------
_KEY = re.compile(rb'"([^"\\]{1,200})"\s*:')


def check_json(source, *, file, max_depth: int | None = None) -> None:
    """Refuse JSON (a path or bytes) nested deeper than ``max_depth`` (default
    ``settings.MAX_JSON_DEPTH``) arrays/objects, or holding a NUL character (raw, or
    ``\\u0000``, at which GDAL silently cuts a string short), naming the line and the key.
    Strings are skipped when counting depth. Streams the file in chunks (numpy), so it costs
    a fraction of the parse."""
    limit = settings.MAX_JSON_DEPTH if max_depth is None else int(max_depth)
    depth, in_string, line, carry, tail = 0, 0, 1, b"", b""
    for chunk in iter_chunks(source, file=file):
        buf = carry + chunk
        keep = len(buf) - len(buf.rstrip(b"\\"))
        carry, buf = buf[len(buf) - keep:], buf[:len(buf) - keep]
        # drop escaped backslashes, then escaped quotes: the quotes left delimit strings
        clean = buf.replace(b"\\\\", b"").replace(b'\\"', b"")
        _refuse_json_nul(tail + clean, len(tail), line, file)
        a = np.frombuffer(clean, dtype=np.uint8)
        inside = (np.cumsum(a == 34, dtype=np.int64) + in_string) & 1
        step = ((a == 91) | (a == 123)).astype(np.int32) - ((a == 93) | (a == 125))
        step[inside == 1] = 0
        levels = np.cumsum(step, dtype=np.int64) + depth
        if len(levels) and levels.max() > limit:
            at = int(np.argmax(levels > limit))
            raise InputError(f"the JSON is nested more than {limit} levels deep"
                             f"{_key_before(clean, at)} (arrays and objects; the limit is "
                             "settings.MAX_JSON_DEPTH)", file=file,
                             row=line + clean.count(b"\n", 0, at))
        if len(levels):
            depth, in_string = int(levels[-1]), int(inside[-1])
        line += clean.count(b"\n")
        tail = clean[-8:]


def _key_before(data: bytes, at: int, as_field: bool = False):
    """' inside "key"' for the last object key before ``at`` (or the key itself)."""
    keys = _KEY.findall(data, max(0, at - 4096), at)
    key = keys[-1].decode("utf-8", "replace")[:60] if keys else None
    if as_field:
        return key
    return f' inside "{key}"' if key else ""


def _refuse_json_nul(data: bytes, skip: int, line: int, file) -> None:
    """Raise for a raw NUL or a \\u0000 escape in ``data`` (its first ``skip`` bytes were
    the end of the previous chunk)."""
    hits = [k for k in (data.find(b"\x00"), data.find(b"\\u0000")) if k >= 0]
    if not hits:
        return
    at = min(hits)
    raise InputError(f"a NUL character (\\u0000){_key_before(data, at)}: a damaged or "
                     "hostile file", file=file, row=line + data.count(b"\n", skip, at),
                     field=_key_before(data, at, as_field=True))


def check_vector_file(path, *, file) -> None:
    """Before GDAL reads a GeoJSON, zipped Shapefile or GeoPackage: at most
    ``MAX_IMPORT_BYTES`` on disk (and unpacked, for a ZIP), and a GeoJSON nested at most
    ``MAX_JSON_DEPTH`` deep."""
    p = Path(path)
    if not p.is_file():
        return
    check_file_size(p, file=file)
    suffix = p.suffix.lower()
    if suffix == ".zip":
        check_zip_size(p, file=file)
    elif suffix in (".geojson", ".json"):
        check_json(p, file=file)


def load_json(path, *, file=None):
    """Parse a JSON file safely: at most ``MAX_IMPORT_BYTES``, nested at most
    ``MAX_JSON_DEPTH`` deep, UTF-8 (a BOM allowed); InputError naming the file and, for
    malformed JSON, the line and column."""
    file = str(path) if file is None else file
    check_file_size(path, file=file)
    check_json(path, file=file)
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("not a JSON text file", file=file) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"not valid JSON (truncated?): {e.msg} at line {e.lineno}, column "
                         f"{e.colno}", file=file, row=e.lineno) from None
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise InputError("the JSON is nested too deeply", file=file) from None


# --- tables ----------------------------------------------------------------------------------
def refuse_nul(df, *, file, row_offset: int = 1) -> None:
    """Refuse a NUL byte in any header or string cell of ``df`` (a frame as read), naming
    the row (data rows from ``row_offset``) and the column."""
    for c in df.columns:
        if "\x00" in str(c):
            raise InputError("a column name contains a NUL byte", file=file, row=0,
                             field=str(c).replace("\x00", "\\x00"))
    for c in df.columns:
        col = df[c]
        if col.dtype.kind in "biufcmM":        # numbers and dates hold no NUL
            continue
        vals = [v for v in col.tolist() if isinstance(v, str)]
        if "\x00" not in "".join(vals):
            continue
        for k, v in enumerate(col.tolist()):
            if isinstance(v, str) and "\x00" in v:
                raise InputError("the value contains a NUL byte (\\x00): a damaged or "
                                 "hostile file; remove it", file=file, row=k + row_offset,
                                 field=str(c))
