"""The street graph and its searches: equal to networkx shortest paths (unreachable pairs
too), minimum of parallel edges, degree-2 chains contracted without changing a distance,
points snapped part-way along the nearest edge (checked against networkx with the points
inserted by brute force), the OSM cache, isochrones along the real geometry."""
import time

import networkx as nx
import numpy as np
import pytest
import shapely

from assetmap import settings
from assetmap.analysis import network, origins
from assetmap.analysis.isochrones import isochrones

import netref
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
    # the sparse form holds exactly the finite cells
    i, j, c = network.node_pairs(g, src, dst, limit)
    assert len(i) == np.isfinite(d).sum() and np.array_equal(d[i, j], c)


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


def _bent(g):
    """The grid with every street bent: two extra nodes on each edge, off the line."""
    u, v, L = g.edge_segments()
    n, k = g.n_nodes, len(u)
    m1, m2 = n + np.arange(k), n + k + np.arange(k)
    dx, dy = g.x[v] - g.x[u], g.y[v] - g.y[u]
    x = np.concatenate([g.x, g.x[u] + dx / 3 + 4, g.x[u] + 2 * dx / 3])
    y = np.concatenate([g.y, g.y[u] + dy / 3 - 4, g.y[u] + 2 * dy / 3])
    w = np.column_stack([L * 0.2, L * 0.3, L * 0.5])
    return (np.concatenate([u, m1, m2]), np.concatenate([m1, m2, v]),
            np.concatenate([w[:, 0], w[:, 1], w[:, 2]]), x, y)


def test_contraction_keeps_every_distance(grid):
    """Junctions only, the same distances between them, the same street length."""
    g, _ = grid
    u, v, L, x, y = _bent(g)
    full = network.compile_graph(u, v, L, x, y)
    c = network.compile_graph(u, v, L, x, y, contract=True)
    assert c.n_nodes <= g.n_nodes < 0.4 * full.n_nodes
    assert c.n_street_nodes == full.n_nodes and c.n_street_segments == full.n_edges
    assert c.edge_cost.sum() == pytest.approx(full.edge_cost.sum(), rel=1e-12)
    G = nx.Graph()
    G.add_weighted_edges_from(zip(u.tolist(), v.tolist(), L.tolist()))
    junction = c.osmid                              # original node numbers
    rng = np.random.default_rng(2)
    src = rng.choice(len(junction), 8, replace=False)
    dst = rng.choice(len(junction), 80, replace=False)
    d = network.node_table(c, src, dst, np.inf)
    for i, s in enumerate(src):
        ref = nx.single_source_dijkstra_path_length(G, int(junction[s]))
        want = np.array([ref.get(int(junction[t]), np.inf) for t in dst])
        np.testing.assert_allclose(d[i], want, atol=1e-6)
    # points snapped to the bent streets: the same costs on the full and contracted graphs
    rng = np.random.default_rng(3)
    pts = np.column_stack([rng.uniform(0, 1950, 40), rng.uniform(0, 1450, 40)])
    r1 = network.GraphRouter(full).table(pts[:10], pts[10:], 1e9)
    r2 = network.GraphRouter(c).table(pts[:10], pts[10:], 1e9)
    for a, b in zip(r1, r2):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_spatial_order_is_z_order_and_keeps_every_distance(grid):
    """Junctions numbered along the Z-order curve: a 4 x 4 lattice comes out quadrant by
    quadrant; a graph so numbered has the same streets and distances, node for node."""
    xs, ys = np.meshgrid(np.arange(4.0), np.arange(4.0))
    order = network.spatial_order(xs.ravel() * 10, ys.ravel() * 10)
    cells = [(int(xs.ravel()[i]), int(ys.ravel()[i])) for i in order]
    assert cells[:4] == [(0, 0), (1, 0), (0, 1), (1, 1)]
    assert cells[4:8] == [(2, 0), (3, 0), (2, 1), (3, 1)]
    assert cells[-1] == (3, 3)
    g, _ = grid
    u, v, L = g.edge_segments()
    z = network.compile_graph(u, v, L, g.x, g.y, spatial=True)
    assert not np.array_equal(z.osmid, g.osmid)                  # renumbered
    assert sorted(z.osmid.tolist()) == sorted(g.osmid.tolist())  # the same junctions
    # the numbering depends on where junctions are, not on the order they came in
    perm = np.random.default_rng(5).permutation(g.n_nodes)
    back = np.argsort(perm)
    shuffled = network.compile_graph(back[u], back[v], L, g.x[perm], g.y[perm],
                                     g.osmid[perm], spatial=True)
    np.testing.assert_array_equal(shuffled.osmid, z.osmid)
    np.testing.assert_array_equal(shuffled.indptr, z.indptr)
    np.testing.assert_array_equal(shuffled.indices, z.indices)
    pos = {int(o): i for i, o in enumerate(z.osmid)}             # old node -> new node
    src = np.arange(0, g.n_nodes, 97)
    dst = np.arange(0, g.n_nodes, 13)
    want = network.node_table(g, src, dst, np.inf)
    got = network.node_table(z, [pos[int(g.osmid[s])] for s in src],
                             [pos[int(g.osmid[t])] for t in dst], np.inf)
    np.testing.assert_array_equal(got, want)


