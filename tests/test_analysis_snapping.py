"""Snapping onto street segments through the grid of segment cells: the nearest segment of
every point, as shapely finds it by testing every segment; ties to the lowest segment; and
the same answers on a graph cut to a tile (the tiles' proof needs it)."""
import numpy as np
import shapely

from assetmap.analysis import network, snapping, tiles

import synthetic


def _graph(n=30, step=50.0, seed=5):
    u, v, L, x, y = synthetic.grid_edges(n, n, step, jitter=0.3, seed=seed)
    return network.compile_graph(u, v, L, x, y)


def _segments(g):
    grid = snapping.segment_grid(g)
    s = grid.start
    return grid, shapely.linestrings(np.stack([np.column_stack([g.vx[s], g.vy[s]]),
                                               np.column_stack([g.vx[s + 1], g.vy[s + 1]])],
                                              axis=1))


def test_every_point_snaps_to_its_nearest_segment():
    g = _graph()
    grid, lines = _segments(g)
    rng = np.random.default_rng(1)
    # near the streets, between them, and out beyond the grid's edge
    xy = np.vstack([rng.uniform(-300, 1800, (400, 2)),
                    np.column_stack([g.x[:200], g.y[:200]]) + rng.normal(0, 8, (200, 2))])
    sn = snapping.snap(g, xy[:, 0], xy[:, 1], 250.0)
    d = shapely.distance(shapely.points(xy)[:, None], lines[None, :])
    best = d.min(axis=1)
    within = best <= 250.0
    assert (sn.ok == within).all() and within.sum() > 450 and (~within).sum() > 20
    assert np.allclose(sn.dist[within], best[within], atol=1e-9)
    # the edge chosen holds a segment at that distance
    near = np.isclose(d, best[:, None], atol=1e-9)
    for i in np.flatnonzero(within):
        assert sn.edge[i] in set(grid.edge[near[i]].tolist())


def test_a_tie_goes_to_the_lowest_segment():
    # a point exactly half-way between two parallel streets
    u, v = np.array([0, 2]), np.array([1, 3])
    x, y = np.array([0.0, 100.0, 0.0, 100.0]), np.array([0.0, 0.0, 40.0, 40.0])
    g = network.compile_graph(u, v, np.array([100.0, 100.0]), x, y)
    sn = snapping.snap(g, np.array([50.0]), np.array([20.0]), 100.0)
    assert sn.edge[0] == 0 and np.isclose(sn.dist[0], 20.0)


def test_a_cut_graph_snaps_as_the_whole():
    g = _graph(40)
    rng = np.random.default_rng(2)
    xy = rng.uniform(600, 1300, (300, 2))
    r, _ = tiles.region(xy, 100.0)
    edges = tiles.edges_meeting(g, r.buffer(60.0))
    cut = tiles.subgraph(g, edges)
    whole = snapping.snap(g, xy[:, 0], xy[:, 1], 50.0)
    part = snapping.snap(cut, xy[:, 0], xy[:, 1], 50.0)
    assert (whole.ok == part.ok).all() and whole.ok.sum() > 250
    assert np.array_equal(edges[part.edge[part.ok]], whole.edge[whole.ok])
    assert np.array_equal(part.off[part.ok], whole.off[whole.ok])


def test_known_points_are_looked_up_and_the_rest_snapped():
    """A router told some points' snaps answers them from the list (even a wrong answer
    planted there shows it was looked up) and snaps the others; a point known off the
    network stays off."""
    g = _graph(40)
    rng = np.random.default_rng(4)
    xy = rng.uniform(600, 1300, (200, 2))
    whole = snapping.snap(g, xy[:, 0], xy[:, 1], 50.0)
    known_xy = xy[:120][::-1]
    told = snapping.subset(whole, np.arange(120)[::-1])
    told.off = told.off.copy()
    told.off[0] = -7.0                         # planted: point 119 claims this offset
    got = snapping.snap_known(g, xy, (snapping.Known(known_xy), told), 50.0)
    assert got.off[119] == -7.0
    keep = np.arange(200) != 119
    for name in ("edge", "off", "dist", "cost", "fx", "fy"):
        assert np.array_equal(getattr(got, name)[keep], getattr(whole, name)[keep]), name
    # unknown coordinates (a hair away from a known point) are not found
    near = known_xy + np.array([1e-9, 0.0])
    assert (snapping.Known(known_xy).find(near) == -1).all()
    assert (snapping.Known(np.zeros((0, 2))).find(xy) == -1).all()
