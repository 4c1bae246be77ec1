"""The synthetic England: deterministic, as dense as the real LSOAs say, rivers crossed only
at bridges, and a file the pipeline reads like any OSM file."""
import hashlib

import numpy as np
import pytest
from conftest import REALDATA, SYNTHETIC_LAS

from assetmap.analysis import osmgraph
from assetmap.demo import synthetic_england as se


@pytest.fixture(scope="module")
def lsoas():
    if not se.available(REALDATA):
        pytest.skip(f"the real LSOA files are not in {REALDATA}")
    return se.load_lsoas(REALDATA)


def digest(st) -> str:
    h = hashlib.sha256()
    for a in (st.ids, st.x, st.y, st.refs, st.ptr):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def test_all_of_england_is_there(lsoas):
    assert len(lsoas) == 32_844 and lsoas["code"].str.startswith("E01").all()
    assert lsoas["la_code"].nunique() == 317
    assert 54e6 < lsoas["pop"].sum() < 56e6


def test_same_seed_same_graph(lsoas):
    sub = lsoas[lsoas["la_code"].isin(SYNTHETIC_LAS)]
    a = se.make_streets(se.make_blocks(sub, 50_000, 1), 1)
    b = se.make_streets(se.make_blocks(sub, 50_000, 1), 1)
    c = se.make_streets(se.make_blocks(sub, 50_000, 2), 2)
    assert digest(a) == digest(b) != digest(c)


def test_the_whole_country_reaches_15_million_nodes(lsoas):
    b = se.make_blocks(lsoas, 15_500_000, 1)
    assert 15_000_000 <= b.nodes() <= 16_500_000


def test_density_follows_the_centroids(lsoas):
    """Blocks at the densest LSOAs (London) are finer than at the sparsest (rural)."""
    b = se.make_blocks(lsoas, 4_000_000, 1)
    dens = (lsoas["pop"] / lsoas["area_m2"]).to_numpy()[b.lsoa]
    fine, coarse = b.step[dens > np.quantile(dens, 0.9)], b.step[dens < np.quantile(dens, 0.1)]
    assert np.median(fine) < np.median(coarse)
    assert np.corrcoef(np.log(dens), np.log(b.step))[0, 1] < -0.8
    # rural gaps: fewer of the sparsest blocks than of those one step finer are kept
    assert (b.step == se.STEPS[-1]).sum() > 0


def test_rivers_cut_the_streets_but_for_bridges(lsoas):
    sub = lsoas[lsoas["la_code"].isin(["E08000035"])]          # Leeds: a river crosses it
    b = se.make_blocks(sub, 200_000, 1)
    gx, gy, d, step = se._lines(b)
    a = np.arange(se.BLOCK // 4 + 1) * 4
    sel = step == 4
    px = b.x0 + (gx[sel, None] + np.where(d[sel, None] == 0, a, 0)) * se.F
    py = b.y0 + (gy[sel, None] + np.where(d[sel, None] == 1, a, 0)) * se.F
    rivers = se._rivers(b, 1)
    without = se._kept(px, py, step[sel], [])
    with_r = se._kept(px, py, step[sel], rivers)
    crossing = 0
    for o, base, amp, lam, ph, _ in rivers:
        along, across = (px, py) if o == 0 else (py, px)
        side = across > base + amp * np.sin(2 * np.pi * along / lam + ph)
        crossing += int((side[:, 1:] != side[:, :-1]).sum())
    assert without.all() and crossing > 0
    cut = int((~with_r).sum())
    assert 0.75 * crossing <= cut < crossing          # most crossings cut, a few bridges


def test_the_pipeline_reads_it_as_an_osm_file(synthetic_england):
    eng, d = synthetic_england
    g = osmgraph.build((d / "england.osm.pbf").read_bytes())
    u, v, L, x, y = se.edges(eng.streets)
    assert g.n_street_nodes == len(np.unique(np.r_[u, v]))
    assert abs(g.edge_cost.sum() - L.sum()) < 1e-3 * L.sum()       # PBF keeps 1e-7 degree
    assert g.n_street_segments == len({(min(a, b), max(a, b)) for a, b in zip(u, v)})


def test_areas_and_assets_follow_the_real_lsoas(synthetic_england):
    eng, _ = synthetic_england
    areas = se.areas_frame(eng.lsoas)
    assert len(areas) == len(eng.lsoas) and areas["approximate_geometry"].all()
    assert set(areas["parent_code"]) == set(SYNTHETIC_LAS)
    assert areas.geometry.is_valid.all()
    pop = areas[["pop_0_17", "pop_18_64", "pop_65_74", "pop_75_84", "pop_85_plus"]].sum(axis=1)
    assert np.allclose(pop, eng.lsoas["pop"], rtol=0.01, atol=3)
    assets = se.assets_frame(eng.lsoas, 1)
    assert set(assets["category"]) == set(se.ASSET_COUNTS)