def test_contraction_rings_and_one_way_changes():
    """A ring of degree-2 nodes keeps one node; a node where a one-way street meets a
    two-way one stays a junction; parallel chains stay separate edges."""
    from assetmap.analysis.contract import contract
    # a square ring 0-1-2-3-0; a path 4-5-6 whose 5-6 half is one-way; between junctions
    # 7 and 8 (each with a spur, 7-12 and 8-11) two chains 7-9-8 and 7-10-8
    a = np.array([0, 1, 2, 3, 4, 5, 7, 9, 7, 10, 8, 7])
    b = np.array([1, 2, 3, 0, 5, 6, 9, 8, 10, 8, 11, 12])
    cost = np.array([1, 1, 1, 1, 2, 3, 1, 1, 5, 5, 1, 1], float)
    fwd = np.ones(12, bool)
    bwd = np.array([1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1], bool)
    ch = contract(13, a, b, cost, fwd, bwd)
    junctions = set(np.flatnonzero(ch.junction).tolist())
    assert junctions == {0, 4, 5, 6, 7, 8, 11, 12}
    edges = {(int(u), int(v), float(ch.cum[ch.ptr[k + 1] - 1]), bool(ch.fwd[k]), bool(ch.bwd[k]))
             for k, (u, v) in enumerate(zip(ch.u, ch.v))}
    assert (0, 0, 4.0, True, True) in edges                       # the ring: a self-loop
    assert (5, 6, 3.0, True, False) in edges or (6, 5, 3.0, False, True) in edges
    assert {e[2] for e in edges if {e[0], e[1]} == {7, 8}} == {2.0, 10.0}
    assert int(ch.ptr[-1]) - len(ch.u) == len(a)                  # every segment kept


def test_router_snaps_part_way_along_the_nearest_edge(grid):
    """Points meet the street at the foot of the perpendicular on the nearest segment and
    enter the graph at both ends with their offsets: equal to networkx on the graph with
    each point inserted into its nearest segment (found by brute force)."""
    g, _ = grid
    ref = netref.Reference.from_graph(g, settings.MIN_COMPONENT_NODES)
    rng = np.random.default_rng(7)
    pts = ref.untied(np.column_stack([rng.uniform(-60, 2010, 90), rng.uniform(-60, 1510, 90)]))
    o, d = pts[:30], pts[30:]
    d = np.vstack([d, ref.untied(o[:5] + [0.5, 0.0])])   # a few on an origin's own edge
    router = network.GraphRouter(g, max_snap_m=100.0)
    want = ref.costs(o, d, max_snap=100.0)
    r, c, m = router.table(o, d, 1e9)
    got = np.full(want.shape, np.inf)
    got[r, c] = m
    np.testing.assert_allclose(got, want, atol=1e-6)
    near = router.nearest(o, [d[:5], d[5:]], 1e9)
    np.testing.assert_allclose(near[0], want[:, :5].min(axis=1), atol=1e-6)
    np.testing.assert_allclose(near[1], want[:, 5:].min(axis=1), atol=1e-6)
    # within a limit: the same pairs, nothing beyond it
    r2, c2, m2 = router.table(o, d, 600.0)
    assert set(zip(r2.tolist(), c2.tolist())) == set(zip(*np.nonzero(want <= 600.0)))
    # off the network: unreachable
    far = router.nearest(np.array([[5000.0, 5000.0]]), [d], 1e9)
    assert np.isinf(far).all()


