"""Gi* and local Moran's I equal esda's on the same weights (synthetic lattice and Trafford's
real areas); queen weights equal libpysal's; analytical p-values pass the FDR correction at
any size (150 and 30,000 lattice areas), noise gives nothing; permutations that scale with the
map; the tiny-store guard; islands; reproducibility; the hotspot page."""
import re
import types
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely
from conftest import REALDATA as REAL

from assetmap import settings
from assetmap.analysis import hotspots as H
from assetmap.errors import InputError

N = 25
TRAFFORD_LSOA21 = REAL / "trafford-boundaries" / "lsoa_2021_trafford_lsoa_generalised.geojson"
TRAFFORD_CENSUS = REAL / "trafford-census2021-lsoa"


def lattice_weights(rows: int, cols: int, queen: bool = True) -> sp.csr_matrix:
    """Binary rook or queen contiguity of a rows x cols lattice, built directly (no polygons)."""
    idx = np.arange(rows * cols).reshape(rows, cols)
    steps = [(0, 1), (1, 0)] + ([(1, 1), (1, -1)] if queen else [])
    a, b = [], []
    for dr, dc in steps:
        src = idx[:rows - dr, max(0, -dc):cols - max(0, dc)]
        dst = idx[dr:, max(0, dc):cols + min(0, dc) or None]
        a.append(src.ravel())
        b.append(dst.ravel())
    i, j = np.concatenate(a), np.concatenate(b)
    W = sp.csr_matrix((np.ones(len(i)), (i, j)), shape=(rows * cols,) * 2)
    return sp.csr_matrix(W + W.T)


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


def _assert_equal_to_esda(y, W):
    """Gi* (G, z, two-sided p) and local Moran's I (I, both sets of moments, the conditional
    z-score) equal esda's analytical values to 1e-9; the frame carries the same numbers."""
    esda = pytest.importorskip("esda")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = esda.G_Local(y, _w(W), transform="B", star=True, permutations=0)
        m = esda.Moran_Local(y, _w(W), transformation="r", permutations=0)
    mine_g = H.gi_star(y, W)
    mine_m = H.local_moran(y, W)
    np.testing.assert_allclose(mine_g["G"], g.Gs, rtol=0, atol=1e-12)
    np.testing.assert_allclose(mine_g["z"], g.Zs, rtol=0, atol=1e-9)
    # esda's p_norm is one-sided (its docs: "multiply by 2" for two-sided)
    np.testing.assert_allclose(H.normal_p(mine_g["z"]), 2 * g.p_norm, rtol=0, atol=1e-9)
    np.testing.assert_allclose(mine_m["I"], m.Is, rtol=0, atol=1e-9)
    for ours, theirs in (("EIc", m.EIc), ("VIc", m.VIc), ("EI", m.EI), ("VI", m.VI)):
        np.testing.assert_allclose(mine_m[ours], theirs, rtol=0, atol=1e-9, err_msg=ours)
    n = len(y)
    z_cond = (m.Is * n / (n - 1) - m.EIc) / np.sqrt(m.VIc)     # Anselin's I_i, esda's moments
    np.testing.assert_allclose(mine_m["z"], z_cond, rtol=0, atol=1e-9)
    quad = np.where(mine_m["z_value"] > 0, np.where(mine_m["lag"] > 0, 1, 4),
                    np.where(mine_m["lag"] > 0, 2, 3))
    assert (quad == m.q).all()
    hs = H.hotspots(y, W)
    np.testing.assert_allclose(hs["gi_z"], g.Zs, rtol=0, atol=1e-9)
    np.testing.assert_allclose(hs["gi_p"], 2 * g.p_norm, rtol=0, atol=1e-9)
    np.testing.assert_allclose(hs["lisa_i"], m.Is, rtol=0, atol=1e-9)
    return hs


def test_gi_star_and_local_moran_equal_esda(lattice):
    _, W = lattice
    y = np.random.default_rng(5).gamma(2.0, 2.0, N * N)
    _assert_equal_to_esda(y, W)


