"""``assetmap area LA_CODE FILES...``: a whole local authority from national open files.

Each file (or every data file in a folder given) is recognised by its columns:

* the ONS LSOA (2011) -> LSOA (2021) -> LAD (2022) lookup: which LSOAs the authority has,
  its ONS name, and the code translation for later files;
* IoD 2019 files (File 1, 2, 3, 5, 7 and File 6's denominators): which 2011 LSOAs the
  authority had in 2019, every domain's rank, decile (and score where given), and the
  population when nothing better exists; only the authority's rows are read;
* LSOA centroids or label points (ONS population-weighted centroids, the BSC boundary
  attribute table): approximate area shapes (Voronoi cells, :mod:`.centroids`);
* LSOA polygons (any ONS boundary file): real shapes, for the areas they cover;
* the authority's boundary (a polygon whose code or ``ref:gss`` is LA_CODE, e.g. the LAD
  boundary file or an OpenStreetMap relation), which the cells are clipped to;
* any other indicator table :func:`.indicators.read_indicator_file` recognises (Census
  2021, mid-year estimates, Fingertips), joined through the lookup.

Everything is written in one transaction (a bad file changes nothing); the report says
what each file gave, which it did not use and why, and what the place still lacks.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import shapely

from .. import model
from ..errors import InputError
from ..settings import ANALYSIS_CRS
from . import centroids
from .boundaries import _detect_code_column, areas_from_frame, read_clip, read_vector
from .common import ImportReport, find_col, read_table
from .indicators.batch import year_of
from .indicators.codes import read_lookup_file
from .indicators.importer import store_batch
from .indicators.readers import read_indicator_frame
from .place import set_place
from .sources import Found, classify, missing_notes, scan

_LA_CODE_COLUMNS = ["Local Authority District code (2019)", "LAD19CD", "LAD22CD", "LAD21CD",
                    "LAD23CD", "lad_code", "la_code"]
_LA_NAME_COLUMNS = ["Local Authority District name (2019)", "LAD19NM", "LAD22NM", "LAD21NM",
                    "LAD23NM", "lad_name", "la_name"]


@dataclass
class Authority:
    """Who the authority is and which LSOAs it has, by census vintage."""
    code: str
    name: str | None = None
    lsoa: dict = field(default_factory=lambda: {"2011": set(), "2021": set()})
    said_by: list = field(default_factory=list)
    #: LSOA code (either vintage) -> (LAD code, LAD name) from the lookup
    lads: dict = field(default_factory=dict)


def build_area(store, la, paths, *, boundary=None, replace: bool = False) -> ImportReport:
    """Build authority ``la`` (a code such as E06000017, or its ONS name) from ``paths``
    (files or folders) into ``store``, in one transaction; the report of what was done."""
    found = [classify(p) for p in scan(paths)]
    if boundary is not None:
        found.append(Found(Path(boundary), "boundary", [], "given with --boundary"))
    report = ImportReport("area", ", ".join(str(p) for p in paths))
    tables = {f.path: read_table(f.path, kind="table") for f in found
              if f.kind in ("lookup", "iod")}
    auth = find_authority(la, found, tables)
    report.file = f"{auth.name or auth.code} ({auth.code})"
    areas, region = _areas(auth, found, report)
    areas = lad_parents(areas, auth)
    batches = _batches(auth, found, tables, report)
    with store.transaction() as conn:
        _check_store(store, conn, auth, replace)
        report.add("areas", store.write_areas(areas, replace=replace, conn=conn,
                                              file=report.file))
        centroids.save_outline(store, conn, region)
        set_place(store, conn, name=auth.name or auth.code, code=auth.code)
        for path, batch in batches:
            store_batch(store, conn, batch, str(path), False, _Sub(report, path))
    report.notes += missing_notes(store, found)
    for f in found:
        if f.kind == "other":
            report.notes.append(f"not used: {f.path.name} ({f.why})")
    return report


class _Sub(ImportReport):
    """One file's part of the whole report: counts add up, notes are prefixed by its name."""

    def __init__(self, parent: ImportReport, path: Path):
        super().__init__(parent.kind, str(path))
        self.parent, self.name = parent, Path(path).name
        self.notes = _Prefixed(parent.notes, self.name)
        self.skipped = parent.skipped

    def add(self, table: str, n: int) -> None:
        self.parent.add(table, n)


