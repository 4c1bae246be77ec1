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
from shapely.geometry import LineString, Polygon

from .. import model, settings
from . import postcode_file
from .assets import Sites, asset_frames, make_assets
from .geography import (
    BRIDGES,
    CENTRE,
    DEPRIVED,
    EXCLUSION_M,
    GAP,
    HOTSPOT,
    N_WARDS,
    RIVER_NAME,
    River,
    boundary_local,
    dist,
    grow_cluster,
    ll_to_local,
    lsoa_adjacency,
    make_lsoa_polygons,
    make_wards,
    name_areas,
    to_bng,
    xy_to_lonlat,
)
from .networks import make_networks
from .osm_xml import asset_pois, to_osm_xml
from .population import (
    indicators_frame,
    population,
    values_frame,
    ward_centroids,
    weighted_centroids,
)
from .reach import add_reach
from .streets import build_streets
from .trust import add_trust
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
#: What each key of :attr:`DemoData.planted` holds (stored with it, for tests and readers).
PLANTED_MEANING = {
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
}


def generate(seed: int = settings.DEMO_SEED, today=None) -> DemoData:
    """The demo borough for ``seed`` (pure: touches no store or file).

    Every stage draws from one ``numpy.random.default_rng(seed)``, in this order: river,
    outline, LSOAs, streets, road names, wards, population, assets, networks (so moving a
    stage, or a draw inside one, changes the borough). The providers' reach, places and
    vacancy dates (:mod:`.reach`) come from a generator of their own; the vacancy dates count
    back from ``today`` (a ``datetime.date``; the build day by default).
    """
    rng = np.random.default_rng(seed)
    river = River(rng)
    bnd0 = boundary_local(rng)
    lsoa_ll, lsoa_local, la_ll = make_lsoa_polygons(rng, bnd0, river)
    bnd = ll_to_local(la_ll)                      # the borough as stored, in local metres
    rep = shapely.get_coordinates(shapely.point_on_surface(lsoa_local))
    north = river.north(rep)
    adj = lsoa_adjacency(lsoa_local, north)
    nodes, edges = build_streets(rng, bnd, river)
    ways = classify_and_name(rng, nodes, edges, bnd, river)
    pwc = weighted_centroids(edges, lsoa_local, rep, river)
    ward = make_wards(rng, pwc, north, adj, N_WARDS)
    planted_idx = _planted_clusters(pwc, adj)
    pop = population(rng, pwc, shapely.area(lsoa_local) / 1e6, planted_idx)
    w_pwc = ward_centroids(pwc, ward, pop["total"])
    an = name_areas(ward, pwc, w_pwc)
    areas = _areas_frame(lsoa_ll, la_ll, pwc, w_pwc, ward, an, pop)
    values = values_frame([an.lsoa_code[i] for i in range(len(lsoa_ll))], pop)
    values = values.sort_values(["indicator_id", "area_code"], kind="stable").reset_index(drop=True)
    sites = Sites(rng, nodes, edges, _edge_names(ways), bnd, river)
    ward_names = {w: an.ward_name[w] for w in range(len(w_pwc))}
    rows, axy, prov_rows, hubs = make_assets(rng, sites, lsoa_local, ward, ward_names,
                                             an.ward_district, pwc, planted_idx)
    alon, alat = xy_to_lonlat(axy)
    assets, providers = asset_frames(rows, alon, alat, prov_rows)
    providers = add_trust(add_reach(providers, assets, areas, seed, today), seed)
    networks = make_networks(rng, hubs, pwc, an.ward_name, lsoa_ll, lsoa_local, adj,
                             set(planted_idx["hotspot"]))
    osm_xml, ostats, _ = to_osm_xml(nodes, ways, river, bnd, asset_pois(rows, alon, alat))
    planted = _planted(planted_idx, pwc, pop, ward, an, river)
    stats = {**ostats, "street_edges": len(edges), "street_ways": len(ways)}
    return DemoData(areas=areas, indicators=indicators_frame(), values=values, assets=assets,
                    providers=providers, networks=networks, osm_xml=osm_xml,
                    boundary=to_bng(la_ll), planted=planted, seed=seed,
                    river=_river_bng(river, bnd), stats=stats)


def _edge_names(ways) -> dict[int, str | None]:
    """Street edge index -> the name of the way it belongs to."""
    return {k: w["name"] for w in ways for k in w["edges"]}


def _nearest(pwc, c) -> int:
    """The LSOA whose population-weighted centroid is nearest to the point ``c``."""
    return int(np.argmin(dist(pwc, c)))


