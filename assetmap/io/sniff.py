"""What a CSV file is before pandas reads it: its text encoding and its delimiter, and a
sentence saying what was detected (import reports and error messages carry it).

Encoding, in order:

* a byte-order mark decides (UTF-8, UTF-16 little/big endian, UTF-32), as Excel's
  "Unicode text" and "CSV UTF-8" write them;
* UTF-16 without a mark is recognised by its NUL byte in every other position (ASCII text
  in two-byte units);
* text that decodes as strict UTF-8 is UTF-8;
* anything else is Windows-1252, what Excel saves as "CSV" on a UK machine, unless the
  sample holds bytes Windows-1252 leaves undefined: then charset-normalizer's best guess
  (https://github.com/jawah/charset_normalizer; installed with requests) is used and named.

Delimiter: comma, semicolon, tab or pipe, whichever splits the header and at least
``CONSISTENT_SHARE`` of the sampled lines into the same number (more than one) of fields,
quotes respected (the consistency test of :class:`csv.Sniffer`, restricted to these four);
the most fields wins, then that order. A file no candidate splits has one column: comma.
"""
from __future__ import annotations

import codecs
import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from .limits import open_limited

#: Bytes read from the start of the (decompressed) file to decide.
SAMPLE_BYTES = 64 * 1024
#: Lines (after the header) compared for the delimiter.
SAMPLE_LINES = 50
#: Share of sampled lines that must have the header's number of fields.
CONSISTENT_SHARE = 0.9
#: Lines of title or notes that may stand above the header.
PREAMBLE_LINES = 10
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
#: Bytes Windows-1252 does not define.
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
_LABELS = {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "utf-16": "UTF-16", "utf-16-le": "UTF-16",
           "utf-16-be": "UTF-16", "utf-32": "UTF-32", "cp1252": "Windows-1252"}


@dataclass(frozen=True)
class CsvFormat:
    """A CSV file's encoding (a Python codec name pandas accepts), its delimiter, and how
    the encoding was found ("byte-order mark", "UTF-16 without a byte-order mark", "valid
    UTF-8", "not UTF-8", or charset-normalizer's guess)."""

    encoding: str
    delimiter: str
    how: str

    @property
    def wide(self) -> bool:
        """True for UTF-16 and UTF-32 (NUL bytes in the text, not line-by-line ASCII)."""
        return self.encoding.startswith(("utf-16", "utf-32"))

    @property
    def plain(self) -> bool:
        """True for the common case (UTF-8, comma-separated): nothing worth a note."""
        return self.encoding.startswith("utf-8") and self.delimiter == ","

    def describe(self, used: str | None = None) -> str:
        """e.g. "UTF-16 (byte-order mark), semicolon-separated"; ``used``: the encoding
        the reader finally used, when it had to fall back."""
        enc = used or self.encoding
        label = _LABELS.get(enc, enc)
        how = self.how if used in (None, self.encoding) else \
            f"{_LABELS.get(self.encoding, self.encoding)} failed part-way"
        return f"{label} ({how}), {DELIMITER_NAMES[self.delimiter]}-separated"


def is_wide_text(path) -> bool:
    """True when an uncompressed file starts as UTF-16 or UTF-32 text (so its NUL bytes do
    not make it a binary file)."""
    with open(path, "rb") as f:
        head = f.read(4096)
    return _encoding(head)[0].startswith(("utf-16", "utf-32"))


def sniff_csv(path, *, file=None) -> CsvFormat:
    """The encoding and delimiter of the CSV at ``path`` (``.gz``, ``.bz2`` and ``.zip``
    are looked into), from its first ``SAMPLE_BYTES``."""
    head = _head(Path(path), file=str(file or path))
    enc, how = _encoding(head)
    return CsvFormat(enc, _delimiter(_decode(head, enc)), how)


def read_options(path, *, file=None) -> dict:
    """``encoding`` and ``sep`` for :func:`pandas.read_csv` of the CSV at ``path``, for
    readers that call pandas themselves."""
    fmt = sniff_csv(path, file=file)
    return {"encoding": fmt.encoding, "sep": fmt.delimiter}