def test_snap_distance_and_offsets_by_hand():
    """One straight street 0 -> 100 m and a point 30 m off it at x = 40."""
    g = network.compile_graph([0], [1], [100.0], [0.0, 100.0], [0.0, 0.0])
    g.set_min_component(1)
    router = network.GraphRouter(g, max_snap_m=50.0)
    sn = router.snap(np.array([[40.0, 30.0], [40.0, 60.0]]))
    assert sn.edge.tolist() == [0, -1] and sn.off[0] == pytest.approx(40.0)
    assert sn.dist[0] == pytest.approx(30.0) and (sn.fx[0], sn.fy[0]) == (40.0, 0.0)
    r, c, m = router.table(np.array([[40.0, 30.0]]), np.array([[90.0, -10.0], [0.0, 5.0]]), 1e9)
    assert m.tolist() == pytest.approx([30 + 50 + 10, 30 + 40 + 5])


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
    assert g.n_street_nodes == 48 and g.n_street_segments == 7 * 6 + 8 * 5
    # the four corners are bends, not junctions
    assert g.n_nodes == 44 and g.n_edges == 7 * 6 + 8 * 5 - 4
    ends = g.edge_ptr[1:] - 1
    inner = np.setdiff1d(np.arange(len(g.vosm) - 1), ends)
    pairs = {frozenset(p) for p in zip(g.vosm[inner].tolist(), g.vosm[inner + 1].tolist())}
    assert frozenset((1, 10)) not in pairs              # the motorway's diagonal step
    assert frozenset((1, 2)) in pairs and len(pairs) == 7 * 6 + 8 * 5
    t = time.perf_counter()
    g2 = network.graph_from_osm(osm, tmp_path)
    assert time.perf_counter() - t < min(0.2, build)
    assert g2.sha256 == g.sha256 and np.array_equal(g2.data, g.data)
    # projected to British National Grid metres, about 100 m apart
    assert np.median(np.diff(g.vcum)[np.diff(g.vcum) > 0]) == pytest.approx(100.0, abs=0.01)
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
    bomb = (b'<?xml version="1.0"?>\n<!DOCTYPE osm [<!ENTITY a "aaaaaaaaaa">]>\n'
            b'<osm version="0.6"><node id="1" lat="1" lon="1"/></osm>')
    with pytest.raises(InputError, match="DTD"):
        network.graph_from_osm(bomb)


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


def test_isochrone_follows_the_bends():
    """An L-shaped street 0 -> (200, 0) -> (200, 200), contracted into one edge: 5 minutes'
    walk (375 m) from the start reaches 175 m up the second leg, along the bend."""
    g = network.compile_graph([0, 1], [1, 2], [200.0, 200.0], [0.0, 200.0, 200.0],
                              [0.0, 0.0, 200.0], contract=True)
    g.set_min_component(1)
    assert g.n_nodes == 2 and g.n_edges == 1
    poly = isochrones(g, 0.0, 0.0, [5], speed_kmh=4.5, buffer_m=5)[0]
    assert poly.contains(shapely.Point(200.0, 170.0))
    assert not poly.contains(shapely.Point(200.0, 185.0))
    assert not poly.contains(shapely.Point(100.0, 100.0))           # not the chord


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


def test_origins_use_every_street_node_after_contraction(grid):
    """Contracting the graph leaves where walks start unchanged: bends are street nodes."""
    u, v, L, x, y = _bent(grid[0])
    g = network.compile_graph(u, v, L, x, y)
    c = network.compile_graph(u, v, L, x, y, contract=True)
    polys = np.array([shapely.box(0, 0, 700, 700), shapely.box(700, 0, 1500, 900)], dtype=object)
    for x1, x2 in zip(origins.area_origins(polys, None, g, 6, seed=3),
                      origins.area_origins(polys, None, c, 6, seed=3)):
        np.testing.assert_array_equal(x1, x2)


def test_origin_street_nodes_are_each_areas_smallest_keys():
    """The batched search keeps, for every area, the same smallest-key points as testing
    every point against every area: dense areas, a sparse one and one with no point."""
    rng = np.random.default_rng(11)
    xy = np.vstack([rng.uniform(0, 3000, (20000, 2)), rng.uniform(5000, 5100, (3, 2))])
    polys = np.array([shapely.box(x, y, x + 600, y + 600) for x in (0, 1000, 2000)
                      for y in (0, 1000, 2000)] +
                     [shapely.box(5000, 5000, 5200, 5200), shapely.box(8000, 8000, 8100, 8100)],
                     dtype=object)
    key = rng.random(len(xy))
    quota = np.full(len(polys), 5)
    pi, ai = origins._smallest_keys_within(polys, xy, key, quota)
    for a, poly in enumerate(polys):
        inside = np.flatnonzero(shapely.contains_xy(poly, xy[:, 0], xy[:, 1]))
        want = set(inside[np.argsort(key[inside])][:5].tolist())
        got = pi[ai == a]
        assert want <= set(got.tolist())
        assert set(got[np.argsort(key[got])][:5].tolist()) == want
    assert (ai == 9).sum() == 3 and (ai == 10).sum() == 0
    assert len(pi) < len(xy) / 4            # far fewer tests than every point


@pytest.mark.parametrize("n, first", [(50_000, 1000), (7, 3), (20_000, 10**9)])
def test_key_batches_are_one_stable_sort(n, first):
    """The batches, one after another, are the keys' stable sort (ties, repeated keys and
    a first batch larger than all included)."""
    rng = np.random.default_rng(n)
    key = np.round(rng.random(n), 3)                  # many equal keys
    got = np.concatenate(list(origins._key_batches(key, first)))
    assert np.array_equal(got, np.argsort(key, kind="stable"))
    assert list(origins._key_batches(np.zeros(0), 5)) == []
