"""The compiled searches of :mod:`assetmap.analysis.search`, read directly: the bucket
queue of :func:`search.nearest` gives networkx's multi-source Dijkstra costs bit for bit
(seeds entering with their own costs, a cut-off, unreachable nodes), whatever the buckets'
width against the edges, and its early stop changes no answer."""
import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from assetmap.analysis import search


def _graph(n=900, seed=5, tiny=False):
    """A random directed street-like graph (a jittered 30 x 30 grid, some one-way, some
    missing): CSR arrays and the same as a networkx DiGraph. ``tiny``: a share of the
    edges nearly or exactly zero long (many nodes fall in one bucket)."""
    rng = np.random.default_rng(seed)
    side = int(np.sqrt(n))
    idx = np.arange(side * side).reshape(side, side)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    keep = rng.random(len(u)) > 0.1
    u, v = u[keep], v[keep]
    w = rng.uniform(5.0, 120.0, len(u))
    if tiny:
        w[rng.random(len(u)) < 0.3] = rng.choice([0.0, 1e-7, 0.01], size=1)[0]
    both = rng.random(len(u)) > 0.2                 # the rest one way only
    src = np.concatenate([u, v[both]])
    dst = np.concatenate([v, u[both]])
    wt = np.concatenate([w, w[both]])
    m = sp.csr_matrix((wt, (src, dst)), shape=(side * side, side * side))
    m.sum_duplicates()
    G = nx.DiGraph()
    G.add_nodes_from(range(side * side))
    ip, ix, dt = m.indptr.astype(np.int64), m.indices.astype(np.int32), m.data.astype(float)
    for a in range(len(ip) - 1):            # every stored edge, those of no length too
        for e in range(ip[a], ip[a + 1]):
            G.add_edge(a, int(ix[e]), w=float(dt[e]))
    return (ip, ix, dt), G


def _networkx(G, nodes, costs, limit):
    """Least cost from any (node, cost) seed to every node, through a super source."""
    H = G.copy()
    for s, c in zip(nodes, costs):
        if H.has_edge("S", int(s)):
            H["S"][int(s)]["w"] = min(H["S"][int(s)]["w"], float(c))
        else:
            H.add_edge("S", int(s), w=float(c))
    d = nx.single_source_dijkstra_path_length(H, "S", weight="w")
    out = np.full(G.number_of_nodes(), np.inf)
    for k, c in d.items():
        if k != "S" and c <= limit:
            out[k] = c
    return out


def _groups(rng, n, sizes, spread):
    nodes = [rng.choice(n, k, replace=False) for k in sizes]
    costs = [rng.uniform(0.0, spread, k) for k in sizes]
    ptr = np.r_[0, np.cumsum(sizes)].astype(np.int64)
    return nodes, costs, ptr


@pytest.mark.parametrize("tiny", [False, True])
@pytest.mark.parametrize("limit", [np.inf, 400.0])
def test_nearest_equals_networkx_bit_for_bit(tiny, limit):
    (ip, ix, dt), G = _graph(tiny=tiny)
    n = len(ip) - 1
    rng = np.random.default_rng(11)
    nodes, costs, ptr = _groups(rng, n, [1, 7, 40], spread=300.0)
    q_node = rng.choice(n, 200).astype(np.int64)
    q_cost = rng.uniform(0.0, 30.0, len(q_node))
    got = search.nearest(ip, ix, dt, ptr, np.concatenate(nodes).astype(np.int32),
                         np.concatenate(costs), q_node, q_cost, float(limit))
    for g in range(len(nodes)):
        ref = _networkx(G, nodes[g], costs[g], limit)[q_node] + q_cost
        ref[ref > limit] = np.inf
        np.testing.assert_array_equal(got[g], ref)
    assert np.isfinite(got).any() and (np.isinf(got).any() or limit == np.inf)


