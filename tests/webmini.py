"""A tiny synthetic borough for the web tests (fast, independent of the demo generator and
the analysis engine): 36 square areas, every known indicator, assets and micro-providers
(one home-based, one with a script-like name), two networks, postcodes, and analysis-like
frames in the shape ``assetmap.views.data`` normalises pipeline results into."""
from __future__ import annotations

import datetime

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point, box

from assetmap import model, settings
from assetmap.analysis import need as need_mod

XSS = "<img src=x onerror=alert(1)>"
N = 6
CELL = 500.0
X0, Y0 = settings.DEMO_ORIGIN


def _areas():
    rows, geoms = [], []
    for i in range(N):
        for j in range(N):
            k = i * N + j
            x, y = X0 + j * CELL, Y0 + i * CELL
            rows.append({
                "code": f"E01{k + 1:06d}",
                "name": f"Mini {k + 1:03d}" if k != 7 else f"Mill & {XSS}",
                "level": "lsoa", "parent_code": f"E05{(k // 12) + 1:06d}",
                "parent_name": ["North ward", "Middle ward", "South ward"][k // 12],
                "pop_0_17": 300 + k, "pop_18_64": 900 + 3 * k, "pop_65_74": 150 + 2 * k,
                "pop_75_84": 90 + k, "pop_85_plus": 30 + (k % 5),
            })
            geoms.append(box(x, y, x + CELL, y + CELL))
    g = gpd.GeoDataFrame(rows, geometry=geoms, crs=settings.ANALYSIS_CRS).to_crs(4326)
    c = g.geometry.to_crs(settings.ANALYSIS_CRS).centroid.to_crs(4326)
    g["pwc_lon"], g["pwc_lat"] = c.x.values, c.y.values
    return g


def _indicators(codes):
    meta = pd.DataFrame([m.__dict__ for m in model.INDICATORS.values()])
    rng = np.random.default_rng(5)
    rows = []
    for ind in model.INDICATORS.values():
        for k, code in enumerate(codes):
            trend = (k % N + k // N) / (2 * N)
            if ind.unit == "%":
                den = 400 + 10 * k
                p = min(0.9, 0.05 + 0.3 * trend + rng.uniform(0, 0.05))
                cnt = round(den * p)
                lo, hi = _wilson(cnt, den)
                rows.append(dict(indicator_id=ind.id, area_code=code, value=100 * cnt / den,
                                 count=cnt, denominator=den, lower_ci=100 * lo, upper_ci=100 * hi))
            elif ind.unit == "decile":
                rows.append(dict(indicator_id=ind.id, area_code=code, value=float(1 + k % 10),
                                 count=None, denominator=None, lower_ci=None, upper_ci=None))
            else:
                rows.append(dict(indicator_id=ind.id, area_code=code, value=10 + 30 * trend,
                                 count=None, denominator=None, lower_ci=None, upper_ci=None))
    return meta, pd.DataFrame(rows)


def _wilson(x, n, z=1.959964):
    p = x / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return c - h, c + h


CATS = list(model.ASSET_CATEGORIES)


def _assets():
    rng = np.random.default_rng(7)
    rows, pts, prov = [], [], []
    for k in range(60):
        cat = CATS[k % len(CATS)]
        x = X0 + rng.uniform(100, N * CELL - 100)
        y = Y0 + rng.uniform(100, N * CELL - 100)
        aid = f"a{k:03d}"
        name = XSS if k == 3 else f"Asset {k} {model.ASSET_CATEGORIES[cat]}"
        rows.append(dict(id=aid, name=name, category=cat, description=f"About {name}",
                         address=f"{k} High Street", postcode="AB1 2CD",
                         opening_hours="Mo-Fr 09:00-17:00",
                         contact=f"0100 {k:04d}", contact_public=k % 2 == 0, website=None,
                         source="demo", status="approved",
                         home_based=cat == "micro_provider" and k % 3 == 0, version=1))
        pts.append(Point(x, y))
        if cat == "micro_provider" or k % 7 == 0:
            st = list(model.SERVICE_TYPES)[k % 6]
            cg = list(model.CLIENT_GROUPS)[k % 7]
            prov.append(dict(asset_id=aid, service_types=f"{st}|befriending",
                             client_groups=f"{cg}|older_people",
                             hourly_price=12.0 + k % 15, quality_mark=model.QUALITY_MARKS[k % 4],
                             cqc_registered=k % 2 == 1, cqc_location_id="1-123" if k % 2 else None,
                             direct_payments=k % 3 != 1, preferred_list=k % 4 == 0, staff_fte=2.0,
                             capacity_hours=40.0, vacancies=float(k % 3),
                             community_focus="Polish" if k % 5 == 0 else None, radius_km=3.0,
                             vacancies_confirmed=_confirmed(k)))
    # The XSS asset is also a provider so it shows in the directory.
    if not any(p["asset_id"] == "a003" for p in prov):
        prov.append(dict(asset_id="a003", service_types="befriending", client_groups="older_people",
                         hourly_price=15.0, quality_mark="gold", cqc_registered=False,
                         direct_payments=True, preferred_list=False, staff_fte=1.0,
                         capacity_hours=20.0, vacancies=2.0, community_focus=XSS, radius_km=2.0,
                         vacancies_confirmed=_confirmed(0)))
    g = gpd.GeoDataFrame(rows, geometry=pts, crs=settings.ANALYSIS_CRS).to_crs(4326)
    return g, pd.DataFrame(prov)


def _confirmed(k: int) -> str | None:
    """When provider k's vacancies were confirmed: recently for even k, months ago (stale:
    beyond settings.VACANCY_STALE_DAYS) for most odd k, never for k = 1, 5, 9..."""
    if k % 4 == 1:
        return None
    days = 3 if k % 2 == 0 else settings.VACANCY_STALE_DAYS + 60
    return (datetime.date.today() - datetime.timedelta(days=days)).isoformat()


def _networks():
    polys = [box(X0, Y0, X0 + 3 * CELL, Y0 + 3 * CELL),
             box(X0 + 3 * CELL, Y0 + 3 * CELL, X0 + 6 * CELL, Y0 + 6 * CELL)]
    return gpd.GeoDataFrame([dict(id="n1", name="North network", hub_asset_id="a008", members=12,
                                  activities="Lunch club|Walks"),
                             dict(id="n2", name=XSS, hub_asset_id=None, members=5,
                                  activities=None)],
                            geometry=polys, crs=settings.ANALYSIS_CRS).to_crs(4326)


def build(store):
    areas = _areas()
    store.write_areas(areas)
    meta, values = _indicators(list(areas["code"]))
    store.write_indicators(meta)
    store.write_values(values)
    assets, prov = _assets()
    store.write_assets(assets, prov)
    store.write_networks(_networks())
    c = areas.geometry.to_crs(settings.ANALYSIS_CRS).centroid.to_crs(4326)
    store.write_postcodes(pd.DataFrame({"postcode": [f"AB1 {k}AA" for k in range(5)],
                                        "lon": c.x.values[:5], "lat": c.y.values[:5],
                                        "area_code": areas["code"].values[:5]}))
    store.set_meta("area_name", "Mini borough")
    return store


def analysis_frames(store) -> dict:
    """Analysis-like results in the normalised shape of assetmap.views.data."""
    areas = store.read_areas()
    codes = list(areas["code"])
    n = len(codes)
    k = np.arange(n)
    trend = (k % N + k // N) / (2 * N)
    need = trend + 0.05 * np.sin(k)
    res = pd.DataFrame({"code": codes, "need_index": need,
                        "loneliness_risk": 0.2 + 0.3 * trend,
                        "isolation": need - 0.5})
    res["need_rank"] = res["need_index"].rank(ascending=False, method="first").astype(int)
    res["need_decile"] = np.ceil(10 * (n - res["need_rank"] + 1) / n).astype(int)
    acc = []
    for i, code in enumerate(codes):
        for j, cat in enumerate(CATS):
            m = 2.0 + (i * 7 + j * 3) % 25
            acc.append(dict(area_code=code, category=cat, minutes=m, within_10=int(m <= 10) * 2,
                            within_15=int(m <= 15) * 3, within_20=int(m <= 20) * 4))
    gaps = []
    for st in model.SERVICE_TYPES:
        for cg in model.CLIENT_GROUPS:
            supply = 1 - trend + 0.1 * ((k * 3) % 5) / 5
            nc = np.clip(np.ceil(3 * (res["need_index"].rank(pct=True))), 1, 3).astype(int)
            sc = np.clip(np.ceil(3 * pd.Series(supply).rank(pct=True)), 1, 3).astype(int)
            for i, code in enumerate(codes):
                gaps.append(dict(area_code=code, service_type=st, client_group=cg,
                                 need=float(need[i]), supply=float(supply[i]),
                                 need_class=int(nc[i]), supply_class=int(sc[i])))
    gaps = pd.DataFrame(gaps)
    gaps["is_gap"] = (gaps["need_class"] == 3) & (gaps["supply_class"] == 1)
    hot = pd.DataFrame({"area_code": codes, "isolation": res["isolation"],
                        "gi_z": (need - need.mean()) / need.std() * 2,
                        "lisa_i": need - need.mean()})
    hot["gi_p"] = np.where(abs(hot["gi_z"]) > 2, 0.01, 0.4)
    hot["gi_q"] = hot["gi_p"] * 2
    hot["gi_class"] = np.where(hot["gi_q"] < 0.05, np.where(hot["gi_z"] > 0, "hot", "cold"),
                               "not significant")
    hot["lisa_p"] = hot["gi_p"]
    hot["lisa_q"] = hot["gi_q"]
    hot["lisa_class"] = np.where(hot["lisa_q"] < 0.05, np.where(hot["gi_z"] > 0, "HH", "LL"),
                                 "not significant")
    values, meta = store.read_values(), store.read_indicators()
    ind = need_mod.compare(values, meta).merge(
        values[["indicator_id", "area_code", "count", "denominator"]],
        on=["indicator_id", "area_code"], how="left")
    pop = areas.set_index("code")[list(model.AGE_BANDS)].sum(axis=1)
    bench = need_mod.benchmarks(values, meta, pop, ind)
    return {"areas": res, "access": pd.DataFrame(acc), "gaps": gaps, "hotspots": hot,
            "indicators": ind, "benchmarks": bench,
            "run": {"id": 1, "created_at": "2026-01-01T00:00:00+00:00",
                    "data_version": store.data_version()}}
