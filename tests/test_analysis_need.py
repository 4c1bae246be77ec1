"""Need index, Fingertips-style confidence intervals and the loneliness model, against
hand-worked examples."""
import math

import numpy as np
import pandas as pd
import pytest

from assetmap import settings
from assetmap.analysis import loneliness, need


def test_wilson_30_of_100():
    lo, up = need.wilson_ci([30], [100])
    assert lo[0] * 100 == pytest.approx(21.89, abs=0.01)
    assert up[0] * 100 == pytest.approx(39.59, abs=0.01)


def test_wilson_edges():
    lo, up = need.wilson_ci([0, 5, 3], [20, 5, 0])
    assert lo[0] == 0 and up[0] == pytest.approx(0.1611, abs=1e-4)    # 0/20
    assert up[1] == 1.0 and lo[1] == pytest.approx(0.5655, abs=1e-4)  # 5/5
    assert np.isnan(lo[2]) and np.isnan(up[2])                          # no denominator


def test_byar_10_events():
    lo, up = need.byar_ci([10])
    # Byar: 10 (1 - 1/90 - 1.96/(3 sqrt 10))^3 and 11 (1 - 1/99 + 1.96/(3 sqrt 11))^3
    z = need.z_value(0.95)
    assert lo[0] == pytest.approx(10 * (1 - 1 / 90 - z / (3 * math.sqrt(10))) ** 3, rel=1e-12)
    assert lo[0] == pytest.approx(4.7874, abs=0.0005)   # exact Poisson: 4.795
    assert up[0] == pytest.approx(18.390, abs=0.005)


def test_byar_zero_events():
    lo, up = need.byar_ci([0])
    assert lo[0] == 0.0
    assert up[0] == pytest.approx(3.7, abs=0.05)   # exact Poisson upper for 0 is 3.69


def test_standardise_polarity():
    wide = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [10.0, 20.0, 30.0]}, index=list("xyz"))
    z = need.standardise(wide, {"a": "high_bad", "b": "high_good"})
    sd = np.std([1, 2, 3])
    assert z.loc["x", "a"] == pytest.approx(-1 / sd)
    assert z.loc["x", "b"] == pytest.approx(+1 / sd)   # low value of a high-good indicator = need


def test_need_index_hand_worked():
    # two indicators, weights 0.75 / 0.25 -> score = 0.75 z_a + 0.25 z_b
    wide = pd.DataFrame({"a": [1.0, 2.0, 3.0, 6.0], "b": [4.0, 4.0, 1.0, 3.0]},
                        index=["A1", "A2", "A3", "A4"])
    out, info = need.need_index(wide, {"a": 0.75, "b": 0.25, "c": 1.0},
                                {"a": "high_bad", "b": "high_good"})
    za = (wide["a"] - wide["a"].mean()) / wide["a"].std(ddof=0)
    zb = -(wide["b"] - wide["b"].mean()) / wide["b"].std(ddof=0)
    expected = 0.75 * za + 0.25 * zb
    np.testing.assert_allclose(out["need_score"].to_numpy(), expected.to_numpy(), atol=1e-12)
    assert info["missing"] == ["c"]
    assert info["used"] == {"a": 0.75, "b": 0.25}
    assert out["need_rank"].tolist() == list(expected.rank(ascending=False).astype(int))
    assert out.loc["A4", "need_rank"] == 1 and out.loc["A4", "need_decile"] == 10


def test_need_index_area_missing_values_renormalised():
    wide = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, np.nan, 3.0]}, index=["x", "y", "z"])
    out, _ = need.need_index(wide, {"a": 0.5, "b": 0.5}, {"a": "high_bad", "b": "high_bad"})
    za_y = 0.0
    assert out.loc["y", "need_score"] == pytest.approx(za_y)
    assert out.loc["y", "need_n_indicators"] == 1


def test_need_index_defaults_report_missing():
    wide = pd.DataFrame({"llti": [10.0, 20.0, 30.0]}, index=["x", "y", "z"])
    out, info = need.need_index(wide)
    assert set(info["missing"]) == set(settings.NEED_WEIGHTS) - {"llti"}
    assert info["used"] == {"llti": 1.0}
    assert out["need_decile"].tolist()[-1] == 10


def test_deciles_even():
    rank, dec = need.rank_and_decile(np.arange(20, dtype=float))
    assert dec.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10]
    assert rank[-1] == 1 and rank[0] == 20


def test_compare_wilson_flags_and_borough():
    vals = pd.DataFrame({
        "indicator_id": "living_alone_65",
        "area_code": ["A", "B", "C"],
        "value": [np.nan, np.nan, np.nan],
        "count": [30.0, 100.0, 50.0], "denominator": [100.0, 200.0, 500.0],
        "lower_ci": np.nan, "upper_ci": np.nan})
    out = need.compare(vals).set_index("area_code")
    assert out["benchmark"].iloc[0] == pytest.approx(100 * 180 / 800)      # pooled: 22.5%
    assert out.loc["A", "value"] == pytest.approx(30.0)
    assert out.loc["A", "lower_ci"] == pytest.approx(21.89, abs=0.01)
    assert out.loc["A", "comparison"] == "similar"          # 21.9-39.6 contains 22.5
    assert out.loc["B", "comparison"] == "worse"            # 50%: high is bad
    assert out.loc["C", "comparison"] == "better"           # 10%


