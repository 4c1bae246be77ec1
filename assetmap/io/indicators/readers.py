"""Recognising a file's layout and reading it into an :class:`~.batch.IndicatorBatch`:
through a mapping file when one is given, else the first recogniser that knows the layout
(the 2011->2021 lookup, Census 2021, IoD 2019 long and wide, Fingertips, AssetMap's own
long and wide layouts, other named long files)."""
from __future__ import annotations

from ...errors import InputError
from ..common import BadRows, ImportReport, read_table
from .batch import KNOWN, IndicatorBatch
from .census import read_census_long
from .codes import read_lookup_file
from .fingertips import read_fingertips
from .generic import read_named_long, read_own_long, read_own_wide
from .iod import read_iod_long, read_iod_wide
from .mappings import load_mapping, read_mapped

#: Tried in this order; each returns None when the file is not its layout. After them come
#: AssetMap's wide layout (which needs the known indicator ids) and other named long files.
RECOGNISERS = (read_lookup_file, read_census_long, read_iod_long, read_iod_wide,
               read_fingertips, read_own_long)


def read_indicator_file(path, *, mapping=None, skip_bad=False, report=None,
                        known_ids=()) -> IndicatorBatch:
    """Parse an indicator (or lookup) file; bad rows raise (or are skipped with
    ``skip_bad``), a file with no values raises. ``mapping``: a mapping file or dict."""
    file = str(path)
    report = report or ImportReport("indicators", file)
    df = read_table(path, kind="indicator file")
    bad = BadRows(file, skip_bad, report)
    if mapping is not None:
        m = load_mapping(mapping) if not isinstance(mapping, dict) else mapping
        b = read_mapped(df, file, bad, m, mapping)
    else:
        b = _recognised(df, file, bad, known_ids)
    bad.check()
    if b.kind != "lsoa_lookup" and not b.values:
        raise InputError("no indicator values found in the file", file=file)
    return b


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
