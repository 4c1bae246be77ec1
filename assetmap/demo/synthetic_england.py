"""A synthetic England for national runs and benchmarks (no national OSM file is available
offline): a street graph of jittered grids at densities from the real LSOAs, with rivers
and rural gaps, written as an ``.osm.pbf`` the pipeline reads exactly as a real file; and
the areas (one per LSOA, 32,844 in England, 2011 geography), indicators and assets.

Inputs (``/work/shared/realdata``-style folder, see their SOURCE.md): the ONS LSOA 2011
centroid table (label points ``BNG_E``/``BNG_N`` and ``Shape__Area``) and the IoD 2019
population denominators and domain ranks/deciles (with each LSOA's local authority).

The streets: England is cut into 2 km blocks; a block exists where an LSOA centroid is
near (its radius from its area, plus 1 km), and takes the density of the nearest LSOA:
street nodes per km2 ~ c x (people per km2)^0.75, ``c`` fitted so the whole has about
``target_nodes``, spacing rounded to 2 km / 2^k (31.25 m to 500 m) so neighbouring blocks
share their boundary nodes (node ids are positions on the 31.25 m lattice). The sparsest
blocks are dropped at random (rural gaps). Rivers are long sine curves: every street
crossing one is removed except at bridges every ``BRIDGE_M``. Nodes are jittered
(deterministically, a hash of the lattice position and the seed). Everything depends only
on the inputs, the target and the seed: the same seed gives the same file.
"""
from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import settings

F = 31.25                  # the finest lattice step (m)
BLOCK = 64                 # lattice steps per block side (2 km)
STEPS = (1, 2, 4, 8, 16)   # allowed spacings in lattice steps (31.25 m .. 500 m)
JITTER = 0.3 * F           # largest node displacement (m)
BRIDGE_M = 5000.0          # one crossing per this many metres of river
GAP_SHARE = 0.35           # share of the sparsest blocks left empty (rural gaps)
CENTROIDS = ("england-wales-lsoa11-centroids-lookups",
             "Lower_Layer_Super_Output_Areas_(December_2011)_Boundaries_Super_Generalised_"
             "Clipped_(BSC)_EW_V3.csv")
DENOMINATORS = ("england-iod2019-lsoa11", "File_6_-_IoD2019_Population_Denominators.csv.gz")
DOMAINS = ("england-iod2019-lsoa11", "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz")
#: England's assets by category (about 101,000 in all; scaled by the share of population).
ASSET_COUNTS = {"community_centre": 9000, "library": 3000, "faith_venue": 22000,
                "cafe_pub": 30000, "park": 9000, "sport_leisure": 5000, "gp_practice": 6500,
                "pharmacy": 11500, "food_shop": 5000}


# --- the real inputs -------------------------------------------------------------------------
def available(realdata) -> bool:
    root = Path(realdata)
    return all((root / d / f).exists() for d, f in (CENTROIDS, DENOMINATORS, DOMAINS))


def _num(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s.astype(str).str.replace(",", ""), errors="coerce").to_numpy(float)


def load_lsoas(realdata, las=None, max_areas: int | None = None) -> pd.DataFrame:
    """England's LSOAs (2011): code, name, la_code, la_name, x, y (EPSG:27700), area_m2,
    population and its parts, IMD and domain ranks and deciles; optionally only the local
    authorities ``las`` or the first ``max_areas`` by code."""
    root = Path(realdata)
    c = pd.read_csv(root.joinpath(*CENTROIDS), encoding="utf-8-sig")
    with gzip.open(root.joinpath(*DENOMINATORS), "rt", encoding="utf-8-sig") as f:
        d = pd.read_csv(f)
    with gzip.open(root.joinpath(*DOMAINS), "rt", encoding="utf-8-sig") as f:
        dom = pd.read_csv(f)
    d.columns = ["code", "name", "la_code", "la_name", "pop", "age_0_15", "age_16_59",
                 "age_60_plus", "working"]
    out = d[["code", "name", "la_code", "la_name"]].copy()
    for col in ("pop", "age_0_15", "age_16_59", "age_60_plus"):
        out[col] = _num(d[col])
    c = c.set_index("LSOA11CD").reindex(out["code"])
    out["x"], out["y"] = c["BNG_E"].to_numpy(float), c["BNG_N"].to_numpy(float)
    out["area_m2"] = c["Shape__Area"].to_numpy(float)
    names = ["imd", "income", "employment", "education", "health", "crime", "housing",
             "environment"]
    dom = dom.set_index(dom.columns[0]).reindex(out["code"])
    for k, nm in enumerate(names):
        out[f"{nm}_rank"] = dom.iloc[:, 3 + 2 * k].to_numpy(float)
        out[f"{nm}_decile"] = dom.iloc[:, 4 + 2 * k].to_numpy(float)
    out = out[np.isfinite(out["x"]) & out["code"].str.startswith("E")]
    if las is not None:
        out = out[out["la_code"].isin(list(las))]
    out = out.sort_values("code").reset_index(drop=True)
    return out.head(max_areas) if max_areas else out