def test_compare_high_good_and_neutral():
    meta = pd.DataFrame([
        {"id": "good", "unit": "%", "polarity": "high_good", "ci_method": "wilson"},
        {"id": "neut", "unit": "%", "polarity": "neutral", "ci_method": "wilson"},
        {"id": "nothing", "unit": "score", "polarity": "high_bad", "ci_method": "none"}])
    rows = []
    for ind in ("good", "neut", "nothing"):
        rows += [{"indicator_id": ind, "area_code": "A", "count": 90.0, "denominator": 100.0,
                  "value": 90.0},
                 {"indicator_id": ind, "area_code": "B", "count": 10.0, "denominator": 100.0,
                  "value": 10.0}]
    out = need.compare(pd.DataFrame(rows), meta).set_index(["indicator_id", "area_code"])
    assert out.loc[("good", "A"), "comparison"] == "better"
    assert out.loc[("good", "B"), "comparison"] == "worse"
    assert out.loc[("neut", "A"), "comparison"] == "higher"
    assert out.loc[("nothing", "A"), "comparison"] == "not compared"


def test_compare_byar_rates():
    # rates per 1,000: 10 events in 1,000 people (10.0) vs borough 100 / 20,000 (5.0)
    meta = pd.DataFrame([{"id": "falls", "unit": "per 1,000", "polarity": "high_bad",
                          "ci_method": "byar"}])
    vals = pd.DataFrame({"indicator_id": "falls", "area_code": ["A", "B"],
                         "value": [10.0, 90 / 19000 * 1000], "count": [10.0, 90.0],
                         "denominator": [1000.0, 19000.0]})
    out = need.compare(vals, meta).set_index("area_code")
    assert out["benchmark"].iloc[0] == pytest.approx(5.0)
    assert out.loc["A", "lower_ci"] == pytest.approx(4.7874, abs=0.0005)
    assert out.loc["A", "upper_ci"] == pytest.approx(18.39, abs=0.01)
    assert out.loc["A", "comparison"] == "similar"           # 4.8-18.4 contains 5.0
    vals.loc[0, ["value", "count"]] = [20.0, 20.0]
    out = need.compare(vals, meta).set_index("area_code")
    assert out.loc["A", "comparison"] == "worse"


def test_compare_given_benchmark():
    vals = pd.DataFrame({"indicator_id": "llti", "area_code": ["A"], "value": [30.0],
                         "count": [30.0], "denominator": [100.0]})
    out = need.compare(vals, benchmark={"llti": 17.3}, benchmark_name="England")
    assert out["comparison"].tolist() == ["worse"] and out["benchmark_name"].tolist() == ["England"]


def test_loneliness_hand_worked():
    df = pd.DataFrame({"lon_health_good": [0.4], "lon_health_fair": [0.2],
                       "lon_health_poor": [0.1], "lon_widowed": [0.3], "lon_aged_75_79": [0.15],
                       "lon_household_size": [1.6]})
    lo = (-2.6200 + 0.9842 * 0.4 + 1.5819 * 0.2 + 2.0344 * 0.1 + 1.0317 * 0.3
          - 0.3542 * 0.15 - 1.0402 * 1.6)
    out = loneliness.loneliness_risk(df)
    assert out["loneliness_logodds"].iloc[0] == pytest.approx(lo, abs=1e-12)
    assert out["loneliness_prob"].iloc[0] == pytest.approx(1 / (1 + math.exp(-lo)), abs=1e-12)
    pct = df.copy()
    for c in loneliness.SHARE_INPUTS:
        pct[c] = pct[c] * 100
    assert loneliness.loneliness_risk(pct)["loneliness_logodds"].iloc[0] == pytest.approx(lo)


def test_loneliness_monotone_in_risk_factors():
    base = {"lon_health_good": 0.4, "lon_health_fair": 0.2, "lon_health_poor": 0.1,
            "lon_widowed": 0.2, "lon_aged_75_79": 0.15, "lon_household_size": 1.8}
    worse = dict(base, lon_widowed=0.4, lon_household_size=1.3, lon_health_poor=0.2)
    out = loneliness.loneliness_risk(pd.DataFrame([base, worse]))
    assert out["loneliness_prob"].iloc[1] > out["loneliness_prob"].iloc[0]
    with pytest.raises(KeyError):
        loneliness.loneliness_risk(pd.DataFrame([{"lon_widowed": 0.2}]))