class _Prefixed(list):
    def __init__(self, target: list, prefix: str):
        super().__init__()
        self.target, self.prefix = target, prefix

    def append(self, item) -> None:
        self.target.append(f"{self.prefix}: {item}")

    def extend(self, items) -> None:
        for i in items:
            self.append(i)


# --- who the authority is ----------------------------------------------------------------------
def find_authority(la, found: list[Found], tables: dict) -> Authority:
    """The authority's code, ONS name and LSOAs from the lookup and IoD tables."""
    key = str(la).strip()
    code = key.upper() if model.AREA_CODE_RE.match(key.upper()) else None
    auth = Authority(code or key)
    for f in found:
        if f.kind == "lookup":
            _from_lookup(auth, tables[f.path], f, key)
        elif f.kind == "iod":
            _from_iod(auth, tables[f.path], f, key)
    if not auth.lsoa["2011"] and not auth.lsoa["2021"]:
        files = [f.path.name for f in found if f.kind in ("lookup", "iod")]
        raise InputError(f"local authority '{key}' is not in "
                         + (", ".join(files) if files else "any of the files given (give the "
                            "ONS LSOA lookup or an IoD 2019 file)")
                         + " (give an ONS code such as E06000017 or the ONS name)",
                         field="la_code")
    return auth


#: Country codes (ONS GSS) and names that stand for every authority whose code starts with
#: the letter: ``assetmap area E92000001`` builds all of England (32,844 LSOAs in 2011).
COUNTRIES = {"E92000001": ("E", "England"), "W92000004": ("W", "Wales")}


def _country(key: str) -> tuple[str, str] | None:
    """(code prefix, name) when ``key`` is a country's code or name, else None."""
    for code, (prefix, name) in COUNTRIES.items():
        if key.upper() == code or key.lower() == name.lower():
            return prefix, name
    return None


def _match(codes: pd.Series, names: pd.Series | None, key: str):
    country = _country(key)
    if country is not None:
        return codes.astype(str).str.strip().str.upper().str.startswith(country[0]).to_numpy()
    hit = codes.astype(str).str.strip().str.upper() == key.upper()
    if names is not None:
        hit |= names.astype(str).str.strip().str.lower() == key.lower()
    return hit.to_numpy()


def _from_lookup(auth: Authority, df, f: Found, key: str) -> None:
    batch = read_lookup_file(df, str(f.path), _NoBad())
    lk = batch.lookup if batch is not None else None
    if lk is None or "lad" not in lk:
        return
    hit = _match(lk["lad"], lk.get("lad_name"), key)
    if not hit.any():
        return
    rows = lk[hit]
    auth.code = str(rows["lad"].iloc[0])
    if not _named_country(auth, key) and "lad_name" in rows and not auth.name:
        auth.name = str(rows["lad_name"].mode().iloc[0])
    auth.lsoa["2011"] |= set(rows["old"])
    auth.lsoa["2021"] |= set(rows["new"])
    auth.said_by.append(f.path.name)
    names = rows["lad_name"] if "lad_name" in rows else rows["lad"]
    for col in ("old", "new"):
        auth.lads.update(zip(rows[col].astype(str), zip(rows["lad"].astype(str),
                                                         names.astype(str))))


