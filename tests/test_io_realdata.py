"""A real local authority end to end through the CLI: Trafford (LSOA 2021 boundaries,
Census 2021 tables, IoD 2019 via the ONS 2011->2021 lookup, postcodes, assets placed by
postcode, the CQC care homes) and real OSM extracts, checked against the source files."""
from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner
from test_io_common import REALDATA, needs_realdata

from assetmap.cli import main
from assetmap.store import Store

pytestmark = needs_realdata

LOOKUP = ("england-wales-lsoa11-centroids-lookups/LSOA_(2011)_to_LSOA_(2021)_to_Local_"
          "Authority_District_(2022)_Lookup_for_England_and_Wales_(Version_2).csv")


def run(db, *args, code=0):
    res = CliRunner().invoke(main, ["--db", db, *map(str, args)], catch_exceptions=False)
    assert res.exit_code == code, res.output
    return res


@pytest.fixture(scope="module")
def trafford(tmp_path_factory):
    path = tmp_path_factory.mktemp("trafford") / "trafford.sqlite"
    db = f"sqlite:///{path}"
    R = REALDATA
    run(db, "import", "boundaries",
        R / "trafford-boundaries/lsoa_2021_trafford_lsoa_generalised.geojson", "--la", "Trafford")
    run(db, "import", "boundaries",
        R / "trafford-boundaries/ward_2023_trafford_ward_generalised.geojson")
    for f in sorted((R / "trafford-census2021-lsoa").glob("2021_*.csv")):
        run(db, "import", "indicators", f)
    run(db, "import", "indicators", R / LOOKUP)
    run(db, "import", "indicators", R / "trafford-imd/trafford_lsoa11_iod2019_iod2015_long.csv")
    run(db, "import", "postcodes", R / "trafford-postcodes/trafford_postcodes.csv")
    run(db, "import", "assets", R / "trafford-assets/trafford_general_practices.csv")
    run(db, "import", "assets", R / "trafford-assets/trafford_libraries.csv")
    run(db, "import", "assets", R / "trafford-assets/trafford_pharmacies.csv")   # postcodes only
    run(db, "import", "cqc", R / "trafford-assets/trafford_care_homes.csv")
    store = Store(db)
    yield db, store
    store.dispose()


def test_counts(trafford):
    db, store = trafford
    c = store.counts()
    assert store.read_areas(level="lsoa").shape[0] == 139
    assert store.read_areas(level="ward").shape[0] == 21
    assert c["postcodes"] == 11264
    a = store.read_assets()
    assert a["category"].value_counts().to_dict() == {"pharmacy": 57, "other": 56,
                                                       "gp_practice": 26, "library": 13}
    assert a["is_provider"].sum() == 56
    assert a["source"].value_counts()["cqc"] == 56


def test_census_values_match_source(trafford):
    db, store = trafford
    w = store.values_wide()
    hh = pd.read_csv(REALDATA / "trafford-census2021-lsoa"
                     / "2021_household_composition_lsoa_trafford.csv")
    one = hh[hh["area_code"] == "E01006109"]
    alone = one.loc[one["indicator"] == "One-person household: Aged 66 years and over",
                    "value"].sum()
    ages = pd.read_csv(REALDATA / "trafford-census2021-lsoa"
                       / "2021_population_by_5_year_age_bands_lsoa_trafford.csv")
    a = ages[ages["area_code"] == "E01006109"].set_index("indicator")["value"]
    # people aged 66+ living alone over residents aged 66+ (65+ less a tenth of 65-74)
    p66 = a[["Aged 65 to 69 years", "Aged 70 to 74 years", "Aged 75 to 79 years",
             "Aged 80 to 84 years", "Aged 85 years and over"]].sum() \
        - (a["Aged 65 to 69 years"] + a["Aged 70 to 74 years"]) / 10
    assert (alone, p66) == (55, 109.5)
    assert w.loc["E01006109", "living_alone_65"] == pytest.approx(100 * alone / p66)
    assert w.loc["E01006109", "one_person_66_households"] == pytest.approx(
        100 * alone / one["value"].sum())
    area = store.read_areas(codes=["E01006109"]).iloc[0]
    assert area["pop_85_plus"] == a["Aged 85 years and over"]
    assert area["pop_65_74"] == a["Aged 65 to 69 years"] + a["Aged 70 to 74 years"]
    total = sum(area[b] for b in ("pop_0_17", "pop_18_64", "pop_65_74", "pop_75_84",
                                  "pop_85_plus"))
    assert total == pytest.approx(a.sum())
    assert area["parent_code"].startswith("E05")          # its 2023 ward
    for ind in ("llti", "unpaid_carers", "bad_health", "pop_65_plus", "lon_health_good",
                "lon_household_size", "lon_aged_75_79"):
        assert w[ind].notna().sum() == 139, ind


