import geopandas as gpd
import numpy as np
from shapely.geometry import Point

from assetmap import privacy, settings


def _frame():
    pts = gpd.GeoSeries([Point(452123.4, 318456.7), Point(453001.0, 319999.0)],
                        crs="EPSG:27700").to_crs("EPSG:4326")
    return gpd.GeoDataFrame({"name": ["Home care", "Library"], "home_based": [True, False],
                             "address": ["1 Secret Rd", "High St"],
                             "contact": ["07700 900000", "01234"],
                             "contact_public": [False, True], "created_by": ["a", "b"]},
                            geometry=pts, crs="EPSG:4326")


def test_snap_to_grid_centres():
    x, y = privacy.snap_to_grid(np.array([452123.4]), np.array([318456.7]), 500)
    assert (x[0], y[0]) == (452250.0, 318250.0)


def test_home_based_is_moved_and_stripped():
    src = _frame()
    out = privacy.public_assets(src)
    moved = out.geometry.to_crs(settings.ANALYSIS_CRS)
    assert abs(moved.iloc[0].x - 452250.0) < 0.01 and abs(moved.iloc[0].y - 318250.0) < 0.01
    assert out.geometry.iloc[1].equals_exact(src.geometry.iloc[1], 1e-12)
    assert out["address"].iloc[0] is None and out["address"].iloc[1] == "High St"
    assert out["contact"].iloc[0] is None and out["contact"].iloc[1] == "01234"
    assert "created_by" not in out
    # the source frame is untouched
    assert src["address"].iloc[0] == "1 Secret Rd"


def test_private_view_keeps_contact_but_still_hides_home():
    out = privacy.public_assets(_frame(), private_ok=True)
    assert out["contact"].iloc[0] == "07700 900000"
    assert out["address"].iloc[0] is None
    assert not out.geometry.iloc[0].equals_exact(_frame().geometry.iloc[0], 1e-9)


def test_published_points_moves_homes_only():
    src = _frame()
    out = privacy.published_points(src)
    moved = out.geometry.to_crs(settings.ANALYSIS_CRS)
    assert abs(moved.iloc[0].x - 452250.0) < 0.01 and abs(moved.iloc[0].y - 318250.0) < 0.01
    assert out.geometry.iloc[1].equals_exact(src.geometry.iloc[1], 1e-12)
    assert out["address"].iloc[0] == "1 Secret Rd"           # fields untouched (analysis only)


# --- the attacker ---------------------------------------------------------------------------------
N_HOMES = 20


def _plant_homes(store, b, rng):
    """Twenty home-based micro-providers at random points of the synthetic borough (the
    borough's own micro-providers are retired, so each home is the only one)."""
    import pandas as pd
    cell = settings.HOME_GRID_M
    ox, oy = settings.DEMO_ORIGIN
    width = 12 * 400.0
    xy = np.column_stack([ox + cell + rng.random(N_HOMES) * (width - 2 * cell),
                          oy + cell + rng.random(N_HOMES) * (width - 2 * cell)])
    pts = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=settings.ANALYSIS_CRS)
    ids = [f"H{i:02d}" for i in range(N_HOMES)]
    homes = gpd.GeoDataFrame({"id": ids, "name": [f"Home {i}" for i in range(N_HOMES)],
                              "category": "micro_provider", "source": "import",
                              "status": "approved", "home_based": True},
                             geometry=pts.to_crs(settings.STORAGE_CRS).values,
                             crs=settings.STORAGE_CRS)
    prov = pd.DataFrame({"asset_id": ids, "service_types": "home_support",
                         "client_groups": "older_people", "capacity_hours": 40.0})
    store.write_assets(homes, prov)
    return dict(zip(ids, xy))


def _published_minutes(inp, p, router, graph, home_id):
    """What /downloads/access.csv publishes for micro-providers with only this home: the
    pipeline's own access step on the pipeline's own inputs."""
    from assetmap import pipeline
    keep = (inp.assets["category"] != "micro_provider") | (inp.assets["id"] == home_id)
    one = pipeline.Inputs(**{**inp.__dict__, "assets": inp.assets[keep].reset_index(drop=True)})
    acc = pipeline.access_step(one, p, router, graph)
    return acc.area_min[acc.cats.index("micro_provider")], acc


def _best_guess(published, acc, router, cell_centre, p, step=25.0):
    """Grid-search the 500 m cell a map shows: the candidate whose predicted per-area
    minutes (the open code's own aggregation and rounding) fit the published ones best."""
    from assetmap.analysis import network, origins
    half = settings.HOME_GRID_M / 2
    offs = np.arange(-half + step / 2, half, step)
    cand = np.array([(cell_centre[0] + dx, cell_centre[1] + dy) for dx in offs for dy in offs])
    o_xy = acc.origins_xy
    mpm = network.metres_per_minute(p["walk_speed_kmh"])
    cap = float(p["access_max_minutes"])
    near = np.minimum(router.nearest(o_xy, [c[None, :] for c in cand], cap * mpm) / mpm, cap)
    pred = np.round(origins.aggregate(near, acc.o_area, acc.o_w, len(published), "mean"), 1)
    err = np.nansum((pred - published[None, :]) ** 2, axis=1)
    return cand[int(np.argmin(err))]


def test_a_home_cannot_be_found_from_published_access_minutes(tmp_path):
    """Plant 20 homes, then play the attacker with only public outputs and the open code:
    published walking minutes per area and the home's 500 m cell. The best estimate must be
    no closer than the cell allows (on average at least 150 m off; a uniform point in a
    500 m square is ~191 m from its centre). Fails if access is measured from the home."""
    from assetmap import pipeline
    from assetmap.analysis import routing
    from assetmap.store import Store

    from synthetic import build_store
    store = Store(f"sqlite:///{tmp_path / 'h.sqlite'}")
    b = build_store(store, seed=3)
    homes = _plant_homes(store, b, np.random.default_rng(11))
    p = pipeline.resolve_params({"graph_cache_dir": str(tmp_path / "cache")})
    inp = pipeline.read_inputs(store, p)
    graph = pipeline.load_graph(store, p)
    router = routing.router(graph)
    errors = []
    for home_id, (hx, hy) in homes.items():
        published, acc = _published_minutes(inp, p, router, graph, home_id)
        cx, cy = privacy.snap_to_grid(np.array([hx]), np.array([hy]))
        gx, gy = _best_guess(published, acc, router, (cx[0], cy[0]), p)
        errors.append(float(np.hypot(gx - hx, gy - hy)))
    assert np.mean(errors) >= 150.0, errors
    assert min(errors) > 0