def _head(p: Path, *, file: str) -> bytes:
    """The first ``SAMPLE_BYTES`` of the file's content (decompressed)."""
    name = p.name.lower()
    try:
        if name.endswith((".gz", ".bz2")):
            with open_limited(p, file=file) as f:
                return f.read(SAMPLE_BYTES)
        if name.endswith(".zip"):
            with zipfile.ZipFile(p) as zf:
                members = [i for i in zf.infolist() if not i.is_dir()]
                if not members:
                    return b""
                with zf.open(members[0]) as f:
                    return f.read(SAMPLE_BYTES)
        with open(p, "rb") as f:
            return f.read(SAMPLE_BYTES)
    except (OSError, EOFError, zipfile.BadZipFile) as e:
        raise InputError(f"the compressed file is damaged or truncated ({e})",
                         file=file) from None


def _encoding(head: bytes) -> tuple[str, str]:
    """(codec, how it was found) for a sample of bytes."""
    for bom, enc in _BOMS:
        if head.startswith(bom):
            return enc, "byte-order mark"
    wide = _utf16_without_bom(head)
    if wide:
        return wide, "UTF-16 without a byte-order mark"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8-sig", "valid UTF-8"
    except UnicodeDecodeError:
        pass
    if not _CP1252_UNDEFINED & set(head):
        return "cp1252", "not UTF-8"
    return _guess(head)


def _utf16_without_bom(head: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when most two-byte units are an ASCII byte and a NUL."""
    pairs = len(head) // 2
    if pairs < 2:
        return None
    even, odd = head[0:pairs * 2:2], head[1:pairs * 2:2]
    if odd.count(0) >= 0.9 * pairs and even.count(0) < 0.1 * pairs:
        return "utf-16-le"
    if even.count(0) >= 0.9 * pairs and odd.count(0) < 0.1 * pairs:
        return "utf-16-be"
    return None


def _guess(head: bytes) -> tuple[str, str]:
    """charset-normalizer's best guess (Windows-1252 when it has none or is missing)."""
    try:
        from charset_normalizer import from_bytes
    except ImportError:
        return "cp1252", "not UTF-8"
    best = from_bytes(head).best()
    if best is None:
        return "cp1252", "not UTF-8"
    try:
        codecs.lookup(best.encoding)
    except LookupError:
        return "cp1252", "not UTF-8"
    return best.encoding, "detected by charset-normalizer"


def _decode(head: bytes, enc: str) -> str:
    """The sample as text, its last (possibly cut) line dropped."""
    text = codecs.getincrementaldecoder(enc)(errors="replace").decode(head, final=False)
    text = text.lstrip("\ufeff")
    if len(head) >= SAMPLE_BYTES and "\n" in text:
        text = text[: text.rindex("\n") + 1]
    return text


def _delimiter(text: str) -> str:
    """The candidate delimiter that splits the header and the sample's lines most
    consistently; failing that (a title or notes above the header, as in the CQC
    directory), the one that does so from a later line."""
    split = {}
    for d in DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(text), delimiter=d)][: SAMPLE_LINES + 1]
        except csv.Error:
            continue
        rows = [r for r in rows if r]
        if rows and not text.endswith(("\n", "\r")):
            rows = rows[:-1] or rows    # a last line without its end may be cut short
        split[d] = rows
    for starts in ((0,), range(1, PREAMBLE_LINES + 1)):
        best, best_n = ",", 1
        for d, rows in split.items():
            n = max((_consistent(rows, k) for k in starts), default=1)
            if n > best_n:
                best, best_n = d, n
        if best_n > 1:
            return best
    return ","


def _consistent(rows: list, k: int) -> int:
    """Fields per line when line ``k`` (the header) and at least ``CONSISTENT_SHARE`` of
    the lines after it split alike into more than one; else 1."""
    if k >= len(rows) or len(rows[k]) <= 1:
        return 1
    n, body = len(rows[k]), rows[k + 1:]
    if body and sum(len(r) == n for r in body) < CONSISTENT_SHARE * len(body):
        return 1
    return n