def _lsoa(file, col="indicator", code="E01006109") -> pd.Series:
    """One area's category counts straight from a raw census table."""
    df = pd.read_csv(REALDATA / "trafford-census2021-lsoa" / file)
    return df[df["area_code"] == code].groupby(col)["value"].sum()


def test_census_indicators_hand_worked(trafford):
    """Every census-derived indicator of one real LSOA (Trafford 001A, E01006109) worked by
    hand from the raw tables: count, denominator and value; each title names its
    denominator, and the unit and polarity fit what it counts."""
    db, store = trafford
    v = store.read_values().query("area_code == 'E01006109'").set_index("indicator_id")
    meta = store.read_indicators().set_index("id")
    age = _lsoa("2021_population_by_5_year_age_bands_lsoa_trafford.csv")
    hh = _lsoa("2021_household_composition_lsoa_trafford.csv")
    dis = _lsoa("2021_disability_lsoa_trafford.csv", "disability_category")
    gh = _lsoa("2021_general_health_lsoa_trafford.csv", "general_health")
    care = _lsoa("2021_unpaid_care_lsoa_trafford.csv", "unpaid_care")
    car = _lsoa("2021_car_van_availability_lsoa_trafford.csv", "availability_category")
    p65 = age[[k for k in age.index if k.startswith(("Aged 65", "Aged 70", "Aged 75",
                                                      "Aged 80", "Aged 85"))]].sum()
    p66 = p65 - (age["Aged 65 to 69 years"] + age["Aged 70 to 74 years"]) / 10
    assert (age.sum(), p65, hh.sum(), care.sum()) == (1146, 116, 531, 1076)
    expect = {   # id: (count, denominator, words the title must hold)
        "pop_65_plus": (p65, age.sum(), "% of population"),
        "living_alone_65": (55, p66, "% of people aged 66+"),
        "one_person_66_households": (55, hh.sum(), "% of households"),
        "older_family_households": (9, hh.sum(), "% of households"),
        "llti": (dis[dis.index.str.startswith("Disabled")].sum(), dis.sum(), "% of residents"),
        "bad_health": (gh["Bad health"] + gh["Very bad health"], gh.sum(), "% of residents"),
        "unpaid_carers": (care.sum() - care["Provides no unpaid care"], care.sum(),
                          "% of residents aged 5+"),
        "no_car_households": (car["No cars or vans in household"], car.sum(), "% of households"),
    }
    for iid, (num, den, words) in expect.items():
        row = v.loc[iid]
        assert (row["count"], row["denominator"]) == pytest.approx((num, den)), iid
        assert row["value"] == pytest.approx(100 * num / den), iid
        assert words in meta.at[iid, "title"] and meta.at[iid, "unit"] == "%", iid
    # the unpaid-care table counts residents aged 5+: all ages less the 0-4 band (the
    # census perturbs small counts, so within a few people)
    assert care.sum() == pytest.approx(age.sum() - age["Aged 4 years and under"], abs=10)
    size = _lsoa("2021_household_size_lsoa_trafford.csv")
    people = sum(int(k.split()[0]) * n for k, n in size.items())
    assert v.at["mean_household_size", "value"] == pytest.approx(
        people / size.drop("0 people in household").sum(), abs=1e-4)
    assert {i: meta.at[i, "polarity"] for i in ("living_alone_65", "llti", "unpaid_carers",
                                                 "bad_health", "no_car_households")} == \
        dict.fromkeys(("living_alone_65", "llti", "unpaid_carers", "bad_health",
                       "no_car_households"), "high_bad")
    assert "Aged 66 years and over" in meta.at["living_alone_65", "description"]


def test_living_alone_agrees_with_loneliness_risk(trafford):
    """Named for what it measures, the living-alone share ranks Trafford's areas as the
    modelled loneliness risk does (Spearman >= 0.7); the old share of all households did
    not (0.45)."""
    from scipy.stats import spearmanr

    from assetmap.analysis import loneliness
    db, store = trafford
    w = store.values_wide()
    risk = loneliness.loneliness_risk(w, assume_missing=True)["loneliness_logodds"]
    assert w["living_alone_65"].notna().sum() == 139
    assert w["living_alone_65"].between(10, 80).all()
    assert spearmanr(w["living_alone_65"], risk).statistic >= 0.7
    assert spearmanr(w["one_person_66_households"], risk).statistic < 0.6