def test_loneliness_with_an_input_held_at_its_reference_value():
    """Hand-worked: no marital status in the data, so the widowed share is held at the
    reference value (0.2826) for every area.

    area 1: -2.6200 + 0.9842*0.40 + 1.5819*0.20 + 2.0344*0.10 + 1.0317*0.2826
            - 0.3542*0.15 - 1.0402*1.6
          = -2.6200 + 0.39368 + 0.31638 + 0.20344 + 0.29155842 - 0.05313 - 1.66432
          = -3.13239158 (probability 1 / (1 + e^3.13239158) = 0.0417907)
    area 2: -2.6200 + 0.29526 + 0.47457 + 0.40688 + 0.29155842 - 0.07084 - 1.45628
          = -2.67885158 (probability 0.0642329)
    """
    df = pd.DataFrame({"lon_health_good": [0.4, 0.3], "lon_health_fair": [0.2, 0.3],
                       "lon_health_poor": [0.1, 0.2], "lon_aged_75_79": [0.15, 0.2],
                       "lon_household_size": [1.6, 1.4]})
    assert loneliness.REFERENCE_VALUES["lon_widowed"] == 0.2826
    assert loneliness.assumed_inputs(df) == ["lon_widowed"]
    with pytest.raises(KeyError):
        loneliness.loneliness_risk(df)                  # strict unless asked to assume
    out = loneliness.loneliness_risk(df, assume_missing=True)
    assert out["loneliness_logodds"].tolist() == pytest.approx([-3.13239158, -2.67885158],
                                                               abs=1e-12)
    assert out["loneliness_prob"].tolist() == pytest.approx([0.0417907, 0.0642329], abs=1e-7)
    # a column with no value at all counts as missing; percentages elsewhere still work
    pct = df.assign(lon_widowed=np.nan)
    for c in ("lon_health_good", "lon_health_fair", "lon_health_poor", "lon_aged_75_79"):
        pct[c] = pct[c] * 100
    assert loneliness.assumed_inputs(pct) == ["lon_widowed"]
    np.testing.assert_allclose(loneliness.loneliness_risk(pct, assume_missing=True)
                               ["loneliness_logodds"], out["loneliness_logodds"], atol=1e-12)
    # the held value shifts every area by the same amount: the ranking does not depend on it
    other = loneliness.loneliness_risk(df, assume_missing=True, reference={"lon_widowed": 0.1})
    shift = out["loneliness_logodds"] - other["loneliness_logodds"]
    np.testing.assert_allclose(shift, 1.0317 * (0.2826 - 0.1), atol=1e-12)
    # inputs given for some areas only are not filled: those areas stay unknown
    part = df.assign(lon_widowed=[0.3, np.nan])
    assert loneliness.assumed_inputs(part) == []
    got = loneliness.loneliness_risk(part, assume_missing=True)["loneliness_logodds"]
    assert np.isnan(got.iloc[1]) and not np.isnan(got.iloc[0])
    assert not loneliness.any_available(pd.DataFrame({"llti": [1.0]}))
    assert loneliness.any_available(df)
    assert set(loneliness.REFERENCE_VALUES) == set(loneliness.COEFFICIENTS)
    assert set(loneliness.INPUT_LABELS) == set(loneliness.COEFFICIENTS)
    # the shares are shares; ONS (2021): 3.0 million widowed adults and over 11 million
    # people aged 65+, so the 65+ widowed share cannot much exceed about 27-28%
    for k in loneliness.SHARE_INPUTS:
        assert 0 < loneliness.REFERENCE_VALUES[k] < 0.5, k
    assert 1 <= loneliness.REFERENCE_VALUES["lon_household_size"] <= 3


def test_need_index_imd_stands_in_for_idaopi():
    """An IoD-only place (File 2: IMD rank, no IDAOPI) still gets an index: the IMD rank
    takes IDAOPI's weight (settings.NEED_FALLBACKS), flipped (rank 1 = most deprived)."""
    wide = pd.DataFrame({"imd_rank": [100.0, 20000.0, 5000.0]}, index=["x", "y", "z"])
    out, info = need.need_index(wide, polarities={"imd_rank": "high_good"})
    assert info["stand_ins"] == {"idaopi": "imd_rank"} and info["used"] == {"imd_rank": 1.0}
    assert "idaopi" in info["missing"]
    assert out["need_rank"].tolist() == [1, 3, 2]          # the most deprived ranks first
    # with census indicators beside it, the IMD keeps IDAOPI's 0.20
    wide["llti"] = [30.0, 10.0, 20.0]
    out, info = need.need_index(wide, polarities={"imd_rank": "high_good", "llti": "high_bad"})
    assert info["used"] == pytest.approx({"llti": 0.5, "imd_rank": 0.5})
    # IDAOPI itself wins over any stand-in
    wide["idaopi"] = [5.0, 1.0, 3.0]
    _, info = need.need_index(wide, polarities={"imd_rank": "high_good"})
    assert info["stand_ins"] == {} and "imd_rank" not in info["used"]
    _, info = need.need_index(wide[["imd_rank"]], fallbacks={})
    assert info["used"] == {}
