"""Helpers shared by the importers: reading tables (within the limits of :mod:`.limits`),
finding columns, collecting bad rows, stable identifiers, names as typed, and the "is this
point in our area" check."""
from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import InputError, InputErrors
from ..settings import ANALYSIS_CRS, STORAGE_CRS
from . import sniff
from .limits import check_file_size, check_xlsx, check_zip_size, open_limited, refuse_nul

#: Great Britain and Northern Ireland in longitude/latitude, generously.
UK_BOUNDS = (-9.0, 49.0, 2.5, 61.5)
#: Points this close (metres) outside the stored areas still count as inside.
AREA_TOLERANCE_M = 100.0
#: How many skipped rows a report lists one by one.
REPORT_ROWS = 20


@dataclass
class ImportReport:
    """What an import did: rows written per table, rows skipped (with --skip-bad), notes."""

    kind: str
    file: str
    written: dict = field(default_factory=dict)
    skipped: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def add(self, table: str, n: int) -> None:
        self.written[table] = self.written.get(table, 0) + int(n)

    def summary(self) -> str:
        parts = [f"{k} {v}" for k, v in self.written.items()]
        lines = [f"Imported {self.kind} from {self.file}: " + (", ".join(parts) or "nothing")]
        lines += [f"  note: {n}" for n in self.notes]
        if self.skipped:
            lines.append(f"  skipped {len(self.skipped)} bad row(s):")
            lines += [f"    {e}" for e in self.skipped[:REPORT_ROWS]]
            if len(self.skipped) > REPORT_ROWS:
                lines.append(f"    ... and {len(self.skipped) - REPORT_ROWS} more")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {"kind": self.kind, "file": self.file, "written": dict(self.written),
                "notes": list(self.notes), "skipped": [e.as_dict() for e in self.skipped]}


class BadRows:
    """Collects bad rows: with ``skip`` they go to the report, otherwise all of them are
    raised together by :meth:`check` (the first is the headline)."""

    def __init__(self, file, skip: bool = False, report: ImportReport | None = None):
        self.file = str(file)
        self.skip = skip
        self.report = report
        self.errors: list[InputError] = []
        self.rows: set[int] = set()

    def add(self, row, field_name, message) -> None:
        err = InputError(message, file=self.file, row=row, field=field_name)
        self.errors.append(err)
        if row is not None:
            self.rows.add(row)

    def add_error(self, err: InputError) -> None:
        self.errors.append(err)
        if err.row is not None:
            self.rows.add(err.row)

    def check(self) -> None:
        """Raise unless skipping; when skipping, move the errors into the report."""
        if not self.errors:
            return
        if not self.skip:
            raise self.errors[0] if len(self.errors) == 1 else InputErrors(self.errors)
        if self.report is not None:
            self.report.skipped.extend(self.errors)
        self.errors = []


