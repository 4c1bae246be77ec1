"""Demand per client group (analysis.demand): each group from the population it is drawn
from, worked by hand on three areas; the stand-in notes; the dementia rates against the
report's own headline; and Trafford's census counts."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_io_common import REALDATA

from assetmap import model, settings
from assetmap.analysis import demand

CODES = ["E01000001", "E01000002", "E01000003"]


@pytest.fixture
def areas():
    """A: 180 children, 1,000 aged 18-64, 200 / 100 / 50 aged 65-74 / 75-84 / 85+;
    B: 360, 500, 100 / 0 / 10; C: no population by age."""
    return pd.DataFrame({"code": CODES, "pop_0_17": [180, 360, None],
                         "pop_18_64": [1000, 500, None], "pop_65_74": [200, 100, None],
                         "pop_75_84": [100, 0, None], "pop_85_plus": [50, 10, None]})


@pytest.fixture
def wide():
    """Percentages as stored, in another order than the areas: A 20% disabled, B none;
    unpaid carers A 10%, B 5%."""
    return pd.DataFrame({"llti": [np.nan, 20.0], "unpaid_carers": [5.0, 10.0]},
                        index=pd.Index([CODES[1], CODES[0]], name="area_code"))


def _people(areas, wide, group):
    return demand.client_group_demand(areas, wide, group).people


def test_older_people_and_no_client_group_are_the_65_plus_bands(areas, wide):
    for group in ("", "older_people"):
        d = demand.client_group_demand(areas, wide, group)
        assert d.client_group == group
        assert d.people == pytest.approx([350, 110, 0])
        assert d.label == "people aged 65+"
        assert d.stand_ins == ["1 of 3 areas have no population by age band: they count as "
                               "0 people"]


def test_dementia_from_prevalence_by_age_band(areas, wide):
    d = demand.client_group_demand(areas, wide, "dementia")
    # A: 200 x 2.284% + 100 x 8.192% + 50 x 23.227%; B: 100 x 2.284% + 10 x 23.227%
    assert d.people == pytest.approx([4.568 + 8.192 + 11.6135, 2.284 + 2.3227, 0])
    assert d.label == "people aged 65+ with dementia"
    assert "Dementia UK" in d.source and "2.28% at 65-74" in d.source


@pytest.mark.parametrize("group, rate, label, source", [
    ("learning_disability", 0.0216, "adults with a learning disability", "Public Health England"),
    ("autism", 0.011, "autistic adults", "Brugha"),
    ("mental_health", 0.170, "adults with a common mental health problem",
     "Adult Psychiatric Morbidity Survey 2014"),
])
def test_adult_prevalence_groups(areas, wide, group, rate, label, source):
    d = demand.client_group_demand(areas, wide, group)
    # adults (18+): A 1,000 + 350 = 1,350; B 500 + 110 = 610
    assert d.people == pytest.approx([1350 * rate, 610 * rate, 0])
    assert d.label == label and source in d.source
    assert f"{rate * 100:.3g}% of residents aged 18+" in d.source


def test_physical_disability_from_the_census_share_with_a_stand_in(areas, wide):
    d = demand.client_group_demand(areas, wide, "physical_disability")
    # A: 20% of 1,350 adults; B (no figure): England's 17.7% of 610 adults
    assert d.people == pytest.approx([270.0, 0.177 * 610, 0])
    assert d.label == "disabled adults"
    assert "indicator llti" in d.source
    assert d.stand_ins[1] == ("2 of 3 areas have no Census share of residents disabled under "
                              "the Equality Act (indicator llti): the national rate, 17.7%, "
                              "stood in for them (settings.DISABILITY_RATE)")


def test_carers_from_the_census_share_of_residents_aged_5_plus(areas, wide):
    d = demand.client_group_demand(areas, wide, "carers")
    # aged 5+: adults + 13/18 of the 0-17 band: A 1,350 + 130 = 1,480; B 610 + 260 = 870
    assert d.people == pytest.approx([0.10 * 1480, 0.05 * 870, 0])
    assert d.label == "unpaid carers"
    assert len(d.stand_ins) == 2 and "settings.UNPAID_CARE_RATE" in d.stand_ins[1]


def test_without_indicators_the_national_rates_stand_in_for_every_area(areas):
    for group, rate, pop, name in (
            ("physical_disability", 0.177, [1350, 610, 0], "DISABILITY_RATE"),
            ("carers", 0.089, [1480, 870, 0], "UNPAID_CARE_RATE")):
        d = demand.client_group_demand(areas, pd.DataFrame(), group)
        assert d.people == pytest.approx(np.array(pop) * rate)
        assert d.stand_ins[1].startswith("no Census share of residents")
        assert d.stand_ins[1].endswith(f"the national rate, {rate * 100:.3g}%, stood in for "
                                       f"every area (settings.{name})")
        assert d.source.startswith(f"national rate: {rate * 100:.3g}%")


def test_fractions_read_as_fractions_and_positional_wide(areas):
    frac = pd.DataFrame({"llti": [0.2, 0.1, 0.3]})          # no codes: aligned by row
    assert _people(areas, frac, "physical_disability") == pytest.approx([270, 61, 0])


def test_rates_are_read_from_settings_at_call_time(areas, wide, monkeypatch):
    monkeypatch.setattr(settings, "LEARNING_DISABILITY_PREVALENCE", 0.01)
    assert _people(areas, wide, "learning_disability") == pytest.approx([13.5, 6.1, 0])
    assert "1% of the residents aged 18+" in demand.describe("learning_disability")


def test_unknown_client_group_is_refused(areas, wide):
    with pytest.raises(ValueError, match="unknown client group"):
        demand.client_group_demand(areas, wide, "pets")


def test_describe_every_group_with_its_rate_and_source():
    rows = demand.describe_all()
    assert [r["client_group"] for r in rows] == ["", *model.CLIENT_GROUPS]
    text = {r["client_group"]: r["method"] for r in rows}
    assert text[""] == text["older_people"]
    assert "2.16% of the residents aged 18+" in text["learning_disability"]
    assert "1.1%" in text["autism"] and "17%" in text["mental_health"]
    assert "8.19% at 75-84" in text["dementia"] and "young onset" in text["dementia"]
    assert "indicator llti" in text["physical_disability"] and "17.7%" in \
        text["physical_disability"]
    assert "aged 5+" in text["carers"] and "8.9%" in text["carers"]
    assert all(demand.label(r["client_group"]) == r["label"] for r in rows)


def test_dementia_band_rates_reproduce_the_reports_headline():
    """The band rates are the report's five-year rates weighted by England's 2011 census
    population (90+ split 3:1 into 90-94 and 95+); on that population they give the 7.1% of
    people aged 65+ that Dementia UK: Update (2014) headlines."""
    five = {"65-69": (1.7, 2508154), "70-74": (3.0, 2044129), "75-79": (6.0, 1669345),
            "80-84": (11.1, 1258773), "85-89": (18.3, 776311),
            "90+": (0.75 * 29.9 + 0.25 * 41.1, 403817)}

    def band(*keys):
        return sum(five[k][0] * five[k][1] for k in keys) / sum(five[k][1] for k in keys) / 100

    expect = {"pop_65_74": band("65-69", "70-74"), "pop_75_84": band("75-79", "80-84"),
              "pop_85_plus": band("85-89", "90+")}
    assert settings.DEMENTIA_PREVALENCE == pytest.approx(expect, abs=1e-5)
    overall = band(*five)
    assert overall == pytest.approx(0.071, abs=0.0005)


@pytest.mark.skipif(not (REALDATA / "trafford-census2021-lsoa").is_dir(),
                    reason="shared/realdata (Trafford census) absent")
def test_trafford_carers_and_older_people_match_the_census_counts():
    """Trafford's 139 LSOAs from the raw Census 2021 tables: people aged 65+ are the census
    count, and unpaid carers (the share x residents aged 5+ estimated from the bands) come
    within 1% of the census count of carers."""
    from assetmap.io.indicators.census import age_bands
    root = REALDATA / "trafford-census2021-lsoa"
    age = pd.read_csv(root / "2021_population_by_5_year_age_bands_lsoa_trafford.csv")
    areas = pd.DataFrame([{"code": c, **age_bands(dict(zip(g["indicator"], g["value"])))}
                          for c, g in age.groupby("area_code")])
    care = pd.read_csv(root / "2021_unpaid_care_lsoa_trafford.csv")
    total = care.groupby("area_code")["value"].sum()
    carers = care[care["unpaid_care"] != "Provides no unpaid care"] \
        .groupby("area_code")["value"].sum()
    wide = pd.DataFrame({"unpaid_carers": 100 * carers / total})
    older = age[age["indicator"].str.match(r"Aged (65|70|75|80|85) ")]["value"].sum()
    assert _people(areas, wide, "").sum() == pytest.approx(older) == 41283
    d = demand.client_group_demand(areas, wide, "carers")
    assert d.stand_ins == [] and len(d.people) == 139
    assert d.people.sum() == pytest.approx(carers.sum(), rel=0.01)
    # dementia: about 7% of Trafford's 65+ (an older borough than England's 2011 profile)
    assert 0.065 < _people(areas, wide, "dementia").sum() / older < 0.08