def test_gi_z_is_a_unit_normal_on_noise():
    """The Gi* z-score has unit spread under the null (esda's row-standardised form, 'R',
    shrinks it about three-fold on a queen lattice, which is why the binary form is used)."""
    esda = pytest.importorskip("esda")
    W = lattice_weights(30, 30)
    y = np.random.default_rng(8).normal(size=900) + 10
    z = H.gi_star(y, W)["z"]
    assert 0.85 < z.std() < 1.15
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zr = esda.G_Local(y, _w(W), transform="R", star=True, permutations=0).Zs
    assert zr.std() < 0.5


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
    hs = H.hotspots(y, W, 999, 3, inference="permutation", max_permutations=999)
    assert hs.attrs["method"]["permutations"] == 999 and hs.attrs["method"]["capped"]
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
    a = H.hotspots(y, W, 199, seed=9, inference="permutation")
    b = H.hotspots(y, W, 199, seed=9, inference="permutation")
    c = H.hotspots(y, W, 199, seed=10, inference="permutation")
    assert a.equals(b)
    assert not np.array_equal(a["gi_p"], c["gi_p"])
    assert H.hotspots(y, W, seed=9).equals(H.hotspots(y, W, seed=10))   # analytical: no draws


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
    equal = {"loneliness": 0.5, "social": 0.5}
    s = H.isolation_score(lon, acc, weights=equal)
    assert s[1] == pytest.approx(0.0) and s[0] == pytest.approx(0.0)
    s = H.isolation_score(np.full(3, np.nan), acc, weights=equal)
    assert s[0] > s[2]


def test_isolation_score_weights_essential_services_by_hand():
    """Hand-worked: z-scores of each part (population sd), then the weighted mean over the
    parts an area has, weights rescaled to the parts present."""
    lon = np.array([0.1, 0.2, 0.3, np.nan])
    social = np.array([5.0, 5.0, 5.0, 5.0])          # every village has its pub: z = 0
    ess = np.array([10.0, 20.0, 30.0, 100.0])
    s = H.isolation_score(lon, social, ess, {"loneliness": 0.5, "social": 0.25,
                                             "essential": 0.25})
    z_lon = (lon[:3] - 0.2) / np.std(lon[:3])
    z_ess = (ess - ess.mean()) / np.std(ess)
    expected = np.r_[(0.5 * z_lon + 0.25 * 0 + 0.25 * z_ess[:3]) / 1.0,
                     (0.25 * 0 + 0.25 * z_ess[3]) / 0.5]
    np.testing.assert_allclose(s, expected, atol=1e-12)
    assert np.argmax(s) == 3                         # the far-off village, lonely or not
    # without essential services the score is loneliness and social access alone (2:1)
    s2 = H.isolation_score(lon, np.array([1.0, 2.0, 3.0, 4.0]))
    z_s = (np.arange(1.0, 5.0) - 2.5) / np.std(np.arange(1.0, 5.0))
    np.testing.assert_allclose(s2[:3], (0.5 * z_lon + 0.25 * z_s[:3]) / 0.75, atol=1e-12)
    assert s2[3] == pytest.approx(z_s[3])
    with pytest.raises(InputError):
        H.isolation_score(lon, social, ess, {"loneliness": -1.0})


# --- real data: Trafford's 139 LSOAs (2021) ------------------------------------------------------
@pytest.fixture(scope="module")
def trafford():
    """Queen weights of Trafford's 139 LSOAs and two Census 2021 shares per area: residents
    disabled under the Equality Act, and households without a car or van."""
    if not (TRAFFORD_LSOA21.is_file() and TRAFFORD_CENSUS.is_dir()):
        pytest.skip("../shared/realdata (Trafford) not present")
    gpd = pytest.importorskip("geopandas")
    b = gpd.read_file(TRAFFORD_LSOA21).to_crs(settings.ANALYSIS_CRS)
    W = H.queen_weights(b.geometry.values)

    def share(file, col, numerator):
        d = pd.read_csv(TRAFFORD_CENSUS / file)
        total = d.groupby("area_code")["value"].sum()
        num = d[d[col].str.startswith(numerator)].groupby("area_code")["value"].sum()
        return (100 * num / total).reindex(b["area_code"]).to_numpy(dtype=float)

    ys = {"disabled": share("2021_disability_lsoa_trafford.csv", "disability_category",
                            "Disabled"),
          "no_car": share("2021_car_van_availability_lsoa_trafford.csv",
                          "availability_category", "No cars")}
    return W, ys


