"""The one routing service: one cache of compiled graphs keyed by the OSM file's hash, one
router interface on the network and crow-fly paths (each saying which it is), checked against
networkx and hand-worked straight lines; and the store-level answers pages use."""
import networkx as nx
import numpy as np
import pytest
import shapely

from assetmap import pipeline, settings
from assetmap.analysis import network, routing
from assetmap.errors import InputError
from assetmap.store import Store

import netref
import synthetic

MPM = network.metres_per_minute(settings.WALK_SPEED_KMH)


@pytest.fixture
def osm(tmp_path):
    """An OSM grid (12 x 10 streets, 100 m apart) and its SHA-256."""
    data = synthetic.grid_osm_xml(12, 10, 100.0, (450000.0, 300000.0))
    return data, network.osm_sha256(data)[1]


def test_one_compile_per_file_then_memory_then_disk(osm, tmp_path):
    data, digest = osm
    reads = []

    def read():
        reads.append(1)
        return data
    routing.clear()
    g1 = routing.compiled_graph(digest, read, tmp_path / "cache")
    g2 = routing.compiled_graph(digest, read, tmp_path / "cache")
    assert g1 is g2 and len(reads) == 1                      # memory
    routing.clear()
    g3 = routing.compiled_graph(digest, read, tmp_path / "cache")
    assert len(reads) == 1 and g3 is not g1                  # the compiled cache file
    assert g3.n_nodes == g1.n_nodes and g3.n_edges == g1.n_edges
    assert routing.compiled_graph(None, read, tmp_path / "cache") is None


def test_a_damaged_cache_file_is_compiled_again(osm, tmp_path, caplog):
    data, digest = osm
    routing.clear()
    routing.compiled_graph(digest, lambda: data, tmp_path / "cache")
    path = network.cache_path(tmp_path / "cache", digest)
    path.write_bytes(b"not a graph")
    routing.clear()
    g = routing.compiled_graph(digest, lambda: data, tmp_path / "cache")
    assert g.n_nodes > 0 and "unreadable" in caplog.text


def test_a_router_bug_is_not_swallowed(osm, tmp_path):
    """Only a damaged cache is recovered from; a failing reader raises."""
    _, digest = osm
    routing.clear()

    def broken():
        raise RuntimeError("disk on fire")
    with pytest.raises(RuntimeError, match="disk on fire"):
        routing.compiled_graph(digest, broken, tmp_path / "empty-cache")


def test_network_minutes_equal_networkx(osm, tmp_path):
    data, digest = osm
    routing.clear()
    g = routing.compiled_graph(digest, lambda: data, tmp_path / "cache")
    r = routing.router(g)
    assert r.kind == "network" and routing.method_of(r) == "network"
    G = nx.Graph()
    u, v, L = g.edge_segments()
    for a, b, w in zip(u, v, L):
        if not G.has_edge(a, b) or G[a][b]["w"] > w:
            G.add_edge(int(a), int(b), w=float(w))
    rng = np.random.default_rng(5)
    nodes = rng.choice(g.n_nodes, 12, replace=False)
    origin = nodes[0]
    pts = np.column_stack([g.x[nodes[1:]], g.y[nodes[1:]]])
    got = routing.minutes_to(r, (g.x[origin], g.y[origin]), pts, 60.0)
    ref = nx.single_source_dijkstra_path_length(G, int(origin), weight="w")
    want = np.array([ref[int(n)] / MPM for n in nodes[1:]])
    np.testing.assert_allclose(got, want, atol=1e-6)
    far = routing.minutes_to(r, (g.x[origin], g.y[origin]), pts, 1.0)
    assert np.isinf(far[want > 1.0]).all()


def test_crow_fly_minutes_and_circles():
    r = routing.router(None, detour=1.5)
    assert r.kind == "crow-fly" and routing.method_of(r) == "straight-line"
    got = routing.minutes_to(r, (0.0, 0.0), np.array([[300.0, 400.0], [3000.0, 4000.0]]), 15.0)
    assert got[0] == pytest.approx(500.0 * 1.5 / MPM) and np.isinf(got[1])
    polys, method = routing.isochrones(r, 0.0, 0.0, [5, 10])
    assert method == "straight-line"
    for minutes, poly in zip([5, 10], polys):
        radius = minutes * MPM / 1.5
        assert poly.area == pytest.approx(np.pi * radius ** 2, rel=0.01)


