"""How the demo's micro-providers reach people, their capacity in its unit, and when their
vacancies were last confirmed.

Drawn from a generator of its own (``default_rng([seed, REACH_STREAM])``), after the rest of
the borough, so the other stages are exactly as before. Per provider:

* ``reach``: "both" when it mixes services people travel to with services that come to them
  (``model.VISITING_SERVICE_TYPES``), else its mode by service type, written out for about
  half of them and left blank (taken from the service types) for the others;
* the area served of those that come to people: about a third keep only their
  ``radius_km``; a quarter list the wards, and a sixth the LSOAs, whose population-weighted
  centres lie within that radius (at least the nearest one); a quarter draw an irregular
  polygon about as wide as it, so the three descriptions cover much the same ground. A
  home-based provider's circle, lists and polygon are centred on its published grid cell,
  never the home;
* capacity in its unit: providers of a service counted in places
  (``model.PLACE_SERVICE_TYPES``) have ``capacity_places`` (2-6 places) and vacancies in
  places, and no hours;
* ``vacancies_confirmed``: about three in five within the last 25 days, the rest 40-400 days
  ago, counted back from the build day (``today``), so that a fresh demo shows vacancies a
  directory would trust beside stale ones. The same seed and day give the same borough.
"""
from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import model, privacy, settings

REACH_STREAM = 10


def _bases(assets: gpd.GeoDataFrame, ids) -> np.ndarray:
    """EPSG:27700 base point of each provider: the published one (grid cell for homes)."""
    a = privacy.published_points(assets.set_index("id").loc[list(ids)].reset_index())
    g = a.geometry.to_crs(settings.ANALYSIS_CRS)
    return np.column_stack([g.x.to_numpy(), g.y.to_numpy()])


def _centres(areas: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(codes, EPSG:27700 population-weighted centres) of the areas."""
    g = gpd.GeoSeries(gpd.points_from_xy(areas["pwc_lon"].to_numpy(float),
                                         areas["pwc_lat"].to_numpy(float)),
                      crs=settings.STORAGE_CRS).to_crs(settings.ANALYSIS_CRS)
    return areas["code"].to_numpy(dtype=object), np.column_stack([g.x.to_numpy(),
                                                                   g.y.to_numpy()])


def _mode(services: list[str]) -> str:
    visiting = [s in model.VISITING_SERVICE_TYPES for s in services]
    return "both" if any(visiting) and not all(visiting) else ("visits" if all(visiting)
                                                              else "venue")


def _polygon(rng, x: float, y: float, radius_m: float) -> str:
    """An irregular ten-sided polygon about (x, y) as GeoJSON (WGS84, 5 decimals)."""
    ang = np.sort(rng.uniform(0, 2 * np.pi, 10))
    rad = radius_m * rng.uniform(0.85, 1.15, 10)
    ring = np.column_stack([x + rad * np.cos(ang), y + rad * np.sin(ang)])
    poly = gpd.GeoSeries([shapely.Polygon(ring)], crs=settings.ANALYSIS_CRS).to_crs(
        settings.STORAGE_CRS).iloc[0]
    coords = [[round(float(cx), 5), round(float(cy), 5)] for cx, cy in poly.exterior.coords]
    return shapely.to_geojson(shapely.Polygon(coords)) if coords else ""


def _served(rng, row: dict, base, places: dict) -> dict:
    """The area served fields of one provider that comes to people: ``places`` holds the
    LSOA and ward codes and their population-weighted centres (EPSG:27700)."""
    radius_m = float(row["radius_km"]) * 1000.0
    u = rng.random()
    if u < 0.35:
        return {}
    if u < 0.6:
        codes, pts = places["ward"]
        d = np.hypot(pts[:, 0] - base[0], pts[:, 1] - base[1])
        near = (d <= radius_m) | (d == d.min())
        return {"area_served": model.join_list(sorted(codes[near]))}
    if u < 0.75:
        codes, pts = places["lsoa"]
        d = np.hypot(pts[:, 0] - base[0], pts[:, 1] - base[1])
        near = (d <= radius_m) | (d == d.min())
        return {"area_served": model.join_list(sorted(codes[near]))}
    return {"area_served_geojson": _polygon(rng, base[0], base[1], radius_m)}


def _units(rng, row: dict, services: list[str]) -> dict:
    """Capacity and vacancies in places for providers of a place service."""
    if not set(services) & set(model.PLACE_SERVICE_TYPES):
        return {}
    places = float(rng.integers(2, 7))
    return {"capacity_places": places, "capacity_hours": None,
            "vacancies": float(min(places, rng.integers(0, 3)))}


def add_reach(providers: pd.DataFrame, assets: gpd.GeoDataFrame, areas: gpd.GeoDataFrame,
              seed: int, today: dt.date | None = None) -> pd.DataFrame:
    """``providers`` with reach, area served, places and vacancy dates (module notes)."""
    rng = np.random.default_rng([int(seed), REACH_STREAM])
    today = today or dt.datetime.now(dt.timezone.utc).date()
    places = {level: _centres(areas[areas["level"] == level]) for level in ("lsoa", "ward")}
    bases = _bases(assets, providers["asset_id"])
    out = []
    for k, row in enumerate(providers.to_dict("records")):
        services = model.split_list(row["service_types"])
        mode = _mode(services)
        rec = dict(row, reach=mode if (mode == "both" or rng.random() < 0.5) else None)
        if mode != "venue":
            rec.update(_served(rng, row, bases[k], places))
        rec.update(_units(rng, row, services))
        days = int(rng.integers(0, 26)) if rng.random() < 0.6 else int(rng.integers(40, 401))
        rec["vacancies_confirmed"] = (today - dt.timedelta(days=days)).isoformat()
        out.append(rec)
    return pd.DataFrame(out, columns=list(model.PROVIDER_COLUMNS))