def test_seed_costs_far_apart_on_zero_length_edges():
    """Edges of no length (the buckets would be 1e-9 wide) and seeds 1e5 apart in cost:
    the ring of buckets stays bounded and the answers exact."""
    (ip, ix, dt), G = _graph(n=400, seed=2)
    dt = np.zeros_like(dt)
    for a, b in G.edges:
        G[a][b]["w"] = 0.0
    nodes = [np.array([3, 250]), ]
    costs = [np.array([0.5, 1e5])]
    q = np.arange(len(ip) - 1, dtype=np.int64)
    got = search.nearest(ip, ix, dt, np.array([0, 2], np.int64), nodes[0].astype(np.int32),
                         costs[0], q, np.zeros(len(q)), np.inf)
    np.testing.assert_array_equal(got[0], _networkx(G, nodes[0], costs[0], np.inf))


def test_early_stop_changes_no_answer():
    """Queries next to the seeds stop the search early; their costs are those of a search
    asked for every node."""
    (ip, ix, dt), G = _graph(seed=8)
    n = len(ip) - 1
    seeds = np.array([10, 11], np.int32)
    costs = np.array([0.0, 3.0])
    ptr = np.array([0, 2], np.int64)
    near = np.array([10, 11, 12, 40], np.int64)
    every = np.arange(n, dtype=np.int64)
    a = search.nearest(ip, ix, dt, ptr, seeds, costs, near, np.zeros(4), np.inf)
    b = search.nearest(ip, ix, dt, ptr, seeds, costs, every, np.zeros(n), np.inf)
    np.testing.assert_array_equal(a[0], b[0][near])
    np.testing.assert_array_equal(b[0], _networkx(G, seeds, costs, np.inf))


def test_seeds_beyond_the_limit_and_unreachable_nodes():
    (ip, ix, dt), G = _graph(seed=9)
    n = len(ip) - 1
    got = search.nearest(ip, ix, dt, np.array([0, 1, 2], np.int64), np.array([5, 6], np.int32),
                         np.array([500.0, 1.0]), np.array([5, 6], np.int64), np.zeros(2), 100.0)
    assert np.isinf(got[0]).all()               # its only seed starts past the limit
    assert got[1][1] == 1.0
    lone = _graph(seed=9)[0]
    ip2 = np.r_[lone[0], lone[0][-1]]           # one more node, no edges
    got = search.nearest(ip2, lone[1], lone[2], np.array([0, 1], np.int64),
                         np.array([0], np.int32), np.array([0.0]),
                         np.array([n], np.int64), np.zeros(1), np.inf)
    assert np.isinf(got[0, 0])


def test_table_and_reach_equal_networkx():
    """Each source's own search (two seeds, as a point part-way along an edge), targets
    reached at nodes with extra costs; and one search's reach."""
    (ip, ix, dt), G = _graph(seed=12, tiny=True)
    n = len(ip) - 1
    rng = np.random.default_rng(3)
    src_nodes = rng.choice(n, (30, 2))
    src_costs = rng.uniform(0.0, 40.0, (30, 2))
    t_node = rng.choice(n, 80)
    t_id = rng.integers(0, 50, 80)             # some targets reached at two nodes
    t_cost = rng.uniform(0.0, 20.0, 80)
    order = np.argsort(t_node, kind="stable")
    tgt_ptr = np.r_[0, np.cumsum(np.bincount(t_node, minlength=n))].astype(np.int64)
    limit = 350.0
    r, c, v = search.table(ip, ix, dt, np.arange(0, 61, 2, dtype=np.int64),
                           src_nodes.ravel().astype(np.int32), src_costs.ravel(), tgt_ptr,
                           t_id[order].astype(np.int64), t_cost[order], 50, limit)
    got = {(int(a), int(b)): float(x) for a, b, x in zip(r, c, v)}
    assert len(got) == len(r)                   # one entry a (source, target)
    want = {}
    for s in range(30):
        d = _networkx(G, src_nodes[s], src_costs[s], np.inf)
        for node, j, extra in zip(t_node, t_id, t_cost):
            x = d[node] + extra
            if x <= limit and x < want.get((s, int(j)), np.inf):
                want[(s, int(j))] = x
    assert got == want and len(want) > 30
    nodes, costs = search.reach(ip, ix, dt, src_nodes[0].astype(np.int32), src_costs[0], limit)
    ref = _networkx(G, src_nodes[0], src_costs[0], limit)
    assert sorted(nodes.tolist()) == np.flatnonzero(np.isfinite(ref)).tolist()
    np.testing.assert_array_equal(costs, ref[nodes])
