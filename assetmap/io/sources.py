"""What a council's files are, told from their columns (for ``assetmap area``), and what a
store still lacks afterwards, with where each missing file is published."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import InputError
from .centroids import point_columns
from .common import find_col
from .indicators.iod import wide_columns
from .indicators.population import iod_denominator_columns

#: File endings looked at in a folder (anything else, e.g. SOURCE.md, is passed over).
TABLE_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.zip", ".xlsx", ".txt")
VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip")
_LSOA_CODE_COLUMNS = ["LSOA11CD", "LSOA21CD", "lsoa11cd", "lsoa21cd", "LSOA code (2011)",
                      "LSOA code (2021)", "area_code", "code"]

#: Where a council downloads each kind of file (README, "Load a whole authority").
WHERE = {
    "lookup": "ONS Open Geography Portal (geoportal.statistics.gov.uk): 'LSOA (2011) to LSOA "
              "(2021) to Local Authority District (2022) Lookup for England and Wales'",
    "iod": "gov.uk, 'English indices of deprivation 2019': File 7 (all scores, ranks, "
           "deciles and denominators), or Files 2 and 6",
    "centroids": "ONS Open Geography Portal: 'LSOA (Dec 2011) Population Weighted Centroids' "
                 "or the LSOA boundary layer's attribute table (LONG/LAT)",
    "polygons": "ONS Open Geography Portal: 'Lower layer Super Output Areas (December 2011) "
                "Boundaries EW BGC' (or 2021)",
    "boundary": "ONS Open Geography Portal: 'Local Authority Districts (December 2022) "
                "Boundaries UK BGC', or the authority's OpenStreetMap relation",
    "census": "Nomis bulk downloads (nomisweb.co.uk, Census 2021 bulk: TS003 household "
              "composition, TS038 disability, TS039 unpaid care, TS037 general health, TS007A "
              "age), or your own Census 2021 LSOA tables",
    "population": "ONS 'Lower layer Super Output Area population estimates' (mid-year, "
                  "single year of age)",
    "postcodes": "ONS Postcode Directory (ONSPD), ONS Open Geography Portal",
    "osm": "an OpenStreetMap extract of the county (download.geofabrik.de, .osm.pbf)",
}


@dataclass
class Found:
    """One file and what it looks like: lookup, iod, centroids, polygons, boundary, table
    (another indicator table) or other (with why it is not used)."""
    path: Path
    kind: str
    columns: list = field(default_factory=list)
    why: str = ""


def scan(paths) -> list[Path]:
    """The data files among ``paths`` (files, and the files in folders, recursively)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if not p.exists():
            raise InputError("no such file or folder", file=str(p))
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith(".")
                          and _suffix(f) in TABLE_SUFFIXES + VECTOR_SUFFIXES + (".pbf", ".bz2"))
        else:
            out.append(p)
    return list(dict.fromkeys(out))


def _suffix(p: Path) -> str:
    two = "".join(p.suffixes[-2:]).lower()
    return two if two in TABLE_SUFFIXES else p.suffix.lower()


def classify(path: Path) -> Found:
    """What ``path`` holds, told from its name and columns (without reading it whole)."""
    name = path.name.lower()
    if ".osm" in name or name.endswith(".pbf"):
        return Found(path, "other", why="an OpenStreetMap extract: assetmap import osm FILE")
    if _suffix(path) in TABLE_SUFFIXES:
        return _classify_table(path)
    if _suffix(path) in VECTOR_SUFFIXES:
        return _classify_vector(path)
    return Found(path, "other", why="not a table or a boundary file")