def norm(s) -> str:
    """Column-name key: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", str(s).lower())


def find_col(columns, candidates, *, file=None, required: bool = False, what: str = ""):
    """The first column (exact, then normalised match) among ``candidates``."""
    cols = list(columns)
    for c in candidates:
        if c in cols:
            return c
    keyed = {norm(c): c for c in cols}
    for c in candidates:
        if norm(c) in keyed:
            return keyed[norm(c)]
    if required:
        raise InputError(f"required column is missing (looked for {', '.join(candidates[:6])})",
                         file=file, field=what or candidates[0])
    return None


def blank(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) or \
        (isinstance(v, str) and v.strip().upper() in ("", "NA", "N/A", "NULL", "NAN", "NONE"))


def text(v) -> str | None:
    return None if blank(v) else str(v).strip()


#: Characters that show nothing: zero-width space, non-joiner, joiner, BOM, word joiner.
INVISIBLE_CHARS = "\u200b\u200c\u200d\ufeff\u2060"
_INVISIBLE = str.maketrans("", "", INVISIBLE_CHARS)


def visible_text(v) -> str | None:
    """A name as typed: None only when truly empty (None, a missing cell, or nothing but
    whitespace and zero-width characters). Unlike :func:`text`, "NaN", "None", "null" and
    "N/A" are names (a cafe may be called "None"), not blanks."""
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    s = str(v).strip()
    return s if s.translate(_INVISIBLE).strip() else None


def invisible_only(v) -> bool:
    """True for a value that has characters but shows none (zero-width and whitespace)."""
    return isinstance(v, str) and bool(v.strip()) and visible_text(v) is None


def to_float(v):
    """A number or None; raises ValueError for junk."""
    if blank(v):
        return None
    if isinstance(v, str):
        v = v.replace(",", "").replace("%", "").strip()
    f = float(v)
    if not math.isfinite(f):
        raise ValueError(v)
    return f


def stable_id(prefix: str, *parts) -> str:
    """A short id that is the same every time for the same (normalised) parts."""
    key = "\x1f".join(norm(p) for p in parts if p is not None)
    return f"{prefix}-{hashlib.sha1(key.encode()).hexdigest()[:12]}"


_BINARY_MAGIC = {b"PK\x03\x04": "a ZIP/XLSX archive", b"%PDF": "a PDF document",
                 b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image",
                 b"SQLite format": "a SQLite database", b"BZh": "a bzip2 archive",
                 b"\x1f\x8b": "a gzip archive"}


def check_file(path, *, kind: str = "file") -> Path:
    p = Path(path)
    if not p.exists():
        raise InputError("no such file or folder", file=str(path))
    if p.is_file() and p.stat().st_size == 0:
        raise InputError(f"the {kind} is empty", file=str(path))
    return p


def sniff_binary(path) -> str | None:
    with open(path, "rb") as f:
        head = f.read(16)
    for magic, what in _BINARY_MAGIC.items():
        if head.startswith(magic):
            return what
    if b"\x00" in head:
        return "a binary file"
    return None


def read_table(path, *, sheet=None, header="infer", names=None, kind: str = "CSV file",
               usecols=None, chunksize=None, skiprows=None):
    """A CSV (optionally .gz/.bz2/.zip) or XLSX sheet as a frame of strings.

    Raises InputError for a missing, empty, truncated or wrong kind of file, one past the
    import limits (``settings.MAX_IMPORT_BYTES`` decompressed; an XLSX's members and cells
    are checked before openpyxl opens it), or a NUL byte in any cell (named by row and
    column). Only truly empty cells are blank: "NaN", "None" or "N/A" stay text.
    ``chunksize`` returns an iterator of frames (CSV only) for very large files.
    A CSV's encoding and delimiter are detected (:mod:`.sniff`); the frame's
    ``attrs["read_as"]`` says what was found (e.g. "UTF-16 (byte-order mark), tab-separated").
    """
    p = check_file(path, kind=kind)
    check_file_size(p, file=str(path))
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(p, path, sheet=sheet, header=header)
    if p.suffix.lower() == ".xls":
        raise InputError("old .xls spreadsheets are not supported: save it as .xlsx or CSV",
                         file=str(path))
    suffix = "".join(p.suffixes[-2:]).lower()
    compressed = suffix.endswith((".gz", ".bz2", ".zip"))
    _check_csv_container(p, path, suffix=suffix, compressed=compressed, kind=kind)
    fmt = sniff.sniff_csv(p, file=path)
    kw = dict(dtype=str, keep_default_na=False, na_values=[], skipinitialspace=True,
              encoding=fmt.encoding, sep=fmt.delimiter, usecols=usecols, skiprows=skiprows)
    if names is not None:
        kw.update(header=None, names=names)
    if chunksize:
        return _read_csv(p, path, kw, suffix=suffix, kind=kind, chunksize=chunksize)
    df = _read_csv(p, path, kw, suffix=suffix, kind=kind, chunksize=None)
    df.columns = [str(c).strip() for c in df.columns]
    df.attrs["read_as"] = fmt.describe(kw["encoding"])
    refuse_nul(df, file=str(path))
    if df.empty:
        raise InputError(f"the {kind} has a header but no data rows", file=str(path))
    if not compressed and not fmt.wide:
        _check_truncated(p, df, path, delimiter=fmt.delimiter, encoding=kw["encoding"])
    return df


def _check_csv_container(p: Path, path, *, suffix: str, compressed: bool, kind: str) -> None:
    """Refuse a binary file given as a CSV, and a ZIP past the import limits."""
    if not compressed:
        what = None if sniff.is_wide_text(p) else sniff_binary(p)
        if what:
            raise InputError(f"this is {what}, not a {kind}", file=str(path))
    if suffix.endswith(".zip"):
        check_zip_size(p, file=str(path))


def _read_csv(p: Path, path, kw: dict, *, suffix: str, kind: str, chunksize):
    """pandas' read of the CSV as UTF-8, else Windows-1252 (an iterator of checked chunks
    with ``chunksize``); its errors as InputError."""
    for enc in dict.fromkeys((kw.get("encoding", "utf-8-sig"), "utf-8-sig", "cp1252")):
        kw["encoding"] = enc
        src = open_limited(p, file=str(path)) if suffix.endswith((".gz", ".bz2")) else p
        try:
            if chunksize:
                return _checked_chunks(pd.read_csv(src, chunksize=chunksize, **kw), path)
            return pd.read_csv(src, **kw)
        except UnicodeDecodeError:
            continue
        except pd.errors.EmptyDataError:
            raise InputError(f"the {kind} is empty", file=str(path)) from None
        except pd.errors.ParserError as e:
            raise _parser_error(e, path) from None
        except ValueError as e:  # usecols missing etc.
            raise InputError(f"cannot read the {kind}: {e}", file=str(path)) from None
        except (OSError, EOFError) as e:
            raise InputError(f"the compressed file is damaged or truncated ({e})",
                             file=str(path)) from None
        finally:
            if not isinstance(src, Path) and not chunksize:
                src.close()
    raise InputError("cannot decode the text (not UTF-8 or Windows-1252)", file=str(path))


def _parser_error(e, path) -> InputError:
    msg = str(e)
    m = re.search(r"line (\d+)", msg)
    row = int(m.group(1)) - 1 if m else None
    if "EOF" in msg:
        return InputError("the file ends inside a quoted value (truncated?)", file=str(path),
                          row=row)
    return InputError(f"malformed CSV: {msg.strip()}", file=str(path), row=row)


def _checked_chunks(reader, path):
    """The chunks of a chunked CSV read, each refused if it holds a NUL byte (rows counted
    through the whole file)."""
    offset = 0
    for chunk in reader:
        refuse_nul(chunk, file=str(path), row_offset=offset + 1)
        offset += len(chunk)
        yield chunk


def _read_xlsx(p: Path, path, *, sheet=None, header="infer") -> pd.DataFrame:
    """One sheet of a workbook, checked first (:func:`.limits.check_xlsx`), read by
    openpyxl in read-only mode (pandas' default), every cell as text; empty cells NaN."""
    check_xlsx(p, file=str(path))
    try:
        df = pd.read_excel(p, sheet_name=sheet or 0, dtype=str, header=0 if header else None,
                           engine="openpyxl", keep_default_na=False, na_values=[])
    except Exception as e:  # openpyxl raises many kinds
        raise InputError(f"cannot read the spreadsheet ({e.__class__.__name__}: {e})",
                         file=str(path)) from None
    df.columns = [str(c).strip() for c in df.columns]
    refuse_nul(df, file=str(path))
    df = df.where(df != "", np.nan)
    if df.dropna(how="all").empty:
        raise InputError("the spreadsheet has no data rows", file=str(path))
    return df.dropna(how="all").reset_index(drop=True)


def _check_truncated(p: Path, df: pd.DataFrame, path, *, delimiter: str = ",",
                     encoding: str = "utf-8") -> None:
    """A last line with fewer fields than the header (and no final newline) means the
    file was cut short."""
    size = p.stat().st_size
    with open(p, "rb") as f:
        f.seek(max(0, size - 65536))
        tail = f.read()
    if tail.endswith(b"\n") or tail.endswith(b"\r"):
        return
    last = tail.rsplit(b"\n", 1)[-1].decode(encoding, "replace")
    try:
        fields = next(csv.reader(io.StringIO(last), delimiter=delimiter))
    except (StopIteration, csv.Error):
        return
    if 0 < len(fields) < len(df.columns):
        raise InputError(f"the last row has {len(fields)} of {len(df.columns)} fields "
                         "(file truncated?)", file=str(path), row=len(df),
                         field=df.columns[len(fields)])


# --- where things are ----------------------------------------------------------------------
def area_union(store, conn, *, tolerance_m: float = AREA_TOLERANCE_M):
    """The union of the stored areas (finest level present), grown by ``tolerance_m``, in
    EPSG:4326; None when no areas are stored."""
    areas = store.read_areas(level=None, conn=conn)
    if areas.empty:
        return None
    for level in ("lsoa", "msoa", "ward", "la"):
        sub = areas[areas["level"] == level]
        if len(sub):
            areas = sub
            break
    proj = areas.to_crs(ANALYSIS_CRS)
    geom = shapely.union_all(shapely.buffer(proj.geometry.values, tolerance_m))
    out = gpd.GeoSeries([geom], crs=ANALYSIS_CRS).to_crs(STORAGE_CRS).iloc[0]
    shapely.prepare(out)
    return out


def inside(union, lon, lat) -> np.ndarray:
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if union is None:
        return np.ones(len(lon), dtype=bool)
    return shapely.contains_xy(union, lon, lat)


def check_lonlat(lon, lat):
    """None if the pair is a plausible UK point, else a message."""
    if lon is None or lat is None:
        return "longitude and latitude are both needed"
    x0, y0, x1, y1 = UK_BOUNDS
    if x0 <= lon <= x1 and y0 <= lat <= y1:
        return None
    if x0 <= lat <= x1 and y0 <= lon <= y1:
        return f"latitude {lat} and longitude {lon} look swapped"
    if abs(lon) > 180 or abs(lat) > 90:
        return (f"({lon}, {lat}) is not longitude/latitude (projected coordinates? give "
                "easting/northing columns instead)")
    return f"({lon}, {lat}) is outside the United Kingdom"