@pytest.mark.realdata
def test_trafford_matches_esda_and_is_not_floored(trafford):
    W, ys = trafford
    assert W.shape == (139, 139)
    for name, y in ys.items():
        assert np.isfinite(y).all(), name
        hs = _assert_equal_to_esda(y, W)
        # 999 permutations could never go below 0.001 > 0.05 / 139; the analytical p-values do
        assert hs["gi_p"].min() < 0.05 / 139, name
        assert (hs["gi_class"] != "not significant").any(), name
        assert hs.attrs["method"]["inference"] == "analytical"


# --- planted clusters and noise at 150 and 30,000 areas ------------------------------------------
def _planted(rows, cols, block, effect, seed=7):
    y = np.random.default_rng(seed).normal(size=(rows, cols))
    planted = np.zeros((rows, cols), dtype=bool)
    planted[block] = True
    y[planted] += effect
    return y.ravel(), planted.ravel()


@pytest.mark.parametrize("rows, cols, block, effect", [
    (15, 10, np.s_[2:6, 3:7], 3.0),           # 150 areas, a 4 x 4 block
    (150, 200, np.s_[40:50, 60:70], 2.0),     # 30,000 areas, a 10 x 10 block
])
def test_planted_cluster_found_at_any_size(rows, cols, block, effect):
    W = lattice_weights(rows, cols)
    y, planted = _planted(rows, cols, block, effect)
    hs = H.hotspots(y, W)                     # the defaults: analytical, FDR 0.05
    hot = (hs["gi_class"] == "hot").to_numpy()
    hh = (hs["lisa_class"] == "HH").to_numpy()
    assert hot[planted].mean() >= 0.6 and hh[planted].mean() >= 0.5
    assert hot[~planted].sum() <= 10 and hh[~planted].sum() <= 10   # at most the block's rim
    assert hs.attrs["method"]["tested"] == rows * cols


@pytest.mark.parametrize("rows, cols", [(15, 10), (150, 200)])
def test_noise_false_positive_rate_at_most_nominal(rows, cols):
    """Pure noise over 20 seeds: the share of seeds with any significant area (under the
    complete null that is the false discovery rate) is at most alpha, for Gi* and for local
    Moran's I; the share of areas called significant is far below it."""
    W = lattice_weights(rows, cols)
    alpha = settings.FDR_ALPHA
    seeds_gi = seeds_lisa = 0
    called = 0
    for seed in range(20):
        y = np.random.default_rng(seed).normal(size=rows * cols)
        hs = H.hotspots(y, W)
        gi = (hs["gi_class"] != "not significant").sum()
        lisa = (hs["lisa_class"] != "not significant").sum()
        seeds_gi += gi > 0
        seeds_lisa += lisa > 0
        called += gi + lisa
    assert seeds_gi / 20 <= alpha and seeds_lisa / 20 <= alpha, (seeds_gi, seeds_lisa)
    assert called / (2 * 20 * rows * cols) <= alpha / 10


# --- permutations that scale with the map --------------------------------------------------------
def test_permutations_grow_with_the_number_of_areas():
    assert H.permutations_needed(139, 0.05, 999, 99_999) == (2780, 2780, False)
    assert H.permutations_needed(10, 0.05, 999, 99_999) == (999, 200, False)
    assert H.permutations_needed(32_844, 0.05, 999, 99_999) == (99_999, 656_880, True)
    assert 1 / (2780 + 1) <= 0.05 / 139                       # the smallest p can pass


def test_permutation_option_passes_the_correction():
    W = lattice_weights(15, 10)
    y, planted = _planted(15, 10, np.s_[2:6, 3:7], 3.0)
    hs = H.hotspots(y, W, inference="permutation")
    method = hs.attrs["method"]
    assert method["permutations"] == 3000 and not method["capped"]   # ceil(150 / 0.05)
    assert hs["gi_p"].min() <= 0.05 / 150
    assert (hs["gi_class"] == "hot").to_numpy()[planted].mean() >= 0.5
    assert "3,000 conditional permutations" in method["description"]
    capped = H.hotspots(y, W, inference="permutation", max_permutations=500)
    m = capped.attrs["method"]
    assert m["permutations"] == 500 and m["capped"] and m["permutations_needed"] == 3000
    assert "capped at 500" in m["description"]


def test_unknown_inference_is_an_input_error():
    with pytest.raises(InputError, match="hotspot_inference"):
        H.hotspot_analysis(np.arange(40.0), lattice_weights(8, 5), inference="bootstrap")