def _classify_table(path: Path) -> Found:
    try:
        if path.suffix.lower() == ".xlsx":
            cols = list(pd.read_excel(path, nrows=0).columns)
        else:
            cols = list(pd.read_csv(path, nrows=0, encoding="utf-8-sig", dtype=str).columns)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as e:
        return Found(path, "other", why=f"cannot read its header ({str(e)[:80]})")
    cols = [str(c).strip() for c in cols]
    if find_col(cols, ["LSOA11CD"]) and find_col(cols, ["LSOA21CD"]):
        return Found(path, "lookup", cols)
    if wide_columns(cols) or {"total", "60_plus"} <= set(iod_denominator_columns(cols)):
        return Found(path, "iod", cols)
    if point_columns(cols) and find_col(cols, _LSOA_CODE_COLUMNS):
        return Found(path, "centroids", cols)
    return Found(path, "table", cols)


def _classify_vector(path: Path) -> Found:
    import geopandas as gpd
    try:
        g = gpd.read_file(path, rows=50)
    except Exception as e:  # noqa: BLE001 - pyogrio raises many kinds; the file is skipped
        return Found(path, "other", why=f"not a readable boundary file ({str(e)[:80]})")
    codes = _code_values(g)
    types = set(g.geometry.dropna().geom_type)
    cols = [c for c in g.columns if c != g.geometry.name]
    lsoa = codes is not None and codes.str[:3].isin(["E01", "W01"]).mean() > 0.5
    if types <= {"Point"} and types:
        return Found(path, "centroids", cols) if lsoa else \
            Found(path, "other", why="points that are not LSOA centroids (assets? "
                                     "assetmap import assets FILE)")
    if not types <= {"Polygon", "MultiPolygon"} or not types:
        return Found(path, "other", why="no polygons")
    if lsoa:
        return Found(path, "polygons", cols)
    if codes is not None and codes.str[:3].isin(["E06", "E07", "E08", "E09", "W06"]).any():
        return Found(path, "boundary", cols)
    return Found(path, "other", why="polygons that are neither LSOAs nor a local authority "
                                    "(wards? assetmap import boundaries FILE)")


def _code_values(g) -> pd.Series | None:
    """The ONS codes of a vector file's first features, upper case, from the first column
    that holds them."""
    for c in g.columns:
        if c == g.geometry.name:
            continue
        v = g[c].dropna().astype(str).str.strip().str.upper()
        if len(v) and v.str.match(r"^[EWSNK]\d{8}$").mean() > 0.9:
            return v
    return None


def missing_notes(store, found: list[Found]) -> list[str]:
    """What the store still lacks after ``assetmap area``, each with where to get it."""
    areas = store.read_areas(level="lsoa")
    ids = set(store.read_indicators()["id"])
    counts = store.counts()
    out = []
    approx = int(areas["approximate_geometry"].astype(bool).sum()) if len(areas) else 0
    if approx:
        out.append(f"missing: real boundaries for {approx} of {len(areas)} areas (their shapes "
                   f"are approximate): {WHERE['polygons']}")
    if not any(f.kind == "boundary" for f in found):
        out.append(f"missing: the authority's boundary: {WHERE['boundary']}")
    if not ids & {"living_alone_65", "llti", "unpaid_carers", "bad_health"}:
        out.append(f"missing: Census 2021 tables (the need index's census indicators and the "
                   f"loneliness model): {WHERE['census']}")
    if "idaopi" not in ids:
        out.append("missing: IoD 2019 scores, IDACI and IDAOPI (the need index ranks on the "
                   f"IMD instead of IDAOPI): {WHERE['iod']}")
    if str(store.get_meta("population_source") or "").startswith("fallback:") or \
            not store.get_meta("population_source"):
        out.append("missing: a current population by age (IoD File 6 is mid-2015 and gives "
                   f"60+ only): {WHERE['population']}")
    if not counts["postcodes"]:
        out.append(f"missing: postcodes (offline geocoding): {WHERE['postcodes']}")
    if not store.blob_hash("osm"):
        out.append(f"missing: the street network (walking times are straight-line estimates "
                   f"until then): {WHERE['osm']}")
    if not counts["assets"]:
        out.append("missing: community assets and providers (assetmap import assets / osm / "
                   "cqc / openreferral)")
    return out
