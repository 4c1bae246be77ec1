"""Recognising a file's layout and reading it into an :class:`~.batch.IndicatorBatch`:
through a mapping file when one is given, else the first recogniser that knows the layout
(the 2011->2021 lookup, Census 2021 long and Nomis, IoD 2019 long and wide, ONS mid-year
estimates, Fingertips, AssetMap's own long and wide layouts, other named long files).

Every read says what the file held and what was kept (:func:`describe`): its layout, rows
and columns, the indicators kept, population, and every column that was skipped."""
from __future__ import annotations

import re

from ...errors import InputError
from ..common import BadRows, ImportReport, find_col, read_table
from .batch import KNOWN, IndicatorBatch
from .census import read_census_long
from .codes import read_lookup_file
from .fingertips import read_fingertips
from .generic import read_named_long, read_own_long, read_own_wide
from .iod import read_iod_long, read_iod_wide
from .mappings import load_mapping, read_mapped
from .nomis import read_nomis_api_long, read_nomis_wide
from .population import read_mid_year

#: Tried in this order; each returns None when the file is not its layout. After them come
#: AssetMap's wide layout (which needs the known indicator ids) and other named long files.
RECOGNISERS = (read_lookup_file, read_census_long, read_nomis_wide, read_nomis_api_long,
               read_iod_long, read_iod_wide, read_mid_year, read_fingertips, read_own_long)
#: What each layout is called in the report.
LAYOUTS = {
    "lsoa_lookup": "the ONS LSOA 2011 -> 2021 lookup", "iod_long": "IoD 2019 (long)",
    "iod_wide": "IoD 2019 (MHCLG wide file)",
    "iod_denominators": "IoD 2019 File 6 population denominators",
    "mid_year_estimates": "ONS mid-year population estimates", "fingertips": "a Fingertips "
    "export", "long": "AssetMap's long layout", "wide": "AssetMap's wide layout",
    "named_long": "a long table (area_code, indicator, value)", "mapped": "the mapping file",
}
#: Columns that identify or describe a row (names, codes of the parent authority, object
#: ids, dates): not indicators, so not reported as skipped.
_DESCRIPTIVE = re.compile(r"(name|nm|nmw)$|name \(|^(objectid|fid|globalid|geography|"
                          r"geography type|date|period|measure|unit|year)$|^local authority "
                          r"district|^lad\d\d(cd|nm)$|^la(d)?_?(code|name)$", re.I)


def read_indicator_file(path, *, mapping=None, skip_bad=False, report=None,
                        known_ids=()) -> IndicatorBatch:
    """Parse an indicator (or lookup) file; bad rows raise (or are skipped with
    ``skip_bad``), a file with no values raises. ``mapping``: a mapping file or dict."""
    df = read_table(path, kind="indicator file")
    return read_indicator_frame(df, path, mapping=mapping, skip_bad=skip_bad, report=report,
                                known_ids=known_ids)


def read_indicator_frame(df, path, *, mapping=None, skip_bad=False, report=None,
                         known_ids=(), rows_in_file: int | None = None) -> IndicatorBatch:
    """:func:`read_indicator_file` on a table already read (``df``, index = the file's data
    rows from 0; a subset of the rows is fine, e.g. one authority's)."""
    file = str(path)
    report = report or ImportReport("indicators", file)
    bad = BadRows(file, skip_bad, report)
    if mapping is not None:
        m = load_mapping(mapping) if not isinstance(mapping, dict) else mapping
        b = read_mapped(df, file, bad, m, mapping)
    else:
        b = _recognised(df, file, bad, known_ids)
    bad.check()
    if b.kind != "lsoa_lookup" and not b.values and not b.area_columns:
        raise InputError("no indicator values found in the file", file=file)
    b.names = b.names or _names(df)
    b.notes.insert(0, describe(b, df, rows_in_file))
    return b


_CODE_COLUMNS = ["area_code", "geography code", "GEOGRAPHY_CODE", "LSOA21CD", "LSOA11CD",
                 "LSOA code (2021)", "LSOA code (2011)", "LSOA 2021 Code", "lsoa11cd"]
_NAME_COLUMNS = ["area_name", "geography", "GEOGRAPHY_NAME", "LSOA21NM", "LSOA11NM",
                 "LSOA name (2021)", "LSOA name (2011)", "LSOA 2021 Name"]


def _names(df) -> dict:
    """Area code -> name as the file gives them (for codes the lookup lacks)."""
    code, name = find_col(df.columns, _CODE_COLUMNS), find_col(df.columns, _NAME_COLUMNS)
    if code is None or name is None:
        return {}
    pairs = df[[code, name]].drop_duplicates(code)
    return {str(c).strip().upper(): str(n).strip() for c, n in zip(pairs[code], pairs[name])}


def describe(b: IndicatorBatch, df, rows_in_file: int | None = None) -> str:
    """What the file held and what the reader kept, naming every skipped column."""
    used = b.used if b.used else set(df.columns)     # fixed layouts use every column
    skipped = [str(c) for c in df.columns if c not in used and not _DESCRIPTIVE.search(str(c))]
    kept = sorted({v["indicator_id"] for v in b.values})
    rows = f"{len(df):,} rows" + (f" (of {rows_in_file:,} in the file)"
                                   if rows_in_file and rows_in_file != len(df) else "")
    layout = LAYOUTS.get(b.kind) or (f"Census 2021 ({b.kind[7:].replace('_', ' ')})"
                                     if b.kind.startswith("census_") else b.kind)
    parts = [f"read as {layout}: {rows}, "
             f"{len(df.columns)} columns"]
    if b.kind != "lsoa_lookup":
        parts.append(f"kept {len(kept)} indicator(s)" + (f" ({', '.join(kept)})" if kept
                                                         else ""))
    if b.area_columns:
        parts.append(f"population by age for {len(b.area_columns)} areas"
                     + (f" ({b.population_source})" if b.population_source else ""))
    parts.append("skipped columns: " + (", ".join(skipped) if skipped else "none"))
    return "; ".join(parts)


def _recognised(df, file, bad, known_ids) -> IndicatorBatch:
    for rec in RECOGNISERS:
        b = rec(df, file, bad)
        if b is not None:
            return b
    b = read_own_wide(df, file, bad, set(KNOWN) | set(known_ids))
    if b is None:
        b = read_named_long(df, file, bad)
    if b is None:
        raise InputError("not a recognised indicator file (columns: "
                         f"{', '.join(list(df.columns)[:10])}); describe it with --mapping "
                         "FILE (see assetmap.io.indicators.load_mapping)", file=file)
    return b
