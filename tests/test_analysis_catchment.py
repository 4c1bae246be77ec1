"""E2SFCA as sparse matrix algebra equals the PySAL ``access`` package on the same cost table,
and a hand-worked example."""
import warnings

import numpy as np
import pandas as pd
import pytest

from assetmap.analysis import catchment, gaps


def _problem(seed=0, n_dem=60, n_sup=15):
    rng = np.random.default_rng(seed)
    dem_xy = rng.random((n_dem, 2)) * 5000
    sup_xy = rng.random((n_sup, 2)) * 5000
    minutes = np.hypot(*(dem_xy[:, None, :] - sup_xy[None, :, :]).transpose(2, 0, 1)) / 75.0
    r, c = np.nonzero(minutes <= 40)
    demand = rng.integers(50, 500, n_dem).astype(float)
    supply = rng.integers(10, 100, n_sup).astype(float)
    return r, c, minutes[r, c], demand, supply


def _access_pkg(r, c, t, demand, supply, max_cost, weight_fn):
    access = pytest.importorskip("access")
    dem = pd.DataFrame({"geoid": np.arange(len(demand)), "pop": demand})
    sup = pd.DataFrame({"geoid": np.arange(len(supply)), "cap": supply})
    cost = pd.DataFrame({"origin": r, "dest": c, "cost": t})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        A = access.Access(demand_df=dem, demand_index="geoid", demand_value="pop",
                          supply_df=sup, supply_index="geoid", supply_value="cap",
                          cost_df=cost, cost_origin="origin", cost_dest="dest", cost_name="cost")
        out = A.enhanced_two_stage_fca(name="e2", cost="cost", max_cost=max_cost,
                                       weight_fn=weight_fn, normalize=False)
    return out.reindex(np.arange(len(demand)))["e2_cap"].fillna(0.0).to_numpy()


@pytest.mark.parametrize("decay", ["gaussian", "stepped"])
def test_e2sfca_equals_access_package(decay):
    access = pytest.importorskip("access")
    r, c, t, demand, supply = _problem()
    if decay == "gaussian":
        fn = access.weights.gaussian(10.0)
    else:
        fn = access.weights.step_fn({10: 1.0, 15: 0.68, 20: 0.22})
    ref = _access_pkg(r, c, t, demand, supply, 20.0, fn)
    W = catchment.weight_matrix(r, c, t, (len(demand), len(supply)), 20.0, decay, 10.0,
                                ((10, 1.0), (15, 0.68), (20, 0.22)))
    mine, _ = catchment.e2sfca(W, demand, supply)
    assert np.count_nonzero(mine) > 10
    np.testing.assert_allclose(mine, ref, rtol=0, atol=1e-9)


def test_e2sfca_hand_worked():
    # two people-places (100 and 300 people) and one provider of 40 hours, both 0 minutes away
    # with no decay: R = 40 / 400 = 0.1 hours per person; each place gets 0.1.
    W = catchment.weight_matrix([0, 1], [0, 0], [0.0, 0.0], (2, 1), 20.0, "none")
    acc, ratio = catchment.e2sfca(W, np.array([100.0, 300.0]), np.array([40.0]))
    assert ratio.tolist() == pytest.approx([0.1]) and acc.tolist() == pytest.approx([0.1, 0.1])
    # Gaussian decay, beta 10: place 1 at 10 minutes weighs exp(-0.5)
    W = catchment.weight_matrix([0, 1], [0, 0], [0.0, 10.0], (2, 1), 20.0, "gaussian", 10.0)
    acc, ratio = catchment.e2sfca(W, np.array([100.0, 300.0]), np.array([40.0]))
    w1 = np.exp(-0.5)
    R = 40.0 / (100 + 300 * w1)
    assert acc.tolist() == pytest.approx([R, R * w1])
    # beyond the catchment nothing counts; supply reaching no demand gives nothing
    W = catchment.weight_matrix([0], [0], [25.0], (1, 2), 20.0, "gaussian", 10.0)
    acc, ratio = catchment.e2sfca(W, np.array([100.0]), np.array([40.0, 10.0]))
    assert acc.tolist() == [0.0] and ratio.tolist() == [0.0, 0.0]


def test_e2sfca_many_supply_kinds_at_once():
    r, c, t, demand, supply = _problem(1)
    W = catchment.weight_matrix(r, c, t, (len(demand), len(supply)), 20.0)
    S = np.column_stack([supply, supply * 2, np.where(np.arange(len(supply)) % 2, supply, 0)])
    acc, _ = catchment.e2sfca(W, demand, S)
    for k in range(3):
        one, _ = catchment.e2sfca(W, demand, S[:, k])
        np.testing.assert_allclose(acc[:, k], one, atol=1e-12)
    np.testing.assert_allclose(acc[:, 1], 2 * acc[:, 0])


def test_stepped_weights_bands():
    w = catchment.decay_weights(np.array([0, 10, 10.01, 15, 19.9, 20, 21]), "stepped",
                                steps=((10, 1.0), (15, 0.68), (20, 0.22)))
    assert w.tolist() == [1.0, 1.0, 0.68, 0.68, 0.22, 0.22, 0.0]


def test_gap_classes_and_rank():
    need = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9], dtype=float)
    supply = np.array([9, 8, 7, 6, 5, 4, 3, 2, 1], dtype=float)
    out = gaps.classify(need, supply, 3)
    assert out["bivariate_class"].tolist()[-1] == "N3-S1"
    assert out["is_gap"].tolist() == [False] * 6 + [True] * 3
    assert out.loc[out["is_gap"], "gap_rank"].tolist() == [3, 2, 1]
    # widest gap ranked first; empty, not 0, where there is no gap
    assert out.loc[~out["is_gap"], "gap_rank"].isna().all()
    ties = gaps.classes([0, 0, 0, 0, 5, 6])
    assert len(set(ties[:4])) == 1


def test_missing_within_reach():
    m = pd.DataFrame({"library": [5.0, 30.0], "pharmacy": [20.0, 3.0]}, index=["a", "b"])
    assert gaps.missing_within_reach(m, 15).tolist() == ["pharmacy", "library"]