# --- blocks ----------------------------------------------------------------------------------
@dataclass
class Blocks:
    x0: float               # the lattice origin (m, EPSG:27700)
    y0: float
    nbx: int                # blocks across
    bx: np.ndarray          # block column, row and spacing (lattice steps)
    by: np.ndarray
    step: np.ndarray
    lsoa: np.ndarray        # the nearest LSOA of each block

    def nodes(self) -> int:
        return int(((BLOCK // self.step) ** 2).sum())


def _hash(a: np.ndarray, seed: int) -> np.ndarray:
    """splitmix64 of ``a`` and the seed: uniform floats in [0, 1)."""
    with np.errstate(over="ignore"):
        z = np.asarray(a, np.uint64) + np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(2 ** 53)


def _steps(dens: np.ndarray, c: float) -> np.ndarray:
    per_km2 = np.clip(c * np.maximum(dens, 0.1) ** 0.75, 1.0, 1024.0)
    s = 1000.0 / np.sqrt(per_km2) / F
    k = np.clip(np.round(np.log2(np.maximum(s, 1.0))), 0, len(STEPS) - 1).astype(int)
    return np.asarray(STEPS)[k]


def make_blocks(lsoas: pd.DataFrame, target_nodes: int, seed: int) -> Blocks:
    """The 2 km blocks near the LSOAs, spacing fitted so the graph has about
    ``target_nodes`` nodes."""
    from scipy.spatial import cKDTree
    side = BLOCK * F
    xy = lsoas[["x", "y"]].to_numpy(float)
    radius = np.sqrt(lsoas["area_m2"].to_numpy(float) / np.pi)
    x0 = np.floor(xy[:, 0].min() / side) * side - side
    y0 = np.floor(xy[:, 1].min() / side) * side - side
    nbx = int((xy[:, 0].max() - x0) // side) + 2
    nby = int((xy[:, 1].max() - y0) // side) + 2
    bx, by = (a.ravel() for a in np.meshgrid(np.arange(nbx), np.arange(nby)))
    d, i = cKDTree(xy).query(np.column_stack([x0 + (bx + 0.5) * side, y0 + (by + 0.5) * side]))
    near = d <= radius[i] + 1000.0
    bx, by, i = bx[near], by[near], i[near]
    dens = lsoas["pop"].to_numpy(float)[i] / np.maximum(lsoas["area_m2"].to_numpy(float)[i]
                                                        / 1e6, 1e-3)
    lo, hi = 1e-4, 1e4
    for _ in range(50):                      # fit c (geometric bisection on the node count)
        c = np.sqrt(lo * hi)
        n = ((BLOCK // _steps(dens, c)) ** 2).sum()       # boundary nodes are shared
        lo, hi = (c, hi) if n < target_nodes else (lo, c)
    step = _steps(dens, np.sqrt(lo * hi))
    gap = (step == STEPS[-1]) & (_hash(by * nbx + bx, seed + 7) < GAP_SHARE)
    keep = ~gap
    return Blocks(float(x0), float(y0), nbx, bx[keep].astype(np.int64),
                  by[keep].astype(np.int64), step[keep].astype(np.int64), i[keep])


# --- streets ---------------------------------------------------------------------------------
def _lines(b: Blocks):
    """Every grid line of every block (its owner draws a boundary line once): start
    lattice point, direction (0 along x, 1 along y), spacing."""
    grid = np.zeros((int(b.by.max()) + 2) * b.nbx + b.nbx + 2, np.int64)
    grid[b.by * b.nbx + b.bx] = b.step
    parts = []
    for d, (nbr_dx, nbr_dy) in enumerate(((0, 1), (1, 0))):    # top line, right line
        nbr = grid[(b.by + nbr_dy) * b.nbx + b.bx + nbr_dx]
        owns_last = (nbr == 0) | (nbr > b.step)
        n = BLOCK // b.step
        count = n + owns_last.astype(np.int64)
        blk = np.repeat(np.arange(len(b.bx)), count)
        k = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
        off = k * b.step[blk]
        gx = b.bx[blk] * BLOCK + (off if d == 1 else 0)
        gy = b.by[blk] * BLOCK + (off if d == 0 else 0)
        parts.append((gx, gy, np.full(len(blk), d), b.step[blk]))
    return [np.concatenate(p) for p in zip(*parts)]


def _rivers(b: Blocks, seed: int) -> list:
    """(orientation, base, amplitude, wavelength, phase, bridge offset) per river: long sine
    curves, one each way per 100 km of extent."""
    rng = np.random.default_rng(seed + 11)
    ext_x = (b.bx.max() + 1) * BLOCK * F
    ext_y = (b.by.max() + 1) * BLOCK * F
    out = []
    for o, ext, at in ((0, ext_y, b.y0), (1, ext_x, b.x0)):  # 0: runs along x (crossed going y)
        k = max(1, int(ext // 100_000))
        for j in range(k):
            out.append((o, at + (j + 0.3 + 0.4 * rng.random()) * ext / k, rng.uniform(2e3, 8e3),
                        rng.uniform(2e4, 6e4), rng.uniform(0, 2 * np.pi),
                        rng.uniform(0, BRIDGE_M)))
    return out


def _kept(px, py, step, rivers) -> np.ndarray:
    """(lines, n) whether each segment survives the rivers (crossings only at bridges)."""
    keep = np.ones((px.shape[0], px.shape[1] - 1), bool)
    for o, base, amp, lam, ph, boff in rivers:
        a, c = (px, py) if o == 0 else (py, px)      # a: along the river, c: across
        side = c > base + amp * np.sin(2 * np.pi * a / lam + ph)
        cross = side[:, 1:] != side[:, :-1]
        mid = (a[:, 1:] + a[:, :-1]) / 2
        to_bridge = np.abs((mid - boff + BRIDGE_M / 2) % BRIDGE_M - BRIDGE_M / 2)
        keep &= ~cross | (to_bridge <= step[:, None] * F / 2 + 1e-6)
    return keep


@dataclass
class Streets:
    """Nodes (OSM ids, EPSG:27700) and ways (node refs ``refs[ptr[w]:ptr[w+1]]``)."""

    ids: np.ndarray
    x: np.ndarray
    y: np.ndarray
    refs: np.ndarray
    ptr: np.ndarray
    highway: np.ndarray     # per way


def _ways(ids, keep, step):
    """Runs of kept segments along each line, as ways."""
    L, n = keep.shape
    prev = np.zeros_like(keep)
    prev[:, 1:] = keep[:, :-1]
    nxt = np.zeros_like(keep)
    nxt[:, :-1] = keep[:, 1:]
    s = np.flatnonzero(keep & ~prev)
    e = np.flatnonzero(keep & ~nxt)
    line, js, je = s // n, s % n, e % n
    cnt = je - js + 2
    base = np.repeat(line * (n + 1) + js, cnt)
    within = np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    refs = ids.ravel()[base + within]
    return refs, cnt, np.where(step[line] <= 2, "residential", "unclassified")


def make_streets(b: Blocks, seed: int) -> Streets:
    """The street nodes and ways of the blocks (see the module notes)."""
    gx, gy, d, step = _lines(b)
    W = b.nbx * BLOCK + 1
    rivers = _rivers(b, seed)
    refs, counts, hw = [], [], []
    for m in STEPS:
        sel = np.flatnonzero(step == m)
        if not len(sel):
            continue
        a = np.arange(BLOCK // m + 1) * m
        lx = gx[sel, None] + np.where(d[sel, None] == 0, a[None, :], 0)
        ly = gy[sel, None] + np.where(d[sel, None] == 1, a[None, :], 0)
        keep = _kept(b.x0 + lx * F, b.y0 + ly * F, step[sel], rivers)
        r, c, h = _ways(ly * W + lx + 1, keep, step[sel])
        refs.append(r)
        counts.append(c)
        hw.append(h)
    refs_a = np.concatenate(refs)
    ptr = np.r_[0, np.cumsum(np.concatenate(counts))].astype(np.int64)
    ids = np.unique(refs_a)
    lat_x, lat_y = (ids - 1) % W, (ids - 1) // W
    x = b.x0 + lat_x * F + (2 * _hash(ids, seed) - 1) * JITTER
    y = b.y0 + lat_y * F + (2 * _hash(ids, seed + 1) - 1) * JITTER
    return Streets(ids, x, y, refs_a, ptr, np.concatenate(hw))


def write_pbf(st: Streets, path) -> Path:
    """The streets as an ``.osm.pbf`` (pyosmium's writer; nodes in id order, then ways)."""
    import osmium

    from ..projection import to_lonlat
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lon, lat = to_lonlat().transform(st.x, st.y)
    w = osmium.SimpleWriter(str(path), overwrite=True)
    try:
        node = osmium.osm.mutable.Node
        for i, a, c in zip(st.ids.tolist(), np.round(lon, 7).tolist(),
                           np.round(lat, 7).tolist()):
            w.add_node(node(id=i, location=(a, c)))
        way = osmium.osm.mutable.Way
        refs = st.refs.tolist()
        ptr = st.ptr.tolist()
        for k, h in enumerate(st.highway.tolist()):
            w.add_way(way(id=k + 1, nodes=refs[ptr[k]:ptr[k + 1]], tags={"highway": h}))
    finally:
        w.close()
    return path


def edges(st: Streets):
    """(u, v, length, x, y) of the streets (positions into ``st.ids``), the graph contract's
    input (:func:`assetmap.analysis.network.compile_graph`) without a file."""
    pos = np.searchsorted(st.ids, st.refs)
    way = np.repeat(np.arange(len(st.ptr) - 1), np.diff(st.ptr))
    same = way[1:] == way[:-1]
    u, v = pos[:-1][same], pos[1:][same]
    return u, v, np.hypot(st.x[u] - st.x[v], st.y[u] - st.y[v]), st.x, st.y


# --- areas, indicators, assets ---------------------------------------------------------------
#: Shares of the 60+ population by age (ONS mid-2015 England: 60-64 24%, 65-74 42%, 75-84
#: 24%, 85+ 10%), and of 16-59 who are 16-17 (2 of 44 years): the denominators' age groups
#: into the store's bands.
AGE_60_SHARES = (0.24, 0.42, 0.24, 0.10)
AGE_16_17_SHARE = 2.0 / 44.0


def areas_frame(lsoas: pd.DataFrame):
    """One area per LSOA: its Voronoi cell around the label point, clipped to a disc of the
    LSOA's own size (flagged approximate), the LSOA's local authority as its parent."""
    import geopandas as gpd
    import shapely
    xy = lsoas[["x", "y"]].to_numpy(float)
    r = np.sqrt(lsoas["area_m2"].to_numpy(float) / np.pi)
    cells = shapely.voronoi_polygons(shapely.multipoints(xy), ordered=True)
    discs = shapely.buffer(shapely.points(xy), 1.5 * r + 300.0, quad_segs=8)
    geom = shapely.intersection(np.asarray(cells.geoms), discs)
    g = gpd.GeoSeries(geom, crs=settings.ANALYSIS_CRS).to_crs(settings.STORAGE_CRS)
    pts = gpd.GeoSeries(shapely.points(xy), crs=settings.ANALYSIS_CRS).to_crs(
        settings.STORAGE_CRS)
    a60 = lsoas["age_60_plus"].to_numpy(float)
    a16 = lsoas["age_16_59"].to_numpy(float)
    return gpd.GeoDataFrame({
        "code": lsoas["code"], "name": lsoas["name"], "level": "lsoa",
        "parent_code": lsoas["la_code"], "parent_name": lsoas["la_name"],
        "pop_0_17": np.round(lsoas["age_0_15"].to_numpy(float) + a16 * AGE_16_17_SHARE),
        "pop_18_64": np.round(a16 * (1 - AGE_16_17_SHARE) + a60 * AGE_60_SHARES[0]),
        "pop_65_74": np.round(a60 * AGE_60_SHARES[1]),
        "pop_75_84": np.round(a60 * AGE_60_SHARES[2]),
        "pop_85_plus": np.round(a60 * AGE_60_SHARES[3]),
        "pwc_lon": pts.x.to_numpy(), "pwc_lat": pts.y.to_numpy(),
        "approximate_geometry": True}, geometry=g.values, crs=settings.STORAGE_CRS)


INDICATORS = {"imd_rank": "imd_rank", "imd_decile": "imd_decile",
              "iod_income_decile": "income_decile", "iod_employment_decile":
              "employment_decile", "iod_health_decile": "health_decile",
              "iod_housing_decile": "housing_decile"}


def indicator_frames(lsoas: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(indicators, values): IoD 2019 ranks and deciles as published, and people aged 65+
    (a count over the population, from the denominators' 60+ by the shares above)."""
    from .. import model
    ids = list(INDICATORS) + ["pop_65_plus"]
    ind = pd.DataFrame([{"id": i, "title": model.INDICATORS[i].title,
                         "unit": model.INDICATORS[i].unit,
                         "polarity": model.INDICATORS[i].polarity,
                         "ci_method": model.INDICATORS[i].ci_method,
                         "source": f"Synthetic England from: {model.INDICATORS[i].source}",
                         "period": "2019", "description": None} for i in ids])
    codes = lsoas["code"].to_numpy(object)
    parts = [pd.DataFrame({"indicator_id": i, "area_code": codes,
                           "value": lsoas[col].to_numpy(float), "count": np.nan,
                           "denominator": np.nan}) for i, col in INDICATORS.items()]
    k = np.round(lsoas["age_60_plus"].to_numpy(float) * sum(AGE_60_SHARES[1:]))
    n = lsoas["pop"].to_numpy(float)
    parts.append(pd.DataFrame({"indicator_id": "pop_65_plus", "area_code": codes,
                               "value": np.round(100 * k / n, 4), "count": k,
                               "denominator": n}))
    return ind, pd.concat(parts, ignore_index=True)


def assets_frame(lsoas: pd.DataFrame, seed: int, england_pop: float = 54_728_204.0):
    """About :data:`ASSET_COUNTS` (scaled by the population share) assets, each in an
    LSOA drawn by population, at a point within half its radius of the label point."""
    import geopandas as gpd
    rng = np.random.default_rng(seed + 23)
    pop = lsoas["pop"].to_numpy(float)
    r = np.sqrt(lsoas["area_m2"].to_numpy(float) / np.pi)
    rows = []
    for cat, n in ASSET_COUNTS.items():
        k = max(1, int(round(n * pop.sum() / england_pop)))
        i = rng.choice(len(pop), k, p=pop / pop.sum())
        ang, rad = rng.uniform(0, 2 * np.pi, k), 0.5 * r[i] * np.sqrt(rng.random(k))
        rows.append(pd.DataFrame({"id": [f"se-{cat}-{j}" for j in range(k)],
                                  "name": [f"{cat.replace('_', ' ')} {j}" for j in range(k)],
                                  "category": cat,
                                  "x": lsoas["x"].to_numpy(float)[i] + rad * np.cos(ang),
                                  "y": lsoas["y"].to_numpy(float)[i] + rad * np.sin(ang)}))
    df = pd.concat(rows, ignore_index=True)
    g = gpd.GeoSeries(gpd.points_from_xy(df["x"], df["y"]), crs=settings.ANALYSIS_CRS)
    df = df.drop(columns=["x", "y"]).assign(source="import", status="approved",
                                            home_based=False, contact_public=False, version=1)
    return gpd.GeoDataFrame(df, geometry=g.to_crs(settings.STORAGE_CRS).values,
                            crs=settings.STORAGE_CRS)


# --- the whole -------------------------------------------------------------------------------
@dataclass
class England:
    lsoas: pd.DataFrame
    blocks: Blocks
    streets: Streets
    seed: int = 1


def generate(realdata, target_nodes: int = 15_500_000, seed: int = 1, *, las=None,
             max_areas: int | None = None) -> England:
    """The synthetic England (or the local authorities ``las`` of it) of about
    ``target_nodes`` street nodes."""
    lsoas = load_lsoas(realdata, las, max_areas)
    blocks = make_blocks(lsoas, target_nodes, seed)
    return England(lsoas, blocks, make_streets(blocks, seed), seed)


def build_into(store, eng: England, pbf_path, progress=None) -> dict:
    """Replace the store's contents with ``eng``: its areas, indicators, assets and the
    streets as the OSM file (written to ``pbf_path``; stored as the store's street
    network; ``pbf_path`` None: no street network stored, the caller compiles
    :func:`edges` itself). Returns counts."""
    say = progress or (lambda m: None)
    say("writing the streets (.osm.pbf)")
    path = None if pbf_path is None else write_pbf(eng.streets, pbf_path)
    areas = areas_frame(eng.lsoas)
    ind, values = indicator_frames(eng.lsoas)
    assets = assets_frame(eng.lsoas, eng.seed)
    say("writing the store")
    store.drop_all()
    with store.transaction() as conn:
        n_areas = store.write_areas(areas, conn=conn, file="synthetic England areas")
        store.write_indicators(ind, conn=conn, file="synthetic England indicators")
        store.write_values(values, conn=conn, file="synthetic England values")
        n_assets = store.write_assets(assets, conn=conn, file="synthetic England assets",
                                      changed_by="synthetic", action="import")
        if path is not None:
            store.put_blob("osm", path.read_bytes(), conn=conn)
            store.set_meta("osm_name", path.name, conn=conn)
        store.set_meta("area_name", "Synthetic England", conn=conn)
    return {"areas": n_areas, "assets": n_assets, "osm_nodes": int(len(eng.streets.ids)),
            "osm_ways": int(len(eng.streets.ptr) - 1),
            "osm_bytes": 0 if path is None else path.stat().st_size}

