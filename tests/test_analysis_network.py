"""Walking graph and travel times: equal to networkx shortest paths (unreachable pairs too),
minimum of parallel edges, snap distances, the OSM cache, isochrones."""
import time

import networkx as nx
import numpy as np
import pytest
import shapely

from assetmap import settings
from assetmap.analysis import network, origins
from assetmap.analysis.isochrones import isochrones

import synthetic


@pytest.fixture(scope="module")
def grid():
    """A 40 x 30 grid with curvy lengths, a few removed edges, a detached island and
    parallel edges; returned as (WalkGraph, networkx Graph with min lengths)."""
    u, v, L, x, y = synthetic.grid_edges(40, 30, 50.0, jitter=0.4, seed=3)
    rng = np.random.default_rng(4)
    keep = rng.random(len(u)) > 0.08
    u, v, L = u[keep], v[keep], L[keep]
    # an island of 30 nodes far away (reachable among themselves only)
    iu, iv, iL, ix, iy = synthetic.grid_edges(6, 5, 50.0, origin=(10_000.0, 10_000.0))
    n0 = len(x)
    u = np.concatenate([u, iu + n0])
    v = np.concatenate([v, iv + n0])
    L = np.concatenate([L, iL])
    x = np.concatenate([x, ix])
    y = np.concatenate([y, iy])
    # parallel edges: a longer and a shorter duplicate of some edges
    pick = rng.choice(len(u), 40, replace=False)
    u = np.concatenate([u, u[pick], v[pick[:20]]])
    v = np.concatenate([v, v[pick], u[pick[:20]]])
    L = np.concatenate([L, L[pick] * 3.0, L[pick[:20]] * 0.5])
    g = network.compile_graph(u, v, L, x, y)
    G = nx.Graph()
    G.add_nodes_from(range(len(x)))
    for a, b, w in zip(u, v, L):
        if a == b:
            continue
        if G.has_edge(a, b):
            G[a][b]["length"] = min(G[a][b]["length"], w)
        else:
            G.add_edge(a, b, length=w)
    return g, G


def test_parallel_edges_keep_minimum():
    g = network.compile_graph([0, 0, 1], [1, 1, 2], [100.0, 30.0, 5.0], [0, 1, 2], [0, 0, 0])
    assert g.csr[0, 1] == 30.0 and g.csr[1, 0] == 30.0
    M = nx.MultiGraph()
    M.add_edge(0, 1, length=100.0)
    M.add_edge(0, 1, length=30.0)
    # the trap this avoids: networkx adds parallel edges together
    assert nx.to_scipy_sparse_array(M, weight="length")[0, 1] == 130.0


def test_travel_times_equal_networkx(grid):
    g, G = grid
    rng = np.random.default_rng(0)
    n = g.n_nodes
    src = rng.choice(n, 12, replace=False)
    src[0] = n - 1                                      # an island node
    dst = rng.choice(n, 60, replace=False)
    limit = 1500.0
    d = network.node_table(g, src, dst, limit)
    unreachable = 0
    for i, s in enumerate(src):
        ref = nx.single_source_dijkstra_path_length(G, int(s), cutoff=limit, weight="length")
        for j, t in enumerate(dst):
            if int(t) in ref:
                assert abs(d[i, j] - ref[int(t)]) < 1.0
            else:
                assert np.isinf(d[i, j])
                unreachable += 1
    assert unreachable > 50                     # the island row and beyond-limit pairs


def test_nearest_equals_min_over_networkx(grid):
    g, G = grid
    rng = np.random.default_rng(1)
    targets = rng.choice(g.n_nodes - 30, 7, replace=False)
    offsets = rng.random(7) * 80
    nd = network.nearest_distances(g, [(targets, offsets)], limit_m=np.inf)[0]
    ref = {}
    for t, off in zip(targets, offsets):
        for node, dist in nx.single_source_dijkstra_path_length(G, int(t), weight="length").items():
            ref[node] = min(ref.get(node, np.inf), dist + off)
    for node in rng.choice(g.n_nodes, 200, replace=False):
        exp = ref.get(int(node), np.inf)
        assert (np.isinf(nd[node]) and np.isinf(exp)) or abs(nd[node] - exp) < 1.0


def test_router_adds_snap_distance(grid):
    g, G = grid
    router = network.GraphRouter(g, max_snap_m=100.0)
    origins = np.array([[0.0, -30.0], [500.0, 520.0], [5000.0, 5000.0]])   # last: off network
    dests = np.array([[1000.0, 10.0]])
    near = router.nearest(origins, [dests], limit_m=1e9)[0]
    net = nx.shortest_path_length(G, 0, 20, weight="length")
    assert near[0] == pytest.approx(30.0 + net + 10.0, abs=1e-6)
    assert np.isinf(near[2])
    r, c, m = router.table(origins, dests, 1e9)
    assert dict(zip(r.tolist(), m.tolist()))[0] == pytest.approx(near[0])
    assert 2 not in r.tolist()


