"""The need analysis on real data: Trafford's Census 2021 and the English Indices of
Deprivation 2019, checked for plausibility against the published IMD deciles.

Needs ../shared/realdata (skipped cleanly without it). The few CSVs are parsed here directly.
Census tables are on LSOA 2021 codes and the IoD on LSOA 2011 codes: the 137 codes that did
not change between the two are used.
"""
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from assetmap import pipeline, settings
from assetmap.analysis import need

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
CENSUS = REAL / "trafford-census2021-lsoa"
IMD = REAL / "trafford-imd" / "trafford_lsoa11_iod2019_iod2015_long.csv"
BOUNDS = REAL / "trafford-boundaries" / "lsoa_2011_trafford_lsoa_generalised.geojson"
LIBRARIES = REAL / "trafford-assets" / "trafford_libraries.csv"

pytestmark = [pytest.mark.realdata,
              pytest.mark.skipif(not (CENSUS.is_dir() and IMD.is_file() and BOUNDS.is_file()),
                                 reason="../shared/realdata (Trafford) not present")]


def _share(file, col, numerator) -> pd.DataFrame:
    df = pd.read_csv(CENSUS / file)
    total = df.groupby("area_code")["value"].sum()
    num = df[df[col].isin(numerator)].groupby("area_code")["value"].sum()
    return pd.DataFrame({"count": num.reindex(total.index).fillna(0), "denominator": total})


def _living_alone() -> pd.DataFrame:
    """People aged 66+ living alone (one-person 66+ households) over residents aged 66+
    (the 65+ bands less a tenth of 65-74), as ``living_alone_65`` is defined."""
    hh = pd.read_csv(CENSUS / "2021_household_composition_lsoa_trafford.csv")
    alone = hh[hh["indicator"] == "One-person household: Aged 66 years and over"] \
        .groupby("area_code")["value"].sum()
    age = pd.read_csv(CENSUS / "2021_population_by_5_year_age_bands_lsoa_trafford.csv") \
        .pivot_table(index="area_code", columns="indicator", values="value", aggfunc="sum")
    older = ["Aged 65 to 69 years", "Aged 70 to 74 years", "Aged 75 to 79 years",
             "Aged 80 to 84 years", "Aged 85 years and over"]
    p66 = age[older].sum(axis=1) - age[older[:2]].sum(axis=1) / 10
    return pd.DataFrame({"count": alone, "denominator": p66.reindex(alone.index)})


@pytest.fixture(scope="module")
def trafford():
    imd = pd.read_csv(IMD)
    imd = imd[imd["year"] == 2019]
    imd_all = imd[imd["index_domain"] == "Index of Multiple Deprivation"].set_index("lsoa11cd")
    idaopi = imd[imd["index_domain"] == "Income Deprivation Affecting Older People"] \
        .set_index("lsoa11cd")["score"]
    parts = {
        "living_alone_65": _living_alone(),
        "llti": _share("2021_disability_lsoa_trafford.csv", "disability_category",
                       ["Disabled under the Equality Act: Day-to-day activities limited a lot",
                        "Disabled under the Equality Act: Day-to-day activities limited a little"]),
    }
    care = pd.read_csv(CENSUS / "2021_unpaid_care_lsoa_trafford.csv")
    parts["unpaid_carers"] = _share("2021_unpaid_care_lsoa_trafford.csv", "unpaid_care",
                                    [c for c in care["unpaid_care"].unique()
                                     if c != "Provides no unpaid care"])
    codes = sorted(set(imd_all.index) & set(parts["llti"].index))
    rows = []
    for ind, df in parts.items():
        df = df.reindex(codes)
        rows.append(pd.DataFrame({"indicator_id": ind, "area_code": codes,
                                  "value": 100 * df["count"] / df["denominator"],
                                  "count": df["count"], "denominator": df["denominator"]}))
    rows.append(pd.DataFrame({"indicator_id": "idaopi", "area_code": codes,
                              "value": 100 * idaopi.reindex(codes).to_numpy()}))
    values = pd.concat(rows, ignore_index=True)
    return codes, values, imd_all.reindex(codes)