def test_network_isochrones_and_off_network_points(osm, tmp_path):
    data, digest = osm
    routing.clear()
    r = routing.router(routing.compiled_graph(digest, lambda: data, tmp_path / "cache"))
    centre = (450550.0, 300400.0)                       # on a street
    polys, method = routing.isochrones(r, *centre, [5, 10])
    assert method == "network" and polys[1].contains(polys[0].representative_point())
    assert polys[0].contains(shapely.Point(centre))
    # a point 20 km away cannot snap: the answer is a straight-line estimate, said so
    polys, method = routing.isochrones(r, 470000.0, 320000.0, [5])
    assert method == "straight-line" and not polys[0].is_empty


def test_store_answers_say_their_method(tmp_path):
    """Pages ask the pipeline (never a router of their own): network where the store has a
    street network, straight-line where it has none."""
    with_net = Store(f"sqlite:///{tmp_path / 'a.sqlite'}")
    b = synthetic.build_store(with_net, seed=2, n=6)
    c = b["areas"].geometry.iloc[5].centroid
    routing.clear()
    gdf, method = pipeline.isochrones_at(with_net, c.x, c.y, [5])
    assert method == "network" and gdf.crs.to_epsg() == 4326
    mins, method = pipeline.walk_minutes(with_net, c.x, c.y, [c.x], [c.y], 10.0)
    assert method == "network" and mins[0] < 2.0
    bare = Store(f"sqlite:///{tmp_path / 'b.sqlite'}")
    bare.write_areas(b["areas"])
    mins, method = pipeline.walk_minutes(bare, c.x, c.y, [c.x], [c.y], 10.0)
    assert method == "straight-line" and mins[0] == pytest.approx(0.0)
    assert pipeline.router_for(bare).kind == "crow-fly"


# --- driving, and both modes against networkx on osmnx's graphs ---------------------------------
PLACES = ["demo", pytest.param("rutland", marks=pytest.mark.realdata)]


def test_drive_graph_cached_by_digest_and_mode(osm, tmp_path):
    data, digest = osm
    routing.clear()
    walk = routing.compiled_graph(digest, lambda: data, tmp_path / "cache")
    drive = routing.compiled_graph(digest, lambda: data, tmp_path / "cache", mode="drive")
    assert walk.mode == "walk" and drive.mode == "drive" and walk is not drive
    assert routing.compiled_graph(digest, lambda: None, tmp_path / "cache", mode="drive") is drive
    assert sorted(p.name.split("-")[0] for p in (tmp_path / "cache").glob("*.npz")) == \
        ["drive", "walk"]
    # other drive speeds: another graph, never the cached one
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(settings, "DRIVE_HIGHWAY_SPEEDS_KMH", {"residential": 20.0})
        slow = routing.compiled_graph(digest, lambda: data, tmp_path / "cache", mode="drive")
    assert slow is not drive and slow.edge_cost.sum() > drive.edge_cost.sum()
    assert len(list((tmp_path / "cache").glob("drive-*.npz"))) == 2
    # the grid's north-south streets are footways (no car), its diagonal a motorway (cars only)
    assert drive.n_street_segments == 11 * 10 + 9 and walk.n_street_segments == 11 * 10 + 12 * 9
    r = routing.router(drive)
    assert (r.kind, r.mode, r.unit) == ("network", "drive", "s")
    assert routing.cost_per_minute(r) == 60.0
    with pytest.raises(InputError, match="travel mode"):
        routing.compiled_graph(digest, lambda: data, tmp_path / "cache", mode="fly")


def test_crow_fly_driving_uses_the_driving_speed():
    r = routing.router(None, mode="drive", detour=1.0)
    assert (r.kind, r.mode) == ("crow-fly", "drive")
    mins = routing.minutes_to(r, (0.0, 0.0), np.array([[5000.0, 0.0]]), 60.0)
    assert mins[0] == pytest.approx(5.0 / settings.DRIVE_CROW_FLY_SPEED_KMH * 60)


