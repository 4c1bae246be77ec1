"""Areas, indicators and their values per area, and postcodes."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from .. import model
from ..errors import InputError
from ..settings import STORAGE_CRS
from .core import StoreCore, _frame, _records
from .schema import areas, indicator_values, indicators, postcodes

#: The columns postcode reads return, in order.
POSTCODE_COLUMNS = ["postcode", "lon", "lat", "area_code"]


class AreasMixin(StoreCore):
    """Areas, indicators, indicator values and postcodes (mixed into ``Store``)."""

    # --- areas -----------------------------------------------------------------------
    def write_areas(self, gdf: gpd.GeoDataFrame, *, replace: bool = False,
                    conn: Connection | None = None, file: str = "areas") -> int:
        """Insert or update areas by code. ``replace`` first removes every area (and its
        indicator values) of the levels being written."""
        clean = model.validate_areas(gdf, file=file)
        rows = _records(clean, model.AREA_COLUMNS)
        for r, geom in zip(rows, clean.geometry):
            r["geometry"] = geom
        with self._use(conn, write=True) as c:
            if replace:
                lv = sorted(set(clean["level"]))
                c.execute(delete(areas).where(areas.c.level.in_(lv)))
            self._upsert(c, areas, rows, ["code"])
        return len(rows)

    def read_areas(self, level: str | None = "lsoa", codes=None,
                   conn: Connection | None = None) -> gpd.GeoDataFrame:
        q = select(areas).order_by(areas.c.code)
        if level:
            q = q.where(areas.c.level == level)
        if codes is not None:
            q = q.where(areas.c.code.in_(list(codes)))
        with self._use(conn) as c:
            rows = [dict(r._mapping) for r in c.execute(q)]
        df = _frame(rows, model.AREA_COLUMNS)
        return gpd.GeoDataFrame(df, geometry=[r["geometry"] for r in rows], crs=STORAGE_CRS)

    # --- indicators ------------------------------------------------------------------
    def write_indicators(self, df: pd.DataFrame, conn: Connection | None = None,
                         file: str = "indicators") -> int:
        clean = model.validate_indicators(df, file=file)
        with self._use(conn, write=True) as c:
            self._upsert(c, indicators, _records(clean, model.INDICATOR_COLUMNS), ["id"])
        return len(clean)

    def read_indicators(self, conn: Connection | None = None) -> pd.DataFrame:
        with self._use(conn) as c:
            rows = [dict(r._mapping)
                    for r in c.execute(select(indicators).order_by(indicators.c.id))]
        return _frame(rows, model.INDICATOR_COLUMNS)

    def write_values(self, df: pd.DataFrame, conn: Connection | None = None,
                     file: str = "indicator values") -> int:
        clean = model.validate_values(df, file=file)
        with self._use(conn, write=True) as c:
            known = set(c.execute(select(areas.c.code)).scalars())
            bad = ~clean["area_code"].isin(known)
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise InputError(f"unknown area code '{clean['area_code'].iloc[i]}' (import the "
                                 "boundaries first)", file=file, row=i + 1, field="area_code")
            known_ind = set(c.execute(select(indicators.c.id)).scalars())
            bad = ~clean["indicator_id"].isin(known_ind)
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise InputError(f"unknown indicator '{clean['indicator_id'].iloc[i]}'",
                                 file=file, row=i + 1, field="indicator_id")
            self._upsert(c, indicator_values, _records(clean, model.VALUE_COLUMNS),
                         ["indicator_id", "area_code"])
        return len(clean)

    def read_values(self, indicator_ids=None, conn: Connection | None = None) -> pd.DataFrame:
        q = select(indicator_values).order_by(indicator_values.c.indicator_id,
                                              indicator_values.c.area_code)
        if indicator_ids is not None:
            q = q.where(indicator_values.c.indicator_id.in_(list(indicator_ids)))
        with self._use(conn) as c:
            res = c.execute(q)        # tuples, not a dict per row: England has 591,000 values
            cols = list(res.keys())
            rows = pd.DataFrame([tuple(r) for r in res.fetchall()], columns=cols)
        return model.apply_dtypes(rows.reindex(columns=list(model.VALUE_COLUMNS)),
                                  model.VALUE_COLUMNS)

    def values_wide(self, column: str = "value") -> pd.DataFrame:
        """Indicator values as one column per indicator, indexed by area code."""
        v = self.read_values()
        if v.empty:
            return pd.DataFrame()
        return v.pivot(index="area_code", columns="indicator_id", values=column)

    # --- postcodes -------------------------------------------------------------------
    def write_postcodes(self, df: pd.DataFrame, conn: Connection | None = None) -> int:
        rows = _records(df, POSTCODE_COLUMNS)
        with self._use(conn, write=True) as c:
            self._upsert(c, postcodes, rows, ["postcode"])
        return len(rows)

    def lookup_postcodes(self, codes, conn: Connection | None = None) -> pd.DataFrame:
        """Known postcodes among ``codes`` (normalised), with lon/lat."""
        wanted = sorted({n for p in codes if (n := model.normalise_postcode(p))})
        out = []
        with self._use(conn) as c:
            for i in range(0, len(wanted), 500):
                out += [dict(r._mapping) for r in c.execute(
                    select(postcodes).where(postcodes.c.postcode.in_(wanted[i:i + 500])))]
        return pd.DataFrame(out, columns=POSTCODE_COLUMNS)

    def postcodes_within(self, bounds, conn: Connection | None = None) -> pd.DataFrame:
        """Postcodes whose point lies in a lon/lat box (minx, miny, maxx, maxy)."""
        minx, miny, maxx, maxy = (float(b) for b in bounds)
        with self._use(conn) as c:
            rows = [dict(r._mapping) for r in c.execute(select(postcodes).where(
                (postcodes.c.lon >= minx) & (postcodes.c.lon <= maxx)
                & (postcodes.c.lat >= miny) & (postcodes.c.lat <= maxy)))]
        return pd.DataFrame(rows, columns=POSTCODE_COLUMNS)
