"""CSV that a spreadsheet cannot run: the one writer every CSV export goes through.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (the
OWASP list, https://owasp.org/www-community/attacks/CSV_Injection) is read by Excel,
LibreOffice and Google Sheets as a formula, so user-typed text such as
``=HYPERLINK("http://x","y")`` would become a live link or worse. Such cells get a leading
apostrophe, which spreadsheets show as "this is text". Only text is changed: numbers (a
negative -1.5 in a numeric column) are written as numbers.

:func:`restore_cell` undoes :func:`safe_cell` for importers reading CSV written this way.
"""
from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import overload

import pandas as pd

#: First characters that make a spreadsheet treat a cell as a formula (OWASP).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"


def safe_cell(value):
    """``value`` with a leading apostrophe if it is text a spreadsheet would run as a
    formula; anything else (numbers, booleans, None, dates) unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return ESCAPE + value
    return value


def restore_cell(value):
    """The text :func:`safe_cell` was given (an apostrophe followed by a formula prefix
    loses the apostrophe); anything else unchanged."""
    if isinstance(value, str) and value.startswith(ESCAPE) and \
            value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell passed through :func:`safe_cell`; numeric,
    boolean and datetime columns are left exactly as they are."""
    out = pd.DataFrame(df).copy()
    for c in out.columns:
        col = out[c]
        if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col) or \
                pd.api.types.is_datetime64_any_dtype(col):
            continue
        out[c] = col.map(safe_cell).astype(object)
    return out


def _write_rows(rows: Iterable[Mapping], columns, buf) -> int:
    rows = list(rows)
    if columns is None:
        columns = []
        for r in rows:
            columns += [k for k in r if k not in columns]
    w = csv.DictWriter(buf, fieldnames=list(columns) or ["id"], extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow({k: "" if v is None else safe_cell(v) for k, v in r.items()})
    return len(rows)


@overload
def write_csv(data, path: None = None, *, columns=None) -> str: ...


@overload
def write_csv(data, path: str | os.PathLike, *, columns=None) -> int: ...


def write_csv(data, path=None, *, columns=None) -> str | int:
    """Write a DataFrame, or rows (dicts), as formula-safe CSV.

    With ``path`` the file is written (UTF-8) and the number of rows returned; without, the
    CSV text is returned. ``columns`` orders (and, for rows, selects) the columns; rows
    default to every key in order of first appearance; None is written as an empty cell.
    """
    buf = io.StringIO()
    if isinstance(data, pd.DataFrame):
        frame = safe_frame(data if columns is None else data[list(columns)])
        frame.to_csv(buf, index=False)
        n = len(frame)
    else:
        n = _write_rows(data, columns, buf)
    if path is None:
        return buf.getvalue()
    Path(path).write_text(buf.getvalue(), encoding="utf-8", newline="")
    return n