def _planted_clusters(pwc, adj) -> dict[str, list[int]]:
    """The planted estates as LSOA indices: seven for the hotspot, up to five for the gap."""
    hot = grow_cluster(_nearest(pwc, HOTSPOT), 7, adj, pwc, HOTSPOT)
    gap = grow_cluster(_nearest(pwc, GAP), 5, adj, pwc, GAP)
    return {"hotspot": hot, "gap": [g for g in gap if g not in hot]}


def _area_record(code, name, level, parent, bands, lon, lat) -> dict:
    return {"code": code, "name": name, "level": level,
            "parent_code": parent[0], "parent_name": parent[1],
            **{k: float(v) for k, v in zip(model.AGE_BANDS, bands)},
            "pwc_lon": round(float(lon), 7), "pwc_lat": round(float(lat), 7)}


def _areas_frame(lsoa_ll, la_ll, pwc, w_pwc, ward, an, pop) -> gpd.GeoDataFrame:
    """LSOAs and wards (each in name order), then the borough; EPSG:4326."""
    bands = pop["bands"]
    recs, geoms = [], []
    plon, plat = xy_to_lonlat(pwc)
    for i in an.lsoa_order:
        w = int(ward[i])
        recs.append(_area_record(an.lsoa_code[i], an.lsoa_name[i], "lsoa",
                                 (an.ward_code[w], an.ward_name[w]), bands[i], plon[i], plat[i]))
        geoms.append(lsoa_ll[i])
    wlon, wlat = xy_to_lonlat(w_pwc)
    la = (settings.DEMO_LA_CODE, settings.DEMO_LA_NAME)
    for w in an.ward_order:
        recs.append(_area_record(an.ward_code[w], an.ward_name[w], "ward", la,
                                 bands[ward == w].sum(0), wlon[w], wlat[w]))
        geoms.append(shapely.union_all(lsoa_ll[ward == w]))
    llon, llat = xy_to_lonlat(np.average(pwc, axis=0, weights=pop["total"])[None, :])
    recs.append(_area_record(*la, "la", (None, None), bands.sum(0), llon[0], llat[0]))
    geoms.append(la_ll)
    geoms = shapely.orient_polygons(np.array(geoms, dtype=object))
    return gpd.GeoDataFrame(pd.DataFrame(recs, columns=list(model.AREA_COLUMNS)),
                            geometry=list(geoms), crs=settings.STORAGE_CRS)


def _bridges(river) -> list[dict]:
    out = []
    for bx, bname, bcls in BRIDGES:
        blon, blat = xy_to_lonlat(np.array([[bx, float(np.interp(bx, river.xs, river.ys))]]))
        out.append({"name": bname, "highway": bcls, "lon": round(float(blon[0]), 6),
                    "lat": round(float(blat[0]), 6)})
    return out


def _planted(planted_idx, pwc, pop, ward, an, river) -> dict:
    """What the analysis should find, by LSOA and ward code (see the package notes)."""
    def code(idx):
        return sorted(an.lsoa_code[i] for i in idx)

    hot, gap = planted_idx["hotspot"], planted_idx["gap"]
    taken = set(hot) | set(gap)
    free = [i for i in range(len(pwc)) if i not in taken]
    dep_core = [i for i in free if dist(pwc[i], DEPRIVED) < 1600]
    dep_core = sorted(dep_core, key=lambda i: -pop["dep"][i])[:15]
    affluent = sorted(free, key=lambda i: (pop["dep"][i], i))[:15]
    rural = [i for i in free if pop["rural"][i] >= 0.5]
    return {
        "hotspot_areas": code(hot), "gap_areas": code(gap), "deprived_core": code(dep_core),
        "affluent": code(affluent), "rural_fringe": code(rural),
        "town_centre": code([_nearest(pwc, CENTRE)]),
        "hotspot_ward": an.ward_code[int(ward[hot[0]])],
        "gap_ward": an.ward_code[int(ward[gap[0]])],
        "exclusion_m": EXCLUSION_M, "bridges": _bridges(river), "river": RIVER_NAME,
        "meaning": dict(PLANTED_MEANING),
    }


def _river_bng(river, bnd):
    """The river's centreline inside the borough, EPSG:27700."""
    ox_, oy_ = settings.DEMO_ORIGIN
    return shapely.transform(shapely.intersection(river.line, bnd),
                             lambda c: c + np.array([ox_, oy_]))


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
        counts["postcodes"] = store.write_postcodes(
            postcode_file.postcode_frame(data.areas, data.assets, seed), conn=conn)
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
