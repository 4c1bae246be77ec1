"""Small synthetic inputs for tests and benchmarks (not the demo borough, see assetmap.demo).

* :func:`grid_edges` - a square street grid (node positions in EPSG:27700), optionally with a
  few parallel edges and shortcuts, for routing tests and the benchmark's ~100k-node graph;
* :func:`grid_osm_xml` - the same grid as an OSM XML file osmnx can read (plus a building and a
  motorway that the walking graph must drop);
* :func:`build_store` - a square "borough" of grid areas with indicators, loneliness inputs,
  assets and providers, where one corner is planted with high loneliness risk and no social
  assets or providers nearby: the isolation hotspot and the gap the analysis must find.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from assetmap import settings


def grid_edges(nx: int, ny: int, spacing: float = 50.0, origin=(0.0, 0.0), jitter: float = 0.0,
               seed: int = 0):
    """Street grid: (u, v, length, x, y). Lengths are Euclidean times a random factor in
    [1, 1 + jitter] (curvy streets)."""
    rng = np.random.default_rng(seed)
    ids = np.arange(nx * ny).reshape(ny, nx)
    xs, ys = np.meshgrid(np.arange(nx) * spacing + origin[0], np.arange(ny) * spacing + origin[1])
    x, y = xs.ravel().astype(float), ys.ravel().astype(float)
    u = np.concatenate([ids[:, :-1].ravel(), ids[:-1, :].ravel()])
    v = np.concatenate([ids[:, 1:].ravel(), ids[1:, :].ravel()])
    length = np.hypot(x[u] - x[v], y[u] - y[v]) * (1 + jitter * rng.random(len(u)))
    return u, v, length, x, y


def grid_osm_xml(nx: int, ny: int, spacing: float = 100.0, origin=None, *,
                 river_row: int | None = None, crossings=(), extra_nodes: bool = True) -> bytes:
    """OSM XML of a street grid placed at ``origin`` (EPSG:27700). With ``river_row``, the
    north-south streets between that row and the next are missing except at ``crossings``
    (column indices), like a river with few bridges. Adds a motorway and a building outline,
    which a walking graph must not use."""
    from pyproj import Transformer

    origin = settings.DEMO_ORIGIN if origin is None else origin
    tr = Transformer.from_crs(settings.ANALYSIS_CRS, settings.STORAGE_CRS, always_xy=True)
    xs, ys = np.meshgrid(np.arange(nx) * spacing + origin[0], np.arange(ny) * spacing + origin[1])
    lon, lat = tr.transform(xs.ravel(), ys.ravel())
    ids = np.arange(nx * ny).reshape(ny, nx) + 1
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="assetmap">']
    for i, (a, b) in enumerate(zip(lon, lat)):
        out.append(f'<node id="{i + 1}" lat="{b:.7f}" lon="{a:.7f}" version="1"/>')
    wid = 1
    for r in range(ny):                      # east-west streets, one way per row
        refs = "".join(f'<nd ref="{k}"/>' for k in ids[r])
        out.append(f'<way id="{wid}" version="1">{refs}<tag k="highway" v="residential"/></way>')
        wid += 1
    for col in range(nx):                    # north-south streets, split at the river
        runs = [list(range(ny))]
        if river_row is not None and col not in set(crossings):
            runs = [list(range(0, river_row + 1)), list(range(river_row + 1, ny))]
        for run in runs:
            if len(run) < 2:
                continue
            refs = "".join(f'<nd ref="{ids[r, col]}"/>' for r in run)
            out.append(f'<way id="{wid}" version="1">{refs}<tag k="highway" v="footway"/></way>')
            wid += 1
    if extra_nodes and nx > 2 and ny > 2:
        # a motorway along the diagonal and a building around the first block: not walkable
        refs = "".join(f'<nd ref="{ids[k, k]}"/>' for k in range(min(nx, ny)))
        out.append(f'<way id="{wid}" version="1">{refs}<tag k="highway" v="motorway"/></way>')
        wid += 1
        ring = [ids[0, 0], ids[0, 1], ids[1, 1], ids[1, 0], ids[0, 0]]
        refs = "".join(f'<nd ref="{k}"/>' for k in ring)
        out.append(f'<way id="{wid}" version="1">{refs}<tag k="building" v="yes"/></way>')
    out.append("</osm>")
    return "\n".join(out).encode()


LON_IDS = ("lon_health_good", "lon_health_fair", "lon_health_poor", "lon_widowed",
           "lon_aged_75_79", "lon_household_size")


def borough(seed: int = 1, n: int = 12, size: float = 400.0, street: float = 100.0):
    """Frames of a synthetic borough of n x n square areas of ``size`` metres.

    Returns a dict: areas (GeoDataFrame, EPSG:4326), indicators, values (long), assets
    (GeoDataFrame), providers, osm_xml (bytes), planted (dict: hotspot_areas, gap_areas).
    The planted corner (the south-west 3 x 3 areas) has high loneliness inputs and need and no
    social assets or providers within it.
    """
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    ox0, oy0 = settings.DEMO_ORIGIN
    boxes, codes, names, parents, rows, cols = [], [], [], [], [], []
    for r in range(n):
        for c in range(n):
            boxes.append(shapely.box(ox0 + c * size, oy0 + r * size,
                                     ox0 + (c + 1) * size, oy0 + (r + 1) * size))
            codes.append(f"E01{990000 + r * n + c:06d}")
            names.append(f"Synthetic {r:02d}{c:02d}")
            parents.append(f"E05{990000 + r // 3:06d}")
            rows.append(r)
            cols.append(c)
    rows, cols = np.array(rows), np.array(cols)
    planted = (rows < 3) & (cols < 3)
    m = n * n
    pop65 = rng.integers(150, 400, m).astype(float)
    areas = gpd.GeoDataFrame({
        "code": codes, "name": names, "level": "lsoa", "parent_code": parents,
        "parent_name": [f"Ward {p[-2:]}" for p in parents],
        "pop_0_17": rng.integers(200, 400, m).astype(float),
        "pop_18_64": rng.integers(800, 1200, m).astype(float),
        "pop_65_74": pop65 * 0.55, "pop_75_84": pop65 * 0.33, "pop_85_plus": pop65 * 0.12,
    }, geometry=boxes, crs=settings.ANALYSIS_CRS)
    cent = areas.geometry.centroid.to_crs(settings.STORAGE_CRS)
    areas["pwc_lon"] = cent.x.to_numpy()
    areas["pwc_lat"] = cent.y.to_numpy()
    areas = areas.to_crs(settings.STORAGE_CRS)

    bump = planted.astype(float)
    denom = rng.integers(150, 400, m).astype(float)
    vals = {
        "living_alone_65": np.clip(0.25 + 0.2 * bump + 0.05 * rng.standard_normal(m), 0.05, 0.9),
        "llti": np.clip(0.18 + 0.1 * bump + 0.04 * rng.standard_normal(m), 0.05, 0.9),
        "idaopi": np.clip(0.15 + 0.15 * bump + 0.05 * rng.standard_normal(m), 0.02, 0.9),
        "unpaid_carers": np.clip(0.09 + 0.03 * bump + 0.02 * rng.standard_normal(m), 0.01, 0.5),
    }
    recs = []
    for ind, frac in vals.items():
        cnt = np.round(frac * denom)
        for a, k, d in zip(codes, cnt, denom):
            recs.append({"indicator_id": ind, "area_code": a, "value": 100 * k / d, "count": k,
                         "denominator": d})
    lon = {
        "lon_health_good": 0.35 + 0.03 * rng.standard_normal(m),
        "lon_health_fair": np.clip(0.22 + 0.12 * bump + 0.03 * rng.standard_normal(m), 0, 1),
        "lon_health_poor": np.clip(0.08 + 0.10 * bump + 0.02 * rng.standard_normal(m), 0, 1),
        "lon_widowed": np.clip(0.22 + 0.15 * bump + 0.03 * rng.standard_normal(m), 0, 1),
        "lon_aged_75_79": np.clip(0.17 + 0.02 * rng.standard_normal(m), 0, 1),
        "lon_household_size": np.clip(1.75 - 0.35 * bump + 0.08 * rng.standard_normal(m), 1, 3),
    }
    for ind, v in lon.items():
        for a, x in zip(codes, v):
            recs.append({"indicator_id": ind, "area_code": a, "value": float(x)})
    values = pd.DataFrame(recs)
    indicators = pd.DataFrame(
        [{"id": k, "title": k, "unit": "%", "polarity": "high_bad", "ci_method": "wilson",
          "source": "synthetic"} for k in vals]
        + [{"id": k, "title": k, "unit": "share" if k != "lon_household_size" else "people",
            "polarity": "neutral", "ci_method": "none", "source": "synthetic"} for k in LON_IDS])

    # assets: everywhere except the planted corner (and a margin around it)
    width = n * size
    cats = ["community_centre", "library", "faith_venue", "cafe_pub", "park", "sport_leisure",
            "gp_practice", "pharmacy", "neighbourhood_hub", "micro_provider"]
    pts, acat = [], []
    while len(pts) < 14 * len(cats):
        x, y = rng.random(2) * width
        if x < 4.2 * size and y < 4.2 * size:
            continue
        pts.append((ox0 + x, oy0 + y))
        acat.append(cats[len(pts) % len(cats)])
    apts = gpd.GeoSeries(shapely.points(np.array(pts)), crs=settings.ANALYSIS_CRS).to_crs(
        settings.STORAGE_CRS)
    aid = [f"A{i:04d}" for i in range(len(pts))]
    assets = gpd.GeoDataFrame({"id": aid, "name": [f"Asset {i}" for i in range(len(pts))],
                               "category": acat, "source": "import", "status": "approved"},
                              geometry=apts.values, crs=settings.STORAGE_CRS)
    services = ["home_support", "day_activities", "befriending"]
    groups = ["older_people", "dementia", "carers"]
    prov_rows = []
    for i, (a, cat) in enumerate(zip(aid, acat)):
        if cat == "micro_provider":
            prov_rows.append({"asset_id": a, "service_types": services[i % 3],
                              "client_groups": "|".join(groups[: 1 + i % 3]),
                              "hourly_price": 18.0, "quality_mark": "silver",
                              "capacity_hours": float(rng.integers(20, 80))})
    providers = pd.DataFrame(prov_rows)
    nstreet = int(round(width / street)) + 1
    osm = grid_osm_xml(nstreet, nstreet, street, (ox0, oy0))
    planted_codes = [c for c, p in zip(codes, planted) if p]
    return {"areas": areas, "indicators": indicators, "values": values, "assets": assets,
            "providers": providers, "osm_xml": osm,
            "planted": {"hotspot_areas": planted_codes, "gap_areas": planted_codes}}


def build_store(store, seed: int = 1, **kw) -> dict:
    """Write :func:`borough` into a store; returns the frames (with ``planted``)."""
    b = borough(seed, **kw)
    with store.transaction() as conn:
        store.write_areas(b["areas"], conn=conn)
        store.write_indicators(b["indicators"], conn=conn)
        store.write_values(b["values"], conn=conn)
        store.write_assets(b["assets"], b["providers"], conn=conn)
        store.put_blob("osm", b["osm_xml"], conn=conn)
    return b