def test_need_index_plausible_against_imd(trafford):
    codes, values, imd = trafford
    assert len(codes) == 137
    wide = values.pivot(index="area_code", columns="indicator_id", values="value")
    out, info = need.need_index(wide)
    assert info["missing"] == ["loneliness_risk"]        # no census marital status by age here
    assert set(info["used"]) == {"living_alone_65", "llti", "idaopi", "unpaid_carers"}
    assert sum(info["used"].values()) == pytest.approx(1.0, abs=1e-5)
    score = out["need_score"]
    rho = score.rank().corr(imd["score"].rank())
    assert rho > 0.6, rho
    dec = out["need_decile"]
    most_deprived = imd["decile"] <= 2
    least_deprived = imd["decile"] >= 9
    assert dec[most_deprived].mean() >= 8
    assert dec[least_deprived].mean() <= 5
    # the ten areas of highest need are all in the more deprived half of England
    top10 = score.sort_values(ascending=False).index[:10]
    assert (imd.loc[top10, "decile"] <= 5).mean() >= 0.8


def test_comparisons_with_borough(trafford):
    codes, values, imd = trafford
    comp = need.compare(values)
    llti = comp[comp["indicator_id"] == "llti"].set_index("area_code")
    # pooled Trafford value (Census 2021: about 16% of residents disabled under the Act)
    assert 13 < llti["benchmark"].iloc[0] < 19
    assert set(llti["comparison"]) <= {"better", "similar", "worse"}
    assert (llti["comparison"] == "worse").sum() >= 10
    assert (llti["comparison"] == "better").sum() >= 10
    worse = llti.index[llti["comparison"] == "worse"]
    better = llti.index[llti["comparison"] == "better"]
    assert imd.loc[worse, "decile"].mean() < imd.loc[better, "decile"].mean()
    # IDAOPI has no counts here: nothing to build an interval from
    assert (comp.loc[comp["indicator_id"] == "idaopi", "comparison"] == "not compared").all()


def test_pipeline_runs_on_real_area(trafford, tmp_path):
    """The whole analyse step on what a real area provides: boundaries, census and IoD
    indicators, libraries, no street network (straight-line fallback), no providers."""
    from assetmap.store import Store
    codes, values, imd = trafford
    store = Store(f"sqlite:///{tmp_path / 'trafford.sqlite'}")
    b = gpd.read_file(BOUNDS)
    b = b[b["area_code"].isin(codes)]
    areas = gpd.GeoDataFrame({"code": b["area_code"], "name": b["area_name"], "level": "lsoa"},
                             geometry=b.geometry.values, crs=b.crs)
    store.write_areas(areas)
    store.write_indicators(pd.DataFrame([{"id": k, "title": k, "unit": "%",
                                          "polarity": "high_bad", "ci_method": "wilson"}
                                         for k in values["indicator_id"].unique()]))
    store.write_values(values)
    if LIBRARIES.is_file():
        lib = pd.read_csv(LIBRARIES)
        assets = gpd.GeoDataFrame({"id": [f"lib{i}" for i in range(len(lib))], "name": lib["name"],
                                   "category": "library"},
                                  geometry=gpd.points_from_xy(lib["lon"], lib["lat"]),
                                  crs=settings.STORAGE_CRS)
        store.write_assets(assets)
    a = pipeline.run(store, {"permutations": 199})
    assert a.summary["router"] == "crow-fly"
    assert a.summary["missing_indicators"] == ["loneliness_risk"]
    assert a.summary["loneliness_source"] == "missing"
    assert a.summary["providers"] == 0
    areas_out = a.areas.set_index("code")
    assert areas_out["need_index"].notna().all()
    if LIBRARIES.is_file():
        assert areas_out["min_library"].between(0, settings.ACCESS_MAX_MINUTES).all()
        assert areas_out["min_library"].min() < 10
    back = pipeline.load(store)
    assert back.summary["missing_indicators"] == ["loneliness_risk"]
