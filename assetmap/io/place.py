"""The place a store holds: its name and local authority code (store meta ``area_name`` and
``la_code``), which every page, summary and export title uses; and which features of a
boundary file belong to an authority (``--la``).

Set by ``assetmap area`` (the ONS name of the authority), ``assetmap import boundaries
--la`` (the authority's name from the file or the stored lookup) and the demo. A store
that was never given a name is called after its LSOAs' common stem (ONS LSOA names are
the authority's name and a number, "Trafford 025A"), else :data:`UNNAMED`; never the
demo borough's name.
"""
from __future__ import annotations

import re
from collections import Counter

import pandas as pd

from .. import model
from ..errors import InputError
from .common import find_col

NAME_KEY = "area_name"
CODE_KEY = "la_code"
#: What a store is called when nothing names it.
UNNAMED = "the stored areas"
_LSOA_NAME = re.compile(r"^(.*\S)\s+\d{3}[A-Z]$")


def set_place(store, conn, *, name: str | None, code: str | None = None) -> None:
    """Record the place's name (and code) in the store's meta table."""
    if name:
        store.set_meta(NAME_KEY, str(name).strip()[:200], conn=conn)
    if code:
        store.set_meta(CODE_KEY, str(code).strip().upper(), conn=conn)


def name_stem(names) -> str | None:
    """The most common authority stem of ONS LSOA/MSOA names ("Rutland 003A" -> "Rutland"),
    or None when the names are not of that form."""
    stems = Counter(m.group(1) for n in names if (m := _LSOA_NAME.match(str(n).strip())))
    if not stems:
        return None
    return stems.most_common(1)[0][0]


def place_name(store, conn=None) -> str:
    """The store's place name: the meta name, else the stem of its LSOA names, else
    :data:`UNNAMED`."""
    name = store.get_meta(NAME_KEY, conn=conn)
    if name:
        return str(name)
    areas = store.read_areas(level=None, conn=conn)
    if len(areas):
        small = areas[areas["level"].isin(["lsoa", "msoa"])]
        stem = name_stem(small["name"] if len(small) else areas["name"])
        if stem:
            return stem
    return UNNAMED


def place_code(store, conn=None) -> str | None:
    """The store's local authority code, when one was recorded."""
    return store.get_meta(CODE_KEY, conn=conn)


# --- which features belong to an authority -------------------------------------------------
def la_columns(gdf):
    """(code column, name column) of a local authority column, if the file has one."""
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    code = next((c for c in cols if re.match(r"^(lad|la|ltla|utla|ctyua)\d{2}cd$", str(c), re.I)),
                None) or find_col(cols, ["la_code", "lad_code", "local_authority_code"])
    name = None
    if code is not None:    # LAD22CD -> LAD22NM, la_code -> la_name (the code column itself
        #                     is never its own name)
        cands = [re.sub("cd$", lambda m: "NM" if m.group(0).isupper() else "nm", code,
                        flags=re.I), re.sub("code$", "name", code, flags=re.I)]
        name = find_col(cols, [c for c in cands if c != code])
    if name is None:
        name = find_col(cols, ["la_name", "lad_name", "local_authority_name"])
    return code, name


def place_of(gdf, la, name_col, la_names: dict | None) -> tuple[str | None, str]:
    """(code, name) of the authority an ``--la`` filter picked: from the file's LA columns,
    the lookup's LA names, the LSOA names' stem, or as given."""
    la_s = str(la).strip()
    code_col, lname_col = la_columns(gdf)
    code = la_s.upper() if model.AREA_CODE_RE.match(la_s.upper()) else None
    if code is None and code_col is not None and len(gdf):
        code = str(gdf[code_col].mode().iloc[0]).strip().upper()
    name = None
    if lname_col is not None and len(gdf):
        name = str(gdf[lname_col].mode().iloc[0]).strip()
    if not name and code and la_names:
        name = la_names.get(code)
    if not name and name_col is not None:
        name = name_stem(gdf[name_col])
    if not name and code is None:
        name = la_s
    if code is None and la_names and name:
        code = next((c for c, n in la_names.items() if str(n).lower() == name.lower()), None)
    return code, name or la_s


def filter_la(gdf, la, name_col, file, la_lookup):
    la_s = str(la).strip()
    la_code, la_name = la_columns(gdf)
    if model.AREA_CODE_RE.match(la_s.upper()):
        la_u = la_s.upper()
        if la_code is not None:
            keep = gdf[la_code].astype(str).str.strip().str.upper() == la_u
        elif la_lookup:
            keep = gdf["_code"].map(lambda c: la_lookup.get(c) == la_u or c == la_u)
        elif (gdf["_code"] == la_u).any():
            keep = gdf["_code"] == la_u
        else:
            raise InputError("the file has no local authority code column to filter on; give "
                             "--la the authority's name instead (e.g. 'Trafford')",
                             file=file, field="la")
    else:
        key = la_s.lower()
        keep = pd.Series(False, index=gdf.index)
        if name_col is not None:
            keep |= gdf[name_col].astype(str).str.strip().str.lower().str.startswith(key)
        if la_name is not None:
            keep |= gdf[la_name].astype(str).str.strip().str.lower() == key
    keep = keep.fillna(False).astype(bool)
    if not keep.any():
        raise InputError(f"no area in the file belongs to local authority '{la}'", file=file,
                         field="la")
    return gdf[keep.to_numpy()].copy()