def test_loneliness_inputs_from_census(trafford):
    """The census recognisers give Trafford every loneliness input but marital status: health
    shares (all ages, as published), the 75-79 share of 65+ and the derived household size."""
    db, store = trafford
    w = store.values_wide()
    assert "lon_widowed" not in w.columns
    for ind in ("lon_health_good", "lon_health_fair", "lon_health_poor", "lon_aged_75_79",
                "lon_household_size"):
        assert w[ind].notna().sum() == 139, ind
    shares = w[["lon_health_good", "lon_health_fair", "lon_health_poor"]]
    assert shares.gt(0).all().all() and (shares.sum(axis=1) < 1).all()   # very good = the rest
    health = pd.read_csv(REALDATA / "trafford-census2021-lsoa"
                         / "2021_general_health_lsoa_trafford.csv")
    h = health[health["area_code"] == "E01006109"].groupby("general_health")["value"].sum()
    assert w.loc["E01006109", "lon_health_fair"] == pytest.approx(h["Fair health"] / h.sum(),
                                                                  abs=1e-6)
    assert w.loc["E01006109", "lon_health_poor"] == pytest.approx(
        (h["Bad health"] + h["Very bad health"]) / h.sum(), abs=1e-6)
    ages = pd.read_csv(REALDATA / "trafford-census2021-lsoa"
                       / "2021_population_by_5_year_age_bands_lsoa_trafford.csv")
    a = ages[ages["area_code"] == "E01006109"].set_index("indicator")["value"]
    p65 = a[["Aged 65 to 69 years", "Aged 70 to 74 years", "Aged 75 to 79 years",
             "Aged 80 to 84 years", "Aged 85 years and over"]].sum()
    assert w.loc["E01006109", "lon_aged_75_79"] == pytest.approx(a["Aged 75 to 79 years"] / p65,
                                                                 abs=1e-6)
    assert w["lon_aged_75_79"].between(0.05, 0.45).all()
    assert w["lon_household_size"].between(1.0, 4.0).all()


def test_loneliness_risk_on_trafford(trafford):
    """The analysis on Trafford: the Age UK model runs with the widowed share (no census
    marital status here) held at its reference value, for every area, and says so."""
    from assetmap import pipeline
    from assetmap.analysis import loneliness
    db, store = trafford
    a = pipeline.run(store, {"permutations": 99, "isochrone_categories": []}, save=False)
    s = a.summary
    assert s["loneliness_source"] == "model"
    assert s["loneliness_assumed_inputs"] == ["lon_widowed"]
    assert s["loneliness_assumed_values"] == {
        "lon_widowed": loneliness.REFERENCE_VALUES["lon_widowed"]}
    assert "loneliness_risk" not in s["missing_indicators"]
    assert "loneliness_risk" in s["indicators_used"]
    prob = a.areas["loneliness_risk"]
    assert len(prob) == 139 and prob.notna().all() and prob.between(0, 1).all()
    assert a.areas["loneliness_logodds"].notna().all()
    assert any("widowed" in n and "reference value" in n for n in s["notes"])
    # the ranking is the model's on the inputs Trafford has (widowed held at any constant)
    w = store.values_wide().reindex(a.areas["code"])
    zero = loneliness.loneliness_risk(w.assign(lon_widowed=0.0))["loneliness_logodds"]
    assert (a.areas["loneliness_logodds"].rank().to_numpy() == zero.rank().to_numpy()).all()


def test_iod_joined_through_lookup(trafford):
    db, store = trafford
    w = store.values_wide()
    imd = pd.read_csv(REALDATA / "trafford-imd/trafford_lsoa11_iod2019_iod2015_long.csv")
    imd = imd[imd["year"] == 2019]
    row = imd[(imd["lsoa11cd"] == "E01006074")
              & (imd["index_domain"] == "Index of Multiple Deprivation")]
    assert w.loc["E01006074", "imd_score"] == pytest.approx(row["score"].iloc[0])
    old = imd[(imd["lsoa11cd"] == "E01006185") & (imd["index_domain"] ==
                                                  "Income Deprivation Affecting Older People")]
    # E01006185 (2011) was split into E01034000 and E01034001 (2021): both carry its value
    for code in ("E01034000", "E01034001"):
        assert w.loc[code, "idaopi"] == pytest.approx(old["score"].iloc[0] * 100)
    assert w["imd_decile"].notna().sum() == 139


