"""Tiles with buffers: every origin's answer from its own tile equals the whole graph's
(the borough's searches on the whole graph, and networkx as an independent reference)."""
import networkx as nx
import numpy as np
import pytest

from assetmap.analysis import coverage, network, routing, tiles
from assetmap.pipeline import access, national
from assetmap.pipeline.params import resolve_params

import synthetic

# small cut-offs so a 3 km grid makes many tiles and many answers need widening
P = {"access_max_minutes": 40.0, "access_thresholds_min": [2, 4], "catchment_minutes": 4.0,
     "walk_speed_kmh": 4.5}


@pytest.fixture(scope="module")
def case():
    u, v, L, x, y = synthetic.grid_edges(60, 60, 50.0, jitter=0.3, seed=3)
    g = network.compile_graph(u, v, L, x, y)
    rng = np.random.default_rng(3)
    o_nodes = rng.choice(g.n_nodes, 300, replace=False)
    a_nodes = rng.choice(g.n_nodes, 24, replace=False)
    o_xy = np.column_stack([g.x[o_nodes], g.y[o_nodes]])
    a_xy = np.column_stack([g.x[a_nodes], g.y[a_nodes]])
    a_cat = np.array(["library", "pharmacy", "gp"] * 8, dtype=object)
    p = resolve_params(P)
    routing.router(g, max_snap_m=p["max_snap_distance_m"], min_component=p["min_component_nodes"])
    _, _, groups = access.groups_of(a_cat, p)
    mask = np.zeros((len(groups), len(a_xy)), bool)
    for k, grp in enumerate(groups):
        mask[k, grp] = True
    keys = tiles.tile_keys([None] * len(o_xy), o_xy, cell_m=1000.0)
    G = nx.Graph()
    G.add_weighted_edges_from(zip(u.tolist(), v.tolist(), L.tolist()))
    return dict(g=g, o_xy=o_xy, a_xy=a_xy, o_nodes=o_nodes, a_nodes=a_nodes, groups=groups,
                mask=mask, keys=keys, p=p, G=G)


def whole(c):
    fb = coverage.FallbackRouter(routing.router(c["g"]), c["g"])
    return access.search(fb, c["o_xy"], c["a_xy"], c["groups"], c["p"])


def tiled(c, nearest="tiles", **p):
    return national.tiled_search(None, {**c["p"], **p}, c["o_xy"], c["keys"], c["a_xy"],
                                 c["mask"], c["g"], nearest=nearest)


def as_dict(t):
    r, cc, m = t
    return {(int(a), int(b)): float(x) for a, b, x in zip(r, cc, m)}


def test_tiles_split_the_origins_and_cut_the_graph(case):
    parts = tiles.split(case["keys"])
    assert len(parts) == 9
    assert sorted(np.concatenate([i for _, i in parts]).tolist()) == list(range(300))
    t = tiles.make_tile(case["g"], *parts[0], case["o_xy"], case["a_xy"], 400.0, 50.0)
    assert 0 < t.graph.n_nodes < case["g"].n_nodes
    assert (t.edge_m >= 400.0).all()
    assert t.graph.edge_ok.all()


@pytest.mark.parametrize("mode", ["tiles", "whole"])
def test_every_origin_from_its_own_tile_equals_the_whole_graph(case, mode):
    (metres, table, o_on, a_on), reports = tiled(case, national_buffer_m=400.0,
                                                 nearest=mode)
    w_metres, w_table, w_on, w_aon = whole(case)
    if mode == "tiles":
        assert {r.round for r in reports} == {0, 1, 2}   # widened twice: the fallback ran
    else:       # the nearest assets from the whole graph: the table's buffer proves it all
        assert {r.round for r in reports} == {0} and len(reports) == 9
        assert all(r.proven == r.origins for r in reports)
    assert np.array_equal(np.isinf(metres), np.isinf(w_metres))
    assert np.allclose(metres[np.isfinite(metres)], w_metres[np.isfinite(w_metres)])
    a, b = as_dict(table), as_dict(w_table)
    assert a.keys() == b.keys() and all(abs(a[k] - b[k]) < 1e-9 for k in a)
    assert (o_on == w_on).all() and (a_on == w_aon).all()
    # the 2- and 4-minute counts per origin are those of the whole graph's table
    for t in (2, 4):
        lim = t * network.metres_per_minute(4.5)
        assert np.array_equal(np.bincount(table[0][table[2] <= lim], minlength=300),
                              np.bincount(w_table[0][w_table[2] <= lim], minlength=300))


