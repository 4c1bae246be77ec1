"""Loneliness model inputs (io.indicators.loneliness): the census shares and the derived
mean household size of people aged 65+."""
from __future__ import annotations

import pytest
from test_io_common import CODES, area_store, io_store, write_csv  # noqa: F401
from test_io_indicators_census import AGES, HEAD, census_rows

from assetmap.io.indicators import import_indicators


def test_census_tables_to_rates_and_loneliness_inputs(area_store, tmp_path):
    hh = [("One-person household: Aged 66 years and over", 30),
          ("One-person household: Other", 70),
          ("Single family household: All aged 66 years and over", 20),
          ("Other household types: With dependent children", 80)]
    import_indicators(area_store, write_csv(tmp_path / "hh.csv", HEAD, census_rows(hh)))
    head9 = HEAD[:5] + ["general_health"] + HEAD[5:]
    gh = [("Very good health", 40), ("Good health", 30), ("Fair health", 20),
          ("Bad health", 6), ("Very bad health", 4)]
    import_indicators(area_store, write_csv(tmp_path / "gh.csv", head9,
                                            census_rows(gh, extra="x")))
    head9 = HEAD[:5] + ["disability_category"] + HEAD[5:]
    dis = [("Disabled under the Equality Act: Day-to-day activities limited a lot", 5),
           ("Disabled under the Equality Act: Day-to-day activities limited a little", 15),
           ("Not disabled under the Equality Act: No long term physical or mental health "
            "conditions", 80)]
    import_indicators(area_store, write_csv(tmp_path / "dis.csv", head9,
                                            census_rows(dis, extra="x")))
    head9 = HEAD[:5] + ["unpaid_care"] + HEAD[5:]
    uc = [("Provides no unpaid care", 90), ("Provides 9 hours or less unpaid care a week", 10)]
    import_indicators(area_store, write_csv(tmp_path / "uc.csv", head9,
                                            census_rows(uc, extra="x")))
    import_indicators(area_store, write_csv(tmp_path / "age.csv", HEAD,
                                            census_rows([(a, 10) for a in AGES])))
    w = area_store.values_wide()
    row = w.loc[CODES[1]]
    # people aged 66+ living alone over residents aged 66+: 65+ = 50 of whom the 65-74 band
    # is 20, a tenth of it aged 65, so 48 aged 66+; 30 one-person 66+ households
    assert row["living_alone_65"] == pytest.approx(100 * 30 / 48)
    assert row["one_person_66_households"] == pytest.approx(15.0)    # of 200 households
    assert row["bad_health"] == pytest.approx(10.0)
    assert row["llti"] == pytest.approx(20.0)
    assert row["unpaid_carers"] == pytest.approx(10.0)
    assert (row["lon_health_good"], row["lon_health_fair"], row["lon_health_poor"]) == \
        pytest.approx((0.3, 0.2, 0.1))
    # 65+ = 50; 30 alone (size 1), 2x20 in older couples (size 2), rest 0
    assert row["lon_household_size"] == pytest.approx((30 + 80) / 70, abs=1e-4)
    vals = area_store.read_values(["living_alone_65", "one_person_66_households"])
    alone = vals[vals["indicator_id"] == "living_alone_65"]
    assert (alone["count"] == 30).all() and (alone["denominator"] == 48).all()
    hh = vals[vals["indicator_id"] == "one_person_66_households"]
    assert (hh["count"] == 30).all() and (hh["denominator"] == 200).all()
    meta = area_store.read_indicators().set_index("id")
    assert meta.at["living_alone_65", "title"] == "People aged 66+ living alone (% of people " \
                                                 "aged 66+)"
    assert meta.at["living_alone_65", "period"] == "2021"


def test_living_alone_needs_ages_and_households_in_either_order(area_store, tmp_path):
    """Ages first, households second gives the same share; households alone give none."""
    hh = [("One-person household: Aged 66 years and over", 12),
          ("Other household types: With dependent children", 88)]
    import_indicators(area_store, write_csv(tmp_path / "hh.csv", HEAD, census_rows(hh)))
    assert "living_alone_65" not in area_store.values_wide().columns
    ages = [("Aged 20 to 24 years", 100), ("Aged 65 to 69 years", 30),
            ("Aged 70 to 74 years", 20), ("Aged 85 years and over", 10)]
    import_indicators(area_store, write_csv(tmp_path / "age.csv", HEAD, census_rows(ages)))
    first = area_store.values_wide()["living_alone_65"]
    assert first.loc[CODES[0]] == pytest.approx(100 * 12 / (60 - 5))     # 66+ = 60 - 50/10
    import_indicators(area_store, write_csv(tmp_path / "hh.csv", HEAD, census_rows(hh)))
    assert area_store.values_wide()["living_alone_65"].equals(first)