# --- guards for tiny stores ----------------------------------------------------------------------
def test_tiny_store_claims_nothing():
    polys = [shapely.box(c, 0, c + 1, 1) for c in range(5)]          # 5 areas in a row
    y = np.array([0.1, 0.2, 0.3, 5.0, 5.2])
    hs, method = H.hotspot_analysis(y, H.queen_weights(polys))
    assert (hs["gi_class"] == "not significant").all()
    assert (hs["lisa_class"] == "not significant").all()
    assert hs[["gi_p", "gi_q", "lisa_p", "lisa_q"]].isna().all().all()
    assert method["guard"].startswith("too few areas to test for hotspots")
    assert method["tested"] == 0 and "no area is claimed" in method["description"]
    # enough areas, but a chain: 1.95 neighbours each on average
    chain = [shapely.box(c, 0, c + 1, 1) for c in range(40)]
    hs, method = H.hotspot_analysis(np.r_[np.zeros(30), np.full(10, 9.0)],
                                    H.queen_weights(chain), inference="permutation")
    assert (hs["gi_class"] == "not significant").all() and method["permutations"] is None
    assert method["guard"].startswith("too few neighbours")
    # the thresholds are settings, overridable per call
    _, method = H.hotspot_analysis(y, H.queen_weights(polys), min_areas=3,
                                   min_mean_neighbours=1)
    assert method["guard"] is None


# --- the run summary and the hotspot page --------------------------------------------------------
@pytest.fixture(scope="module")
def demo_analysis(demo_copy):
    from assetmap import pipeline
    store = demo_copy(analysed=True)
    yield pipeline.load(store)
    store.dispose()


def test_run_summary_states_the_method(demo_analysis):
    from assetmap import pipeline
    m = demo_analysis.summary["hotspot_method"]
    assert m["inference"] == "analytical" and m["fdr_alpha"] == settings.FDR_ALPHA
    assert m["tested"] == len(demo_analysis.areas) and m["guard"] is None
    assert "analytical (normal) p-values" in m["description"]
    assert {"hotspot_inference", "hotspot_max_permutations", "hotspot_min_areas",
            "hotspot_min_mean_neighbours"} <= set(pipeline.PARAM_NAMES)
    assert demo_analysis.params["hotspot_inference"] == "analytical"
    notes = pipeline.notes_for({"hotspot_method": {**m, "guard": "too few areas to test for "
                                                   "hotspots (5; at least 30 are needed)"}})
    assert any(n.startswith("Isolation hotspots: Too few areas") for n in notes)


def test_hotspot_page_says_what_and_how(client):
    body = client.get("/hotspots").get_data(as_text=True)
    assert 'id="hotspot-findings"' in body
    assert re.search(r"Of 150 areas, Getis-Ord Gi\* finds \d+ areas in hot spots", body)
    assert "analytical (normal) p-values" in body
    assert "/areas/nan" not in body and ">nan<" not in body


def test_hotspot_table_drops_rows_without_an_area():
    from assetmap.views import planner
    areas = pd.DataFrame({"code": ["E1", "E2", "E3"], "name": ["One", None, "Three"],
                          "parent_name": ["W", "W", "W"]})
    hot = pd.DataFrame({"area_code": ["E1", "E2", np.nan, "nan", "E3"],
                        "gi_class": ["hot"] * 5, "lisa_class": ["HH"] * 5,
                        "gi_z": [3.0, 2.9, 2.8, 2.7, 2.6]})
    rows = planner.hotspot_table(types.SimpleNamespace(hotspots=hot, areas=areas))
    assert [r["area_code"] for r in rows] == ["E1", "E3"]


def test_hotspot_table_is_empty_when_nothing_is_significant():
    """Seen on Trafford's real data: no significant area gave one 'nan' row per area."""
    from assetmap.views import planner
    areas = pd.DataFrame({"code": ["E1", "E2"], "name": ["One", "Two"], "parent_name": "W"})
    hot = pd.DataFrame({"area_code": ["E1", "E2"], "gi_class": "not significant",
                        "lisa_class": "not significant", "gi_z": [0.1, -0.2]})
    assert planner.hotspot_table(types.SimpleNamespace(hotspots=hot, areas=areas)) == []