@pytest.mark.parametrize("mode", ["tiles", "whole"])
def test_the_tiles_agree_with_networkx(case, mode):
    (metres, table, _, _), _ = tiled(case, national_buffer_m=400.0, nearest=mode)
    cap = 40 * network.metres_per_minute(4.5)
    G, on, an = case["G"], case["o_nodes"], case["a_nodes"]
    for k, grp in enumerate(case["groups"]):
        d = nx.multi_source_dijkstra_path_length(G, set(an[grp].tolist()), cutoff=cap)
        ref = np.array([d.get(int(n), np.inf) for n in on])
        assert np.array_equal(np.isinf(ref), np.isinf(metres[k]))
        assert np.allclose(ref[np.isfinite(ref)], metres[k][np.isfinite(ref)])
    reach = 4 * network.metres_per_minute(4.5)
    got = as_dict(table)
    for i in range(0, 300, 7):
        d = nx.single_source_dijkstra_path_length(G, int(on[i]), cutoff=reach)
        ref = {j for j, n in enumerate(an) if int(n) in d}
        assert {j for (r, j) in got if r == i} == ref


def test_an_origin_whose_nearest_asset_is_across_the_border_is_exact(case):
    """An origin by a tile's edge whose only asset is in the next tile."""
    g, p = case["g"], case["p"]
    o_xy = np.array([[990.0, 1500.0]])                   # tile cell:0_1, 10 m from cell:1_1
    a_xy = np.array([[1400.0, 1500.0], [2600.0, 2600.0]])
    mask = np.array([[True, False], [True, True]])
    keys = tiles.tile_keys([None], o_xy, cell_m=1000.0)
    fb = coverage.FallbackRouter(routing.router(g), g)
    ref = fb.nearest(o_xy, [a_xy[m] for m in mask], access.limits(p)[0])
    for mode in ("tiles", "whole"):
        q = {**p, "national_buffer_m": 300.0}
        (metres, _, _, _), reports = national.tiled_search(None, q, o_xy, keys, a_xy, mask, g,
                                                           nearest=mode)
        assert np.allclose(metres, ref) and np.isfinite(ref).all()
        if mode == "tiles":
            assert reports[0].proven == 0 and reports[-1].proven == 1


def test_whole_nearest_in_threads_equals_one_thread(case):
    one = national.whole_nearest(case["p"], case["g"], case["o_xy"], case["a_xy"],
                                 case["mask"], threads=1)
    three = national.whole_nearest(case["p"], case["g"], case["o_xy"], case["a_xy"],
                                   case["mask"], threads=3)
    assert np.array_equal(one, three) and np.isfinite(one).any()


def test_an_unknown_nearest_mode_is_an_input_error(case):
    from assetmap.errors import InputError
    with pytest.raises(InputError, match="'whole' or 'tiles'"):
        tiled(case, nearest="everywhere")


def test_a_buffer_too_small_without_the_fallback_is_wrong(case):
    """Taking a narrow tile's answers without proving them gives wrong minutes (so the
    proof and the widening are what make the tiles exact)."""
    w_metres = whole(case)[0]
    cap_m, _ = access.limits(case["p"])
    wrong = 0
    for key, idx in tiles.split(case["keys"]):
        t = tiles.make_tile(case["g"], key, idx, case["o_xy"], case["a_xy"], 300.0, 50.0)
        t.groups = [np.flatnonzero(m) for m in case["mask"][:, t.assets]]
        (metres, _, _, _), ok, _ = national.solve_tile(t, case["p"])
        diff = ~np.isclose(np.minimum(metres, cap_m), np.minimum(w_metres[:, idx], cap_m))
        wrong += int(diff.any(axis=0).sum())
        assert not diff[ok].any()                        # never wrong where proven
    assert wrong > 0