def test_assets_placed_by_postcode(trafford):
    db, store = trafford
    ph = pd.read_csv(REALDATA / "trafford-assets/trafford_pharmacies.csv")
    first = ph.iloc[0]
    a = store.read_assets(categories=["pharmacy"])
    rec = a[a["id"] == f"ods-{first['organisation_data_service_code']}"].iloc[0]
    pc = store.lookup_postcodes([first["postcode"]]).iloc[0]
    assert (rec.geometry.x, rec.geometry.y) == pytest.approx((pc["lon"], pc["lat"]))
    assert rec["opening_hours"].startswith("Mo ")


def test_reimport_and_bad_input_through_cli(trafford, tmp_path):
    db, store = trafford
    before = store.counts()
    run(db, "import", "cqc", REALDATA / "trafford-assets/trafford_care_homes.csv")
    run(db, "import", "assets", REALDATA / "trafford-assets/trafford_libraries.csv")
    after = store.counts()
    assert {k: after[k] for k in ("assets", "providers", "areas")} == \
        {k: before[k] for k in ("assets", "providers", "areas")}
    version = store.data_version()
    res = CliRunner().invoke(main, ["--db", db, "import", "assets", str(
        REALDATA / "trafford-assets/trafford_mental_health_services.csv"), "--category", "other"])
    assert res.exit_code == 2
    assert "trafford_mental_health_services.csv" in res.output and "field 'postcode'" in res.output
    assert store.data_version() == version
    res = run(db, "import", "assets",
              REALDATA / "trafford-assets/trafford_mental_health_services.csv",
              "--category", "other", "--skip-bad")
    assert "skipped 16 bad row(s)" in res.output


def test_exports(trafford, tmp_path):
    db, store = trafford
    run(db, "export", "providers", "-f", "geojson", "-o", tmp_path / "p.geojson")
    run(db, "export", "areas", "-f", "gpkg", "-o", tmp_path / "a.gpkg")
    run(db, "export", "need", "-f", "csv", "-o", tmp_path / "need.csv")
    need = pd.read_csv(tmp_path / "need.csv")
    assert len(need) == 139 and "indicator_living_alone_65" in need.columns
    run(db, "export", "openreferral", "-o", tmp_path / "or")
    assert (tmp_path / "or" / "services.json").exists()


def test_osm_extracts(tmp_path):
    db = f"sqlite:///{tmp_path / 'leeds.sqlite'}"
    res = run(db, "import", "osm", REALDATA / "osm-leeds-its-example/its-example.osm.bz2")
    store = Store(db)
    assert store.blob_hash("osm") is not None
    cats = store.read_assets()["category"].value_counts()
    assert cats["cafe_pub"] >= 19 and cats["library"] >= 2 and cats["pharmacy"] == 1
    # Rutland: a whole LA; the OSM boundary (ref:gss column) as the area
    db2 = f"sqlite:///{tmp_path / 'rutland.sqlite'}"
    run(db2, "import", "boundaries",
        REALDATA / "rutland-needs/rutland_boundary_osm_relation_57398.geojson")
    res = run(db2, "import", "osm", REALDATA / "osm-rutland/rutland-latest.osm.bz2")
    s2 = Store(db2)
    assert s2.read_areas(level="la")["code"].tolist() == ["E06000017"]
    cats = s2.read_assets()["category"].value_counts()
    assert cats["gp_practice"] == 3 and cats["community_centre"] >= 20
    assert "outside the stored areas" in res.output
    store.dispose()
    s2.dispose()


def test_every_iod_domain_and_the_place_name(trafford):
    """Issue 17: every IoD 2019 domain and both supplementary indices come in (score, rank,
    decile) for all 139 2021 areas, and the store is called Trafford."""
    from assetmap import model
    db, store = trafford
    w = store.values_wide()
    for stem, *_ in model.IOD_DOMAINS:
        for ind in (model.iod_score_id(stem), f"{stem}_rank", f"{stem}_decile"):
            assert w[ind].notna().sum() == 139, ind
    imd = pd.read_csv(REALDATA / "trafford-imd/trafford_lsoa11_iod2019_iod2015_long.csv")
    row = imd[(imd["year"] == 2019) & (imd["lsoa11cd"] == "E01006074")
              & (imd["index_domain"] == "Living Environment")].iloc[0]
    assert w.loc["E01006074", "iod_environment_score"] == pytest.approx(row["score"])
    assert w.loc["E01006074", "iod_environment_decile"] == row["decile"]
    assert store.get_meta("area_name") == "Trafford"
    assert store.get_meta("la_code") == "E08000009"
