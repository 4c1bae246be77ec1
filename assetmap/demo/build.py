"""The entry points: :func:`generate` assembles the borough from the stages, the shipped
boundaries file is written from it, and :func:`build_into` loads it into a store.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point, Polygon

from .. import model, settings
from .assets import PUBS, Sites, make_assets
from .geography import (AFFLUENT, BRIDGES, CENTRE, DEPRIVED, EXCLUSION_M, GAP, HOTSPOT,
                        LSOA_CODE_PREFIX, N_WARDS, RIVER_NAME, VILLAGES, WARD_CODE_PREFIX, River,
                        boundary_local, dist, density, grow_cluster, ll_to_local, lsoa_adjacency,
                        make_lsoa_polygons, make_wards, to_bng, xy_to_lonlat)
from .networks import make_networks
from .osm_xml import OSM_TAGS, to_osm_xml
from .population import indicators_frame, population, values_frame
from .streets import build_streets
from .ways import classify_and_name

#: Number of progress messages :func:`build_into` reports.
STEPS = 6

#: Name of the shipped boundaries file inside :data:`settings.BOUNDARIES_DIR`.
BOUNDARIES_FILE = "demo_borough.geojson"


# --- Result ---------------------------------------------------------------------------------
@dataclass
class DemoData:
    """Everything the demo borough holds (frames in EPSG:4326, ``boundary`` in 27700)."""

    areas: gpd.GeoDataFrame
    indicators: pd.DataFrame
    values: pd.DataFrame
    assets: gpd.GeoDataFrame
    providers: pd.DataFrame
    networks: gpd.GeoDataFrame
    osm_xml: bytes
    boundary: Polygon
    planted: dict
    seed: int = settings.DEMO_SEED
    #: The river's centreline inside the borough (EPSG:27700); streets cross it only at the
    #: four bridges in ``planted['bridges']``.
    river: LineString | None = None
    stats: dict = field(default_factory=dict)

    def summary(self) -> dict:
        lv = self.areas["level"].value_counts()
        return {"lsoas": int(lv.get("lsoa", 0)), "wards": int(lv.get("ward", 0)),
                "areas": len(self.areas), "indicators": len(self.indicators),
                "values": len(self.values), "assets": len(self.assets),
                "providers": len(self.providers), "networks": len(self.networks),
                **self.stats}


# --- The whole borough ------------------------------------------------------------------------
def generate(seed: int = settings.DEMO_SEED) -> DemoData:
    """The demo borough for ``seed`` (pure: touches no store or file)."""
    rng = np.random.default_rng(seed)
    river = River(rng)
    bnd0 = boundary_local(rng)
    lsoa_ll, lsoa_local, la_ll = make_lsoa_polygons(rng, bnd0, river)
    bnd = ll_to_local(la_ll)                      # the borough as stored, in local metres
    n = len(lsoa_ll)
    rep = shapely.get_coordinates(shapely.point_on_surface(lsoa_local))
    north = river.north(rep)
    adj = lsoa_adjacency(lsoa_local, north)
    # streets and population-weighted centroids
    nodes, edges = build_streets(rng, bnd, river)
    ways = classify_and_name(rng, nodes, edges, bnd, river)
    edge_name = {}
    for w in ways:
        for k in w["edges"]:
            edge_name[k] = w["name"]
    homes = []
    for ed in edges:
        if ed["cls"] in ("residential", "unclassified", "tertiary", "primary", "service"):
            homes.append(ed["coords"][1:-1] if len(ed["coords"]) > 2 else ed["coords"][:1])
    homes = np.vstack(homes)
    home_w = density(homes[:, 0], homes[:, 1])
    hi, hl = shapely.STRtree(lsoa_local).query(shapely.points(homes), predicate="intersects")
    pwc = np.zeros((n, 2))
    for i in range(n):
        sel = hi[hl == i]
        poly = lsoa_local[i]
        if len(sel):
            m = (homes[sel] * home_w[sel, None]).sum(0) / home_w[sel].sum()
            if not poly.contains(Point(m)) or abs(m[1] - np.interp(m[0], river.xs, river.ys)) < 30:
                m = homes[sel][np.argmin(dist(homes[sel], m))]
        else:
            m = rep[i]
        pwc[i] = m
    # wards
    ward = make_wards(rng, pwc, north, adj, N_WARDS)
    n_w = int(ward.max()) + 1

    # planted clusters
    def cell_of(c):
        return int(np.argmin(dist(pwc, c)))

    hot = grow_cluster(cell_of(HOTSPOT), 7, adj, pwc, HOTSPOT)
    gap = grow_cluster(cell_of(GAP), 5, adj, pwc, GAP)
    gap = [g for g in gap if g not in hot]
    areas_km2 = shapely.area(lsoa_local) / 1e6
    pop = population(rng, pwc, areas_km2, {"hotspot": hot, "gap": gap})
    # ward names
    w_pwc = np.array([np.average(pwc[ward == w], axis=0, weights=pop["total"][ward == w])
                      for w in range(n_w)])
    names = {}

    def ward_at(c):
        i = int(np.argmin(dist(pwc, c)))
        return int(ward[i])

    for label, c in (("Ashbrook Central", CENTRE), ("Ferry Fields", HOTSPOT), ("Eastgate", GAP),
                     ("Kingsmead", AFFLUENT), *VILLAGES.items()):
        w = ward_at(c)
        if w not in names:
            names[w] = label
    pool = ["Millbrook", "St Anne's", "Riverside", "Northfield", "Wyvern", "Brookside",
            "Oakwood", "Castle Hill", "Fenwick", "Lowfield", "Harecroft", "Abbeyfields",
            "Greystoke", "Tanners Row", "Holywell"]
    bearing = np.arctan2(w_pwc[:, 1] - CENTRE[1], w_pwc[:, 0] - CENTRE[0])
    for w in sorted(range(n_w), key=lambda w: bearing[w]):
        if w not in names:
            names[w] = pool.pop(0)
    ward_order = sorted(range(n_w), key=lambda w: names[w])
    ward_code = {w: f"{WARD_CODE_PREFIX}{k + 1:04d}" for k, w in enumerate(ward_order)}
    ward_district = {w: k + 1 for k, w in enumerate(ward_order)}
    # LSOA names: MSOA-like groups of ~5 within wards, numbered north to south
    groups = []
    for w in range(n_w):
        mem = sorted(np.flatnonzero(ward == w).tolist(), key=lambda i: (-pwc[i, 1], pwc[i, 0]))
        k = max(1, round(len(mem) / 5))
        for part in np.array_split(np.array(mem), k):
            groups.append(sorted(part.tolist(), key=lambda i: (pwc[i, 0], -pwc[i, 1])))
    groups.sort(key=lambda g: (-pwc[g, 1].mean(), pwc[g, 0].mean()))
    lsoa_name = {}
    for gnum, g in enumerate(groups):
        for j, i in enumerate(g):
            lsoa_name[i] = f"{settings.DEMO_LA_NAME} {gnum + 1:03d}{chr(65 + j)}"
    order = sorted(range(n), key=lambda i: lsoa_name[i])
    lsoa_code = {i: f"{LSOA_CODE_PREFIX}{k + 1:04d}" for k, i in enumerate(order)}
    # area frame
    plon, plat = xy_to_lonlat(pwc)
    recs, geoms = [], []
    for i in order:
        b = pop["bands"][i]
        recs.append({"code": lsoa_code[i], "name": lsoa_name[i], "level": "lsoa",
                     "parent_code": ward_code[int(ward[i])], "parent_name": names[int(ward[i])],
                     **{k: float(v) for k, v in zip(model.AGE_BANDS, b)},
                     "pwc_lon": round(float(plon[i]), 7), "pwc_lat": round(float(plat[i]), 7)})
        geoms.append(lsoa_ll[i])
    wlon, wlat = xy_to_lonlat(w_pwc)
    for w in ward_order:
        b = pop["bands"][ward == w].sum(0)
        g = shapely.union_all(lsoa_ll[ward == w])
        recs.append({"code": ward_code[w], "name": names[w], "level": "ward",
                     "parent_code": settings.DEMO_LA_CODE, "parent_name": settings.DEMO_LA_NAME,
                     **{k: float(v) for k, v in zip(model.AGE_BANDS, b)},
                     "pwc_lon": round(float(wlon[w]), 7), "pwc_lat": round(float(wlat[w]), 7)})
        geoms.append(g)
    la_pwc = np.average(pwc, axis=0, weights=pop["total"])
    llon, llat = xy_to_lonlat(la_pwc[None, :])
    recs.append({"code": settings.DEMO_LA_CODE, "name": settings.DEMO_LA_NAME, "level": "la",
                 "parent_code": None, "parent_name": None,
                 **{k: float(v) for k, v in zip(model.AGE_BANDS, pop["bands"].sum(0))},
                 "pwc_lon": round(float(llon[0]), 7), "pwc_lat": round(float(llat[0]), 7)})
    geoms.append(la_ll)
    geoms = shapely.orient_polygons(np.array(geoms, dtype=object))
    areas = gpd.GeoDataFrame(pd.DataFrame(recs, columns=list(model.AREA_COLUMNS)),
                             geometry=list(geoms), crs=settings.STORAGE_CRS)
    codes = [lsoa_code[i] for i in range(n)]
    values = values_frame(codes, pop)
    values = values.sort_values(["indicator_id", "area_code"], kind="stable").reset_index(drop=True)
    indicators = indicators_frame()
    # assets
    sites = Sites(rng, nodes, edges, edge_name, bnd, river)
    ward_names = {w: names[w] for w in range(n_w)}
    rows, axy, prov_rows, hubs = make_assets(rng, sites, lsoa_local, ward, ward_names,
                                              ward_district, pwc, {"hotspot": hot, "gap": gap},
                                              river)
    alon, alat = xy_to_lonlat(axy)
    assets = gpd.GeoDataFrame(pd.DataFrame(rows, columns=list(model.ASSET_COLUMNS)),
                              geometry=shapely.points(np.column_stack(
                                  [np.round(alon, 7), np.round(alat, 7)])),
                              crs=settings.STORAGE_CRS)
    providers = pd.DataFrame(prov_rows, columns=list(model.PROVIDER_COLUMNS))
    networks = make_networks(rng, hubs, pwc, names, lsoa_ll, lsoa_local, adj, set(hot))
    # OSM
    pois = []
    for r, (lo, la) in zip(rows, zip(alon, alat)):
        cat = r["category"]
        if cat == "cafe_pub":
            tag = ("amenity", "pub" if r["name"] in PUBS or "Inn" in r["name"] else "cafe")
        else:
            tag = OSM_TAGS.get(cat)
        if tag is None:
            continue
        pois.append(([tag, ("name", r["name"])], (round(float(lo), 7), round(float(la), 7))))
    osm_xml, ostats, _ = to_osm_xml(nodes, ways, river, bnd, pois)
    boundary = to_bng(la_ll)

    def code(idx):
        return sorted(lsoa_code[i] for i in idx)

    hot_set, gap_set = set(hot), set(gap)
    free = [i for i in range(n) if i not in hot_set and i not in gap_set]
    dep_core = [i for i in free if dist(pwc[i], DEPRIVED) < 1600]
    dep_core = sorted(dep_core, key=lambda i: -pop["dep"][i])[:15]
    affluent = sorted(free, key=lambda i: (pop["dep"][i], i))[:15]
    rural = [i for i in free if pop["rural"][i] >= 0.5]
    bl = []
    for bx, bname, bcls in BRIDGES:
        blon, blat = xy_to_lonlat(np.array([[bx, float(np.interp(bx, river.xs, river.ys))]]))
        bl.append({"name": bname, "highway": bcls, "lon": round(float(blon[0]), 6),
                   "lat": round(float(blat[0]), 6)})
    planted = {
        "hotspot_areas": code(hot),
        "gap_areas": code(gap),
        "deprived_core": code(dep_core),
        "affluent": code(affluent),
        "rural_fringe": code(rural),
        "town_centre": code([cell_of(CENTRE)]),
        "hotspot_ward": ward_code[int(ward[hot[0]])],
        "gap_ward": ward_code[int(ward[gap[0]])],
        "exclusion_m": EXCLUSION_M,
        "bridges": bl,
        "river": RIVER_NAME,
        "meaning": {
            "hotspot_areas": "contiguous LSOAs with high loneliness-model inputs (older, "
                             "widowed, poor health, living alone, small households) and no "
                             "social venue (settings.SOCIAL_CATEGORIES) or micro-provider "
                             "within exclusion_m of their population-weighted centroids",
            "gap_areas": "contiguous high-need LSOAs (deprivation, LLTI, IDAOPI, living alone, "
                         "carers) with no micro-provider within exclusion_m of their "
                         "population-weighted centroids",
            "deprived_core": "the most deprived LSOAs of the inner area north-east of the "
                             "town centre",
            "affluent": "the least deprived LSOAs",
            "rural_fringe": "large, sparsely populated, older LSOAs of the fringe",
            "town_centre": "the LSOA holding the market place",
        },
    }
    stats = {**ostats, "street_edges": len(edges), "street_ways": len(ways)}
    ox_, oy_ = settings.DEMO_ORIGIN
    river_bng = shapely.transform(shapely.intersection(river.line, bnd),
                                  lambda c: c + np.array([ox_, oy_]))
    return DemoData(areas=areas, indicators=indicators, values=values, assets=assets,
                    providers=providers, networks=networks, osm_xml=osm_xml, boundary=boundary,
                    planted=planted, seed=seed, river=river_bng, stats=stats)


# --- Boundaries file --------------------------------------------------------------------------
def _round_coords(obj):
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(v), 5) for v in obj]
        return [_round_coords(o) for o in obj]
    return obj


def boundaries_geojson(data: DemoData) -> str:
    """The shipped boundaries (LSOAs, wards, LA) as GeoJSON text, one feature a line."""
    lines = []
    cols = ["code", "name", "level", "parent_code", "parent_name"]
    for rec, geom in zip(data.areas[cols].to_dict("records"), data.areas.geometry):
        gj = shapely.geometry.mapping(geom)
        feat = {"type": "Feature",
                "properties": {k: (None if pd.isna(v) else v) for k, v in rec.items()},
                "geometry": {"type": gj["type"], "coordinates": _round_coords(gj["coordinates"])}}
        lines.append(json.dumps(feat, separators=(",", ":"), ensure_ascii=False))
    head = ('{"type":"FeatureCollection","name":"ashbrook_demo_borough",'
            f'"demo_seed":{int(data.seed)},"features":[\n')
    return head + ",\n".join(lines) + "\n]}\n"


def write_boundaries(path=None, data: DemoData | None = None) -> Path:
    """Write the demo boundaries GeoJSON (default: the shipped file)."""
    path = Path(path) if path else settings.BOUNDARIES_DIR / BOUNDARIES_FILE
    data = data or generate(settings.DEMO_SEED)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(boundaries_geojson(data), encoding="utf-8")
    return path


# --- Store ----------------------------------------------------------------------------------
def build_into(store, seed: int = settings.DEMO_SEED, progress=None) -> dict:
    """Replace everything in ``store`` with the demo borough; one transaction.

    Calls ``progress(message)`` :data:`STEPS` times. Returns counts of what was written.
    """
    def step(msg):
        if progress is not None:
            progress(msg)

    step(f"Generating the demo borough {settings.DEMO_LA_NAME} (seed {seed})")
    data = generate(seed)
    store.drop_all()
    counts = {}
    with store.transaction() as conn:
        step("Writing areas (LSOAs, wards, borough)")
        counts["areas"] = store.write_areas(data.areas, conn=conn, file="demo areas")
        step("Writing indicators and values")
        counts["indicators"] = store.write_indicators(data.indicators, conn=conn,
                                                      file="demo indicators")
        counts["indicator_values"] = store.write_values(data.values, conn=conn,
                                                        file="demo indicator values")
        step("Writing assets and micro-providers")
        counts["assets"] = store.write_assets(data.assets, data.providers, conn=conn,
                                              file="demo assets", changed_by="demo",
                                              action="demo")
        counts["providers"] = len(data.providers)
        step("Writing neighbourhood networks")
        counts["networks"] = store.write_networks(data.networks, conn=conn, file="demo networks")
        step("Storing the street network (OSM XML)")
        store.put_blob("osm", data.osm_xml, conn=conn)
        store.set_meta("osm_name", "demo.osm", conn=conn)
        store.set_meta("area_name", settings.DEMO_LA_NAME, conn=conn)
        store.set_meta("la_code", settings.DEMO_LA_CODE, conn=conn)
        store.set_meta("demo_seed", seed, conn=conn)
        store.set_meta("planted", json.dumps(data.planted, sort_keys=True), conn=conn)
    counts["lsoas"] = int((data.areas["level"] == "lsoa").sum())
    counts["wards"] = int((data.areas["level"] == "ward").sum())
    counts["osm_nodes"] = data.stats.get("osm_nodes", 0)
    counts["osm_bytes"] = len(data.osm_xml)
    return counts