def test_proven_per_group_and_the_cut_off():
    e = np.array([500.0, 500.0, 2000.0])
    m = np.array([[100.0, 600.0, np.inf], [50.0, 50.0, 10.0]])
    assert tiles.proven(m, e, cap_m=1500.0).tolist() == [[True, False, True],
                                                         [True, True, True]]
    assert tiles.proven(m, e, cap_m=3000.0)[0].tolist() == [True, False, False]
    assert tiles.table_proven(e, 800.0).tolist() == [False, False, True]
    assert tiles.widen(400.0, 3000.0) == 1200.0 and tiles.widen(1200.0, 3000.0) == 3000.0


def test_tile_keys_prefer_the_local_authority():
    k = tiles.tile_keys(["E08000009", "E05000001", None], np.array([[5e3, 5e3]] * 3), 20e3)
    assert k.tolist() == ["E08000009", "cell:0_0", "cell:0_0"]


def test_unions_and_twins_are_answered_without_a_search(case):
    """The "any social asset" group is the union of its categories: whole_nearest takes
    its members' least; a group of the same assets as an earlier one takes its answer
    (twice over for a union given twice); each equals a search of the group itself."""
    union = case["mask"][0] | case["mask"][1]
    mask = np.vstack([case["mask"], union, union])
    # rows: library, pharmacy, social (= library: the same assets), the union, again
    assert national._unions(mask) == {3: [0, 1, 2], 4: [0, 1, 2]}
    assert national._twins(mask) == {2: 0, 4: 3}
    got = national.whole_nearest(case["p"], case["g"], case["o_xy"], case["a_xy"], mask)
    fb = coverage.FallbackRouter(routing.router(case["g"]), case["g"])
    ref = fb.nearest(case["o_xy"], [case["a_xy"][m] for m in mask], access.limits(case["p"])[0])
    assert np.array_equal(got, ref)


def test_edge_cells_and_renumbering_by_brute_force(case):
    """Each edge is listed (in rising order) in every cell its vertices' bounding box
    covers, and nowhere else; a cut's renumbering finds ids present, and -1 for the rest."""
    g = case["g"]
    ix = tiles.edge_cells(g, 300.0)
    want: dict = {}
    for e in range(g.n_edges):
        xs = g.vx[g.edge_ptr[e]:g.edge_ptr[e + 1]]
        ys = g.vy[g.edge_ptr[e]:g.edge_ptr[e + 1]]
        for j in range(int((ys.min() - ix.y0) // 300.0), int((ys.max() - ix.y0) // 300.0) + 1):
            for i in range(int((xs.min() - ix.x0) // 300.0),
                           int((xs.max() - ix.x0) // 300.0) + 1):
                want.setdefault(j * ix.nx + i, []).append(e)
    got = {int(c): ix.edges[ix.ptr[k]:ix.ptr[k + 1]].tolist() for k, c in enumerate(ix.cells)}
    assert got == want
    ids = np.array([7, 3, 40, 12], dtype=np.int64)
    assert tiles._distinct(ids, 50).tolist() == [3, 7, 12, 40]
    probe = np.array([12, 5, 40, 3, 99, -4, 7], dtype=np.int64)
    assert tiles._local(np.array([3, 7, 12, 40]), probe).tolist() == [2, -1, 3, 0, -1, -1, 1]


def test_a_tile_takes_the_whole_graphs_snaps_renumbered_to_its_cut(case):
    """The snaps made once over the whole graph, renumbered into a tile's cut, are what
    the tile would find itself, point for point; so are the coverage flags."""
    p = case["p"]
    snaps = national.snap_all(p, case["g"], case["o_xy"], case["a_xy"])
    key, idx = tiles.split(case["keys"])[4]
    t = tiles.make_tile(case["g"], key, idx, case["o_xy"], case["a_xy"], 400.0,
                        p["max_snap_distance_m"], snaps)
    assert t.snaps.o_known.all() and t.snaps.a_known.all()
    router = routing.router(t.graph, max_snap_m=p["max_snap_distance_m"])
    own_o, own_a = router.snap(t.o_xy), router.snap(t.a_xy)
    for mine, given in ((own_o, t.snaps.o), (own_a, t.snaps.a)):
        assert np.array_equal(mine.edge, given.edge)
        assert np.array_equal(mine.off, given.off)
    fb = coverage.FallbackRouter(router, t.graph, max_snap_m=p["max_snap_distance_m"])
    assert np.array_equal(fb.covers(t.o_xy), t.snaps.o_on)
    assert np.array_equal(fb.covers(t.a_xy), t.snaps.a_on)
