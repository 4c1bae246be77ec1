"""Likely duplicates of a submitted asset among those already known.

A candidate is flagged when any of these hold (each gives a reason shown to the moderator):

* a similar name (normalised, ``difflib`` ratio >= ``settings.DUPLICATE_NAME_SIMILARITY``, or
  one name's words contained in the other's) within ``settings.DUPLICATE_RADIUS_M`` metres;
* the same postcode;
* the same CQC location id.

Pure functions over plain records and frames (no Flask, no SQL).
"""
from __future__ import annotations

import difflib
import math
import re

import geopandas as gpd
import numpy as np

from .. import settings

#: Words that do not tell two organisations apart.
_STOP = {"the", "a", "an", "and", "of", "for", "ltd", "limited", "cic", "llp", "plc", "group",
         "services", "service", "club", "community", "uk", "co", "company", "charity", "trust"}


def normalise_name(name) -> str:
    s = re.sub(r"&", " and ", str(name or "").lower())
    s = re.sub(r"[^a-z0-9]+", " ", s)
    words = [w for w in s.split() if w not in _STOP]
    return " ".join(words) or s.strip()


def name_similarity(a, b) -> float:
    na, nb = normalise_name(a), normalise_name(b)
    if not na or not nb:
        return 0.0
    if na == nb:
        return 1.0
    wa, wb = set(na.split()), set(nb.split())
    if wa and wb and (wa <= wb or wb <= wa):
        return max(0.9, difflib.SequenceMatcher(None, na, nb).ratio())
    return difflib.SequenceMatcher(None, na, nb).ratio()


def _text(v) -> str:
    return v.strip().upper() if isinstance(v, str) else ""


def great_circle_m(lon1, lat1, lon2, lat2):
    """Great-circle distance in metres (vectorised over the second point)."""
    r = 6_371_008.8
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2) - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * r * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


class DuplicateIndex:
    """Known assets prepared once (numpy arrays) for checking many candidates quickly."""

    def __init__(self, known: gpd.GeoDataFrame | None):
        frame = gpd.GeoDataFrame() if known is None else known
        n = len(frame)

        def col(c):
            return frame[c].to_numpy(object) if n and c in frame else np.full(n, None, dtype=object)
        self.ids, self.names, self.status = col("id"), col("name"), col("status")
        self.category, self.home = col("category"), col("home_based")
        self.lon = frame.geometry.x.to_numpy(float) if n else np.zeros(0)
        self.lat = frame.geometry.y.to_numpy(float) if n else np.zeros(0)
        self.postcode = np.array([_text(v) for v in col("postcode")], dtype=object)
        self.cqc = np.array([_text(v) for v in col("cqc_location_id")], dtype=object)

    def _reasons(self, candidate: dict, radius_m: float,
                 similarity: float) -> tuple[dict[int, list[str]], np.ndarray]:
        """Row -> reasons it may be the same as ``candidate``, and every row's distance."""
        reasons: dict[int, list[str]] = {}
        lon, lat = candidate.get("lon"), candidate.get("lat")
        dist = np.full(len(self.ids), np.nan)
        if lon is not None and lat is not None and not (math.isnan(lon) or math.isnan(lat)):
            dist = great_circle_m(float(lon), float(lat), self.lon, self.lat)
            name = candidate.get("name") or ""
            for i in np.flatnonzero(dist <= radius_m):
                if name_similarity(name, self.names[i]) >= similarity:
                    reasons.setdefault(int(i), []).append(f"similar name {round(dist[i])} m away")
        pc = _text(candidate.get("postcode"))
        if pc:
            for i in np.flatnonzero(self.postcode == pc):
                reasons.setdefault(int(i), []).append(f"same postcode {pc}")
        cqc = _text(candidate.get("cqc_location_id"))
        if cqc:
            for i in np.flatnonzero(self.cqc == cqc):
                reasons.setdefault(int(i), []).append(f"same CQC location id {cqc}")
        return reasons, dist

    def find(self, candidate: dict, *, exclude_ids=(), radius_m: float | None = None,
             similarity: float | None = None, limit: int = 10) -> list[dict]:
        radius_m = settings.DUPLICATE_RADIUS_M if radius_m is None else radius_m
        similarity = settings.DUPLICATE_NAME_SIMILARITY if similarity is None else similarity
        if len(self.ids) == 0:
            return []
        reasons, dist = self._reasons(candidate, radius_m, similarity)
        exclude = set(exclude_ids)
        out = []
        for i, why in reasons.items():
            if self.ids[i] in exclude:
                continue
            d = float(dist[i])
            out.append({"id": self.ids[i], "name": self.names[i], "status": self.status[i],
                        "category": self.category[i], "home_based": bool(self.home[i]),
                        "distance_m": None if math.isnan(d) else round(d), "reasons": why})
        out.sort(key=lambda r: (-len(r["reasons"]), r["distance_m"] if r["distance_m"] is not None
                                else 1e12))
        return out[:limit]

def find_duplicates(candidate: dict, known: gpd.GeoDataFrame, *, exclude_ids=(),
                    radius_m: float | None = None, similarity: float | None = None,
                    limit: int = 10) -> list[dict]:
    """Likely duplicates of ``candidate`` (keys: name, lon, lat, postcode, cqc_location_id).

    ``known`` is a frame of assets (e.g. ``store.read_assets(statuses=("approved",
    "pending"))``), provider columns optional. Returns dicts with id, name, status,
    category, distance_m and reasons (a list of short sentences), most reasons and then
    closest first. For many candidates build one :class:`DuplicateIndex`.
    """
    return DuplicateIndex(known).find(candidate, exclude_ids=exclude_ids, radius_m=radius_m,
                                      similarity=similarity, limit=limit)