def _from_iod(auth: Authority, df, f: Found, key: str) -> None:
    la_col = find_col(df.columns, _LA_CODE_COLUMNS)
    code_col = find_col(df.columns, ["LSOA code (2011)", "lsoa11cd", "LSOA11CD"])
    if la_col is None or code_col is None:
        return
    name_col = find_col(df.columns, _LA_NAME_COLUMNS)
    hit = _match(df[la_col], df[name_col] if name_col else None, key)
    if not hit.any():
        return
    rows = df[hit]
    auth.code = str(rows[la_col].iloc[0]).strip().upper()
    if not _named_country(auth, key) and name_col and not auth.name:
        auth.name = str(rows[name_col].mode().iloc[0]).strip()
    auth.lsoa["2011"] |= set(rows[code_col].str.strip().str.upper())
    auth.said_by.append(f.path.name)


def _named_country(auth: Authority, key: str) -> bool:
    """Name ``auth`` after the country ``key`` stands for (True), if it is one."""
    country = _country(key)
    if country is None:
        return False
    auth.code = next(c for c, v in COUNTRIES.items() if v == country)
    auth.name = country[1]
    return True


class _NoBad:
    """A bad-row sink for reading the lookup only to find the authority (its bad rows are
    reported when the lookup itself is stored)."""

    def add(self, *a, **k) -> None:
        return None


# --- the areas ---------------------------------------------------------------------------------
def _areas(auth: Authority, found: list[Found], report: ImportReport):
    """The authority's areas (real polygons where a file has them, cells around centroids
    elsewhere) and the region the cells were clipped to (EPSG:27700)."""
    polys = [(f, read_vector(f.path, report.notes)) for f in found if f.kind == "polygons"]
    points = [(f, read_vector(f.path, report.notes)) for f in found if f.kind == "centroids"]
    year = _vintage(points or polys, auth)
    members = auth.lsoa[year]
    region = _region(auth, found)
    real: list = []
    covered: set[str] = set()
    for f, g in polys:
        other = year_of(str(_detect_code_column(g, None, str(f.path))))
        if other not in (None, year) or not _has_any(g, members - covered):
            report.notes.append(f"not used: {f.path.name} (" + (f"{other} codes; the areas "
                                f"are {year}'s)" if other not in (None, year) else
                                "no polygon of the areas still to draw)"))
            continue
        got = areas_from_frame(g, str(f.path), report=_Sub(report, f.path),
                               codes=members - covered)
        real.append(got)
        covered |= set(got["code"])
    real_gdf = pd.concat(real, ignore_index=True) if real else None
    parts = [real_gdf] if real_gdf is not None else []
    exclude = None if real_gdf is None else shapely.union_all(
        real_gdf.to_crs(ANALYSIS_CRS).geometry.values)
    for f, g in points:
        todo = (members - covered) & set(_codes(g))
        if todo:
            sub = _Sub(report, f.path)
            cells = areas_from_frame(g, str(f.path), report=sub, codes=todo, clip=region,
                                     exclude=exclude)
            region = cells.attrs.get("region") if region is None else region
            parts.append(cells)
            covered |= set(cells["code"])
    if not parts:
        raise InputError(f"no LSOA centroids or boundaries for {auth.name or auth.code} in the "
                         "files given (give the ONS LSOA centroids, e.g. the BSC attribute "
                         "table, or LSOA boundaries)", field="geometry")
    _note_coverage(report, auth, year, members, covered, real_gdf)
    out = pd.concat(parts, ignore_index=True)
    if region is None:
        region = shapely.union_all(out.to_crs(ANALYSIS_CRS).geometry.values)
    return out, region


def lad_parents(areas, auth: Authority):
    """A build of several authorities at once (a country): each LSOA's parent is its local
    authority (code and name from the ONS lookup), so a national map can aggregate to it.
    One authority keeps the parents (wards) it has."""
    got = [auth.lads.get(str(c)) for c in areas["code"]]
    lads = {g[0] for g in got if g}
    if len(lads) < 2:
        return areas
    areas = areas.copy()
    old_code = areas["parent_code"] if "parent_code" in areas else [None] * len(areas)
    old_name = areas["parent_name"] if "parent_name" in areas else [None] * len(areas)
    areas["parent_code"] = [g[0] if g else o for g, o in zip(got, old_code)]
    areas["parent_name"] = [g[1] if g else o for g, o in zip(got, old_name)]
    return areas


