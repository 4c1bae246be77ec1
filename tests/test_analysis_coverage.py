"""Coverage honesty: which points the street network covers (checked against brute-force
distances to the nodes), and the fallback router (network over networkx where both ends are
on the network, straight line x detour otherwise), on a street grid that covers only part
of the map."""
import networkx as nx
import numpy as np
import pytest

from assetmap.analysis import coverage, network, routing

import edgeref
import synthetic

DETOUR = 1.3
SNAP = 150.0


@pytest.fixture(scope="module")
def grid():
    """A 10 x 8 street grid, 100 m apart, at (0..900, 0..700), with a 3-node stray fragment
    far off (too small to snap to), and its networkx twin."""
    u, v, length, x, y = synthetic.grid_edges(10, 8, 100.0, jitter=0.3, seed=3)
    n = len(x)
    x = np.r_[x, 5000.0, 5050.0, 5100.0]
    y = np.r_[y, 5000.0, 5000.0, 5000.0]
    u = np.r_[u, n, n + 1]
    v = np.r_[v, n + 1, n + 2]
    length = np.r_[length, 50.0, 50.0]
    g = network.compile_graph(u, v, length, x, y)
    G = nx.Graph()
    for a, b, w in zip(u, v, length):
        G.add_edge(int(a), int(b), length=float(w))
    r = routing.router(g, max_snap_m=SNAP, min_component=25, detour=DETOUR)
    return g, G, r


def _points(rng, k):
    """Points on the grid's patch and well off it (east, and by the stray fragment)."""
    on = rng.random((k, 2)) * [900.0, 700.0]
    off = np.column_stack([rng.uniform(1500, 3000, k), rng.uniform(0, 700, k)])
    stray = np.array([[5020.0, 5010.0]])
    return np.vstack([on, off, stray])


def _brute_snap(g, xy):
    big = np.arange(80)                         # the grid's nodes; the fragment is too small
    d = np.hypot(xy[:, None, 0] - g.x[big][None, :], xy[:, None, 1] - g.y[big][None, :])
    k = d.argmin(axis=1)
    return np.where(d.min(axis=1) <= SNAP, big[k], -1), d.min(axis=1)


def _reference(g, G, o, d, limit):
    """Metres for every origin x destination by the rule: the network (edge snapping, scipy
    over the whole graph: :func:`edgeref.edge_metres`) when both ends are on the network,
    else the straight line x DETOUR; inf beyond ``limit``."""
    on, _ = _brute_snap(g, o)
    dn, _ = _brute_snap(g, d)
    net = edgeref.edge_metres(g, o, d, SNAP)
    crow = np.hypot(o[:, None, 0] - d[None, :, 0], o[:, None, 1] - d[None, :, 1]) * DETOUR
    both = (on >= 0)[:, None] & (dn >= 0)[None, :]
    out = np.where(both, net, crow)
    return np.where(out <= limit, out, np.inf)


def test_on_network_matches_brute_force(grid):
    g, _, _ = grid
    xy = _points(np.random.default_rng(0), 30)
    got = coverage.on_network(g, xy, SNAP)
    expected = _brute_snap(g, xy)[0] >= 0
    np.testing.assert_array_equal(got, expected)
    assert got[:30].all() and not got[30:].any()         # the stray fragment does not count
    assert not coverage.on_network(None, xy, SNAP).any()
    assert coverage.on_network(g, np.zeros((0, 2)), SNAP).shape == (0,)


def test_nearest_and_table_follow_the_pair_rule(grid):
    g, G, r = grid
    rng = np.random.default_rng(1)
    o = _points(rng, 12)
    dest = _points(rng, 6)
    groups = [dest[:4], dest[4:9], dest[9:], np.zeros((0, 2))]
    fb = coverage.FallbackRouter(r, g, max_snap_m=SNAP, detour=DETOUR)
    limit = 2500.0
    ref = _reference(g, G, o, dest, limit)
    got = fb.nearest(o, groups, limit)
    bounds = np.cumsum([0] + [len(x) for x in groups])
    for k in range(len(groups)):
        exp = ref[:, bounds[k]:bounds[k + 1]].min(axis=1) if bounds[k + 1] > bounds[k] else \
            np.full(len(o), np.inf)
        np.testing.assert_allclose(got[k], exp, rtol=1e-9, atol=1e-6)
    rr, cc, mm = fb.table(o, dest, limit)
    dense = np.full(ref.shape, np.inf)
    dense[rr, cc] = mm
    np.testing.assert_allclose(dense, ref, rtol=1e-9, atol=1e-6)
    assert len(set(zip(rr.tolist(), cc.tolist()))) == len(rr)       # each pair once
    # an origin off the network still reaches a destination a straight line away
    assert np.isfinite(got[:, 12:24]).any()


def test_fully_covered_answers_exactly_as_the_router(grid):
    g, _, r = grid
    rng = np.random.default_rng(2)
    o = rng.random((15, 2)) * [900.0, 700.0]
    d = rng.random((7, 2)) * [900.0, 700.0]
    fb = coverage.FallbackRouter(r, g, max_snap_m=SNAP, detour=DETOUR)
    np.testing.assert_array_equal(fb.nearest(o, [d[:3], d[3:]], 800.0),
                                  r.nearest(o, [d[:3], d[3:]], 800.0))
    for a, b in zip(fb.table(o, d, 800.0), r.table(o, d, 800.0)):
        np.testing.assert_array_equal(a, b)


def test_without_a_network_everything_is_a_straight_line():
    crow = routing.router(None, detour=DETOUR)
    fb = coverage.FallbackRouter(crow, None, detour=DETOUR)
    assert fb.kind == "crow-fly"
    o = np.array([[0.0, 0.0], [300.0, 400.0]])
    d = np.array([[0.0, 100.0], [600.0, 800.0]])
    # hand-worked: (0,0)->(0,100) is 100 m; (300,400)->(0,100) is 300 * sqrt(2) m
    np.testing.assert_allclose(fb.nearest(o, [d], 1e9)[0],
                               [100.0 * DETOUR, 300.0 * np.sqrt(2) * DETOUR])
    r, c, m = fb.table(o, d, 200.0)
    assert list(zip(r, c)) == [(0, 0)] and m[0] == pytest.approx(130.0)


def test_area_off_network_is_by_share_of_people():
    o_area = np.array([0, 0, 1, 1, 1, 2, 3])
    o_w = np.array([0.5, 0.5, 1 / 3, 1 / 3, 1 / 3, 1.0, 1.0])
    on = np.array([True, False, False, False, True, True, False])
    got = coverage.area_off_network(o_area, o_w, on, 5)
    # area 0: half on (covered); 1: a third on (off); 2 on; 3 off; 4 has no origins (off)
    assert got.tolist() == [False, True, False, True, True]
