"""Where an imported row is: its lon/lat (a decimal comma accepted), easting/northing
(British National Grid), or postcode through the stored lookup; checked to be in the UK
and inside the stored areas or within ``settings.CROSS_BORDER_BUFFER_KM`` of them (kept
as cross-border supply, counted for the report)."""
from __future__ import annotations

import math
import re

from .. import settings
from ..projection import to_lonlat
from ..store.cover import EDGE_TOLERANCE_M
from .common import blank, check_lonlat, to_float


class Places:
    """Where each row is: its lon/lat, easting/northing, or postcode (through the stored
    lookup), checked to be in the UK and (``check_area``) inside the stored areas."""

    def __init__(self, store, conn, recs: list, *, check_area: bool):
        wanted = [r.get("postcode") for r in recs if not blank(r.get("postcode"))]
        self.lookup = store.lookup_postcodes(wanted, conn=conn).set_index("postcode") \
            if wanted else None
        self.store, self.conn = store, conn
        self.cover = store.area_cover(conn=conn) if check_area else None
        self.buffer_m = max(float(settings.CROSS_BORDER_BUFFER_KM) * 1000.0, EDGE_TOLERANCE_M)
        self.cross_border = 0

    def _coordinates(self, r):
        """(lon, lat, field) from the row's coordinate columns (None, None when absent);
        TypeError/ValueError when they are not numbers."""
        lon = lat = None
        field = None
        if not blank(r.get("lon")) or not blank(r.get("lat")):
            lon, lat = to_float(_decimal(r.get("lon"))), to_float(_decimal(r.get("lat")))
            field = "lat"
        elif not blank(r.get("easting")) or not blank(r.get("northing")):
            e, n = to_float(r.get("easting")), to_float(r.get("northing"))
            field = "easting"
            if e is not None and n is not None:
                lon, lat = to_lonlat().transform(e, n)
        return lon, lat, field

    def of(self, r, row, pc, bad) -> tuple[float, float] | None:
        """The row's (lon, lat), or None with its error added to ``bad``."""
        try:
            lon, lat, field = self._coordinates(r)
        except (TypeError, ValueError):
            bad.add(row, "lat", "the coordinates are not numbers")
            return None
        if lon is None or lat is None:
            if pc is None:
                bad.add(row, "postcode", "no location: give lat/lon or a postcode")
                return None
            if self.lookup is None or pc not in self.lookup.index:
                bad.add(row, "postcode", f"postcode '{pc}' is not in the postcode lookup "
                                         "(import a postcode file first)")
                return None
            lon, lat = float(self.lookup.at[pc, "lon"]), float(self.lookup.at[pc, "lat"])
            field = "postcode"
        else:
            msg = check_lonlat(lon, lat)
            if msg:
                bad.add(row, field, msg)
                return None
        if self.cover is not None:
            d = float(self.cover.distance_m([lon], [lat], within_m=self.buffer_m)[0])
            if d > self.buffer_m:
                bad.add(row, field, f"the place ({lon:.5f}, {lat:.5f}) is outside the stored "
                        f"areas, more than {settings.CROSS_BORDER_BUFFER_KM:g} km away (nearer "
                        "ones are kept as cross-border supply, "
                        "settings.CROSS_BORDER_BUFFER_KM): the wrong place, or areas missing?")
                return None
            if d > EDGE_TOLERANCE_M:
                self.cross_border += 1
        return lon, lat

    def nearest_postcode(self, where: tuple[float, float], within_m: float = 400.0):
        """The stored postcode nearest ``where`` (lon, lat) within ``within_m``, or None."""
        lon, lat = where
        dlat = within_m / 111_000.0
        dlon = dlat / max(0.1, math.cos(math.radians(lat)))
        near = self.store.postcodes_within((lon - dlon, lat - dlat, lon + dlon, lat + dlat),
                                           conn=self.conn)
        if near.empty:
            return None
        d = ((near["lon"].astype(float) - lon) / dlon) ** 2 + \
            ((near["lat"].astype(float) - lat) / dlat) ** 2
        i = int(d.to_numpy().argmin())
        return near["postcode"].iloc[i] if float(d.iloc[i]) <= 1.0 else None


def _decimal(v):
    """A coordinate written with a decimal comma ("53,4146", as European spreadsheets
    write them) with a point; anything else unchanged (a longitude or latitude never has a
    thousands separator)."""
    if isinstance(v, str) and re.fullmatch(r"\s*-?\d{1,3},\d+\s*", v):
        return v.replace(",", ".")
    return v