def _codes(gdf) -> list:
    col = _detect_code_column(gdf, None, "")
    return gdf[col].astype(str).str.strip().str.upper().tolist()


def _has_any(gdf, members: set) -> bool:
    return bool(set(_codes(gdf)) & members)


def _vintage(files: list, auth: Authority) -> str:
    """The census vintage of the geometry files (their code column: LSOA11CD / LSOA21CD;
    else which set of the authority's codes they hold more of)."""
    for f, g in files:
        year = year_of(str(_detect_code_column(g, None, str(f.path))))
        if year in ("2011", "2021"):
            return year
    if files:
        codes = set(_codes(files[0][1]))
        return "2021" if len(codes & auth.lsoa["2021"]) > len(codes & auth.lsoa["2011"]) \
            else "2011"
    return "2011"


def _region(auth: Authority, found: list[Found]):
    """The authority's boundary from a boundary file (EPSG:27700), or None."""
    for f in found:
        if f.kind == "boundary":
            return read_clip(f.path, la=auth.code)
    return None


def _note_coverage(report, auth, year, members, covered, real_gdf) -> None:
    n_real = 0 if real_gdf is None else len(real_gdf)
    report.notes.append(f"{auth.name or auth.code} ({auth.code}) has {len(members)} LSOAs "
                        f"({year} codes, from {', '.join(auth.said_by)}); {len(covered)} "
                        f"areas loaded: {n_real} with real boundaries, {len(covered) - n_real} "
                        "approximate shapes drawn from centroids")
    lost = sorted(members - covered)
    if lost:
        report.notes.append(f"missing: {len(lost)} LSOAs have no centroid or boundary in the "
                            "files: " + ", ".join(lost[:20]) + (" ..." if len(lost) > 20 else ""))


# --- the tables --------------------------------------------------------------------------------
def _batches(auth: Authority, found: list[Found], tables: dict, report) -> list:
    """Every table read for the authority, in the order they are written: the lookup, IoD
    (its rows for the authority only), then the other tables."""
    out = []
    order = {"lookup": 0, "iod": 1, "table": 2}
    for f in sorted((f for f in found if f.kind in order), key=lambda f: order[f.kind]):
        df = tables.get(f.path)
        if df is None:
            df = read_table(f.path, kind="indicator file")
        rows = len(df)
        if f.kind == "iod":
            df = _authority_rows(df, auth)
        try:
            out.append((f.path, read_indicator_frame(df, f.path, rows_in_file=rows)))
        except InputError as e:
            if f.kind != "table" or "not a recognised indicator file" not in e.message:
                raise
            report.notes.append(f"not used: {f.path.name} (not an indicator table AssetMap "
                                "recognises; import it with a mapping file)")
    return out


def _authority_rows(df, auth: Authority):
    """An IoD table's rows of the authority's 2011 LSOAs."""
    code_col = find_col(df.columns, ["LSOA code (2011)", "lsoa11cd", "LSOA11CD"])
    if code_col is None:
        return df
    return df[df[code_col].str.strip().str.upper().isin(auth.lsoa["2011"]).to_numpy()]


def _check_store(store, conn, auth: Authority, replace: bool) -> None:
    """Refuse to mix authorities in one store (unless ``replace``)."""
    if replace:
        return
    have = store.read_areas(level="lsoa", conn=conn)
    ours = auth.lsoa["2011"] | auth.lsoa["2021"]
    others = sorted(set(have["code"]) - ours)
    if others:
        raise InputError(f"the store already holds {len(others)} other areas (e.g. {others[0]}"
                         f"): use --replace to start again, or another store (--db)",
                         field="la_code")