def test_crow_fly_router():
    cf = network.CrowFlyRouter(1.5)
    near = cf.nearest(np.array([[0.0, 0.0], [100.0, 0.0]]), [np.array([[0.0, 40.0]])], 1e9)
    assert near[0].tolist() == pytest.approx([60.0, 1.5 * np.hypot(100, 40)])
    r, c, m = cf.table(np.array([[0.0, 0.0], [5.0, 5.0]]), np.array([[0.0, 0.0], [900.0, 0]]), 100)
    assert sorted(zip(r.tolist(), c.tolist())) == [(0, 0), (1, 0)]


def test_osm_graph_filters_and_caches(tmp_path):
    osm = synthetic.grid_osm_xml(8, 6, 100.0)
    t = time.perf_counter()
    g = network.graph_from_osm(osm, tmp_path)
    build = time.perf_counter() - t
    assert len(list(tmp_path.glob("walk-*.npz"))) == 1
    # the 8 x 6 grid's streets only: the motorway and the building outline are gone
    assert g.n_nodes == 48
    assert g.n_edges == 7 * 6 + 8 * 5
    assert g.csr[0, 9] == 0                     # the motorway's diagonal step
    t = time.perf_counter()
    g2 = network.graph_from_osm(osm, tmp_path)
    assert time.perf_counter() - t < min(0.2, build)
    assert g2.sha256 == g.sha256 and np.array_equal(g2.data, g.data)
    # projected to British National Grid metres, about 100 m apart
    assert np.median(g.data) == pytest.approx(100.0, abs=0.01)
    assert abs(g.x.min() - settings.DEMO_ORIGIN[0]) < 5


def test_osm_river_crossings(tmp_path):
    osm = synthetic.grid_osm_xml(10, 10, 100.0, river_row=4, crossings=(0,), extra_nodes=False)
    g = network.graph_from_osm(osm)
    router = network.GraphRouter(g)
    ox, oy = settings.DEMO_ORIGIN
    near = router.nearest(np.array([[ox + 900.0, oy + 400.0]]),
                          [np.array([[ox + 900.0, oy + 500.0]])], 1e9)[0]
    assert near[0] == pytest.approx(900 + 100 + 900, abs=5)      # round by the one bridge


def test_bad_osm_is_input_error():
    from assetmap.errors import InputError
    with pytest.raises(InputError):
        network.graph_from_osm(b"\x00\x01notosm")


def test_isochrone_grows_and_contains(grid):
    g, _ = grid
    polys = isochrones(g, 1000.0, 700.0, [5, 10], speed_kmh=4.5, buffer_m=20)
    assert polys[0].area < polys[1].area
    assert polys[1].contains(polys[0].representative_point())
    assert polys[0].contains(shapely.Point(1000.0, 700.0))
    mpm = network.metres_per_minute(4.5)
    # nothing beyond the straight-line reach plus the buffer
    assert shapely.Point(1000.0, 700.0).buffer(10 * mpm + 21).contains(polys[1])
    off = isochrones(g, 1e6, 1e6, [5], max_snap_m=100)
    assert off[0].is_empty


def test_origins_deterministic_and_weighted(grid):
    g, _ = grid
    polys = [shapely.box(0, 0, 500, 500), shapely.box(500, 0, 1000, 500),
             shapely.box(3000, 3000, 3100, 3100)]                     # last: no nodes inside
    pwc = np.array([[250.0, 250.0], [np.nan, np.nan], [np.nan, np.nan]])
    a1 = origins.area_origins(np.array(polys, dtype=object), pwc, g, 5, seed=7)
    a2 = origins.area_origins(np.array(polys, dtype=object), pwc, g, 5, seed=7)
    for x1, x2 in zip(a1, a2):
        np.testing.assert_array_equal(x1, x2)
    area, xy, w = a1
    assert np.bincount(area).tolist() == [5, 5, 1]
    np.testing.assert_allclose(np.bincount(area, weights=w), 1.0)
    assert [250.0, 250.0] in xy.tolist()
    vals = np.arange(len(area), dtype=float)
    mean = origins.aggregate(vals, area, w, 3, "mean")
    mins = origins.aggregate(vals, area, w, 3, "min")
    assert mean[0] == pytest.approx(vals[area == 0].mean()) and mins[1] == vals[area == 1].min()