def test_store_answers_in_either_mode(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'a.sqlite'}")
    b = synthetic.build_store(s, seed=2, n=6)
    routing.clear()
    c0, c5 = (b["areas"].geometry.iloc[k].centroid for k in (0, 5))
    walk, m1 = pipeline.walk_minutes(s, c0.x, c0.y, [c5.x], [c5.y], 120.0)
    drive, m2 = pipeline.walk_minutes(s, c0.x, c0.y, [c5.x], [c5.y], 120.0, mode="drive")
    assert m1 == m2 == "network" and 0 < drive[0] < walk[0]
    assert pipeline.router_for(s, mode="drive").mode == "drive"
    gdf, method = pipeline.isochrones_at(s, c0.x, c0.y, [2], mode="drive")
    walk_gdf, _ = pipeline.isochrones_at(s, c0.x, c0.y, [2])
    assert method == "network" and gdf.to_crs(27700).area.iloc[0] > \
        walk_gdf.to_crs(27700).area.iloc[0]


def _street_points(ref, rng, k: int, jitter: float) -> np.ndarray:
    """``k`` points near random street segments of the reference."""
    i = rng.choice(len(ref.ax), k)
    t = rng.random(k)
    x = ref.ax[i] + t * (ref.bx[i] - ref.ax[i]) + rng.normal(0, jitter, k)
    y = ref.ay[i] + t * (ref.by[i] - ref.ay[i]) + rng.normal(0, jitter, k)
    return ref.untied(np.column_stack([x, y]))


@pytest.mark.parametrize("mode", ["walk", "drive"])
@pytest.mark.parametrize("place", PLACES)
def test_costs_equal_networkx_on_osmnx_graphs(osmnx_streets, place, mode):
    """The pyosmium graph, contracted, searched by the compiled kernels, equal to networkx
    on osmnx's uncontracted graph with osmnx's speeds: 200 random pairs of street nodes
    (metres walking, seconds driving; one-way streets make some pairs unreachable), then
    points snapped part-way along the nearest edge."""
    path, G = osmnx_streets(place, mode)
    weight = "length_bng" if mode == "walk" else "travel_time"
    g = network.graph_from_osm(path, mode=mode)
    r = routing.router(g)
    ref = netref.Reference.from_osmnx(G, weight, g.snap_cost, settings.MIN_COMPONENT_NODES)
    big = sorted({s[0] for s in ref.seg} | {s[1] for s in ref.seg})
    rng = np.random.default_rng(11)
    o = rng.choice(big, 20, replace=False)
    d = rng.choice(big, (20, 10))

    def xy(ids):
        return np.array([[G.nodes[n]["x"], G.nodes[n]["y"]] for n in np.ravel(ids)])
    rows, cols, cost = r.table(xy(o), xy(d), np.inf)
    got = np.full((20, 200), np.inf)
    got[rows, cols] = cost
    for i, s in enumerate(o):
        want = nx.single_source_dijkstra_path_length(G, s, weight=weight)
        for k, t in enumerate(d[i]):
            exp = want.get(t, np.inf)
            assert (np.isinf(exp) and np.isinf(got[i, i * 10 + k])) or \
                abs(got[i, i * 10 + k] - exp) < 1.0, (s, t, got[i, i * 10 + k], exp)
    pts = _street_points(ref, rng, 80, 25.0)
    want = ref.costs(pts[:12], pts[12:], max_snap=settings.MAX_SNAP_DISTANCE_M)
    rows, cols, cost = r.table(pts[:12], pts[12:], np.inf)
    got = np.full(want.shape, np.inf)
    got[rows, cols] = cost
    np.testing.assert_allclose(got, want, atol=1.0)
    near = r.nearest(pts[:12], [pts[12:40], pts[40:]], np.inf)
    np.testing.assert_allclose(near[0], want[:, :28].min(axis=1), atol=1.0)
    np.testing.assert_allclose(near[1], want[:, 28:].min(axis=1), atol=1.0)
