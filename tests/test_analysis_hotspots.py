"""Gi* and local Moran's I equal esda's on the same weights; queen weights equal libpysal's;
a planted cluster is found and noise gives nothing after FDR; islands; reproducibility."""
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import shapely

from assetmap.analysis import hotspots as H

N = 25


@pytest.fixture(scope="module")
def lattice():
    polys = [shapely.box(c, r, c + 1, r + 1) for r in range(N) for c in range(N)]
    return np.array(polys, dtype=object), H.queen_weights(polys)


def _w(W):
    libpysal = pytest.importorskip("libpysal")
    return libpysal.weights.W.from_sparse(sp.csr_matrix(W))


def test_queen_equals_libpysal(lattice):
    libpysal = pytest.importorskip("libpysal")
    polys, W = lattice
    ref = libpysal.weights.Queen.from_iterable(list(polys)).sparse
    assert (ref != W).nnz == 0
    assert W[0].nnz == 3 and W[N + 1].nnz == 8          # corner and interior cells


def test_queen_irregular_polygons():
    # touching at a single corner is a queen neighbour; a gap is not
    polys = [shapely.box(0, 0, 1, 1), shapely.box(1, 1, 2, 2), shapely.box(3, 0, 4, 1),
             shapely.Polygon([(1, 0), (2, 0), (1.5, 0.9)])]
    W = H.queen_weights(polys).toarray()
    assert W[0, 1] == 1 and W[0, 3] == 1 and W[2].sum() == 0


def test_gi_star_and_local_moran_equal_esda(lattice):
    esda = pytest.importorskip("esda")
    _, W = lattice
    rng = np.random.default_rng(5)
    y = rng.gamma(2.0, 2.0, N * N)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = esda.G_Local(y, _w(W), transform="R", star=True, permutations=0)
        m = esda.Moran_Local(y, _w(W), transformation="r", permutations=0)
    mine_g = H.gi_star(y, W)
    mine_m = H.local_moran(y, W)
    np.testing.assert_allclose(mine_g["G"], g.Gs, rtol=0, atol=1e-12)
    np.testing.assert_allclose(mine_g["z"], g.Zs, rtol=0, atol=1e-9)
    np.testing.assert_allclose(mine_m["I"], m.Is, rtol=0, atol=1e-9)
    np.testing.assert_allclose(mine_m["EIc"], m.EIc, rtol=0, atol=1e-9)
    np.testing.assert_allclose(mine_m["VIc"], m.VIc, rtol=0, atol=1e-9)
    quad = np.where(mine_m["z_value"] > 0, np.where(mine_m["lag"] > 0, 1, 4),
                    np.where(mine_m["lag"] > 0, 2, 3))
    assert (quad == m.q).all()


_ESDA_PERM = """
import sys, warnings
sys.modules["numba"] = None          # esda's pure-Python path (no 25 s JIT compile)
import numpy as np, scipy.sparse as sp
import esda, libpysal
warnings.simplefilter("ignore")
d = np.load(sys.argv[1])
W = sp.csr_matrix((d["data"], d["indices"], d["indptr"]), shape=(len(d["y"]),) * 2)
m = esda.Moran_Local(d["y"], libpysal.weights.W.from_sparse(W), transformation="r",
                     permutations=999, seed=3)
np.save(sys.argv[2], m.p_sim)
"""


def test_permutation_p_values_agree_with_esda(lattice, tmp_path):
    """esda's own conditional permutation (in a subprocess without numba, whose compile takes
    ~25 s) against ours: different random draws, the same null."""
    import os
    import subprocess
    import sys
    pytest.importorskip("esda")
    _, W = lattice
    rng = np.random.default_rng(6)
    y = rng.normal(size=N * N)
    y[:5] += 3
    np.savez(tmp_path / "in.npz", y=y, data=W.data, indices=W.indices, indptr=W.indptr)
    env = dict(os.environ)
    subprocess.run([sys.executable, "-c", _ESDA_PERM, str(tmp_path / "in.npz"),
                    str(tmp_path / "p.npy")], check=True, env=env, timeout=120)
    p_esda = np.load(tmp_path / "p.npy")
    hs = H.hotspots(y, W, 999, 3)
    assert np.corrcoef(hs["lisa_p"], p_esda)[0, 1] > 0.97
    assert np.abs(hs["lisa_p"] - p_esda).mean() < 0.03
    assert ((hs["lisa_p"] < 0.01) == (p_esda < 0.01)).mean() > 0.95


def test_planted_cluster_found(lattice):
    _, W = lattice
    rng = np.random.default_rng(11)
    y = rng.normal(size=(N, N))
    y[3:9, 14:20] += 3.0                                  # a 6 x 6 block of high values
    planted = np.zeros((N, N), dtype=bool)
    planted[3:9, 14:20] = True
    hs = H.hotspots(y.ravel(), W)
    hot = (hs["gi_class"] == "hot").to_numpy().reshape(N, N)
    hh = (hs["lisa_class"] == "HH").to_numpy().reshape(N, N)
    assert hot[planted].mean() > 0.6 and hh[planted].mean() > 0.4
    assert hot[~planted].sum() <= 10                       # only the block's rim spills over
    assert (hs.loc[planted.ravel(), "gi_z"] > 0).all()
    assert hs.loc[planted.ravel(), "gi_p"].median() < 0.01


def test_noise_has_no_significant_cluster_after_fdr(lattice):
    _, W = lattice
    for seed in (21, 22, 23):
        y = np.random.default_rng(seed).normal(size=N * N)
        hs = H.hotspots(y, W)
        assert (hs["gi_class"] == "not significant").all(), seed
        assert (hs["lisa_class"] == "not significant").all(), seed
        # without the correction some would pass p < 0.05
        assert (hs["gi_p"] < 0.05).sum() > 0


def test_islands_never_significant():
    polys = [shapely.box(c, r, c + 1, r + 1) for r in range(10) for c in range(10)]
    polys.append(shapely.box(50, 50, 51, 51))             # an island far away
    W = H.queen_weights(polys)
    y = np.r_[np.random.default_rng(1).normal(size=100), 100.0]
    hs = H.hotspots(y, W, 199)
    assert bool(hs["island"].iloc[-1]) and hs["n_neighbours"].iloc[-1] == 0
    assert hs["gi_class"].iloc[-1] == "not significant"
    assert hs["lisa_class"].iloc[-1] == "not significant"
    assert hs["gi_p"].iloc[-1] == 1.0
    assert np.isfinite(hs["gi_z"].iloc[:-1]).all()


def test_reproducible_with_seed(lattice):
    _, W = lattice
    y = np.random.default_rng(2).normal(size=N * N)
    a = H.hotspots(y, W, 199, seed=9)
    b = H.hotspots(y, W, 199, seed=9)
    c = H.hotspots(y, W, 199, seed=10)
    assert a.equals(b)
    assert not np.array_equal(a["gi_p"], c["gi_p"])


def test_fdr_bh_hand_worked():
    p = np.array([0.01, 0.04, 0.03, 0.005, np.nan])
    rej, q = H.fdr_bh(p, 0.05)
    # sorted 0.005, 0.01, 0.03, 0.04 -> q = 0.02, 0.02, 0.04, 0.04
    np.testing.assert_allclose(q[:4], [0.02, 0.04, 0.04, 0.02])
    assert rej.tolist() == [True, True, True, True, False]
    rej, _ = H.fdr_bh(np.array([0.02, 0.2, 0.3]), 0.05)
    assert rej.tolist() == [False, False, False]          # 0.02 > 0.05 / 3


def test_isolation_score():
    lon = np.array([0.1, 0.2, 0.3])
    acc = np.array([30.0, 20.0, 10.0])
    s = H.isolation_score(lon, acc, 0.5)
    assert s[1] == pytest.approx(0.0) and s[0] == pytest.approx(0.0)
    s = H.isolation_score(np.full(3, np.nan), acc, 0.5)
    assert s[0] > s[2]
