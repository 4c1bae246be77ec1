"""Capacity in its unit and vacancy freshness (assetmap.analysis.capacity)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from assetmap import settings
from assetmap.analysis import capacity

ON = dt.date(2026, 6, 30)


def test_unit_of_a_provider():
    assert capacity.provider_unit({"service_types": "home_support"}) == "hours"
    assert capacity.provider_unit({"service_types": "day_activities|accommodation"}) == "places"
    assert capacity.provider_unit({"service_types": "day_activities",
                                   "capacity_places": 6.0}) == "places"
    assert capacity.provider_unit({"service_types": "day_activities",
                                   "capacity_places": float("nan")}) == "hours"


def test_capacities_fill_within_their_own_unit():
    prov = pd.DataFrame({"capacity_hours": [10.0, np.nan, 30.0, np.nan, 1000.0],
                         "capacity_places": [np.nan, np.nan, np.nan, 4.0, np.nan]})
    units = np.array(["hours", "hours", "hours", "places", "places"], dtype=object)
    got = capacity.capacities(prov, units)
    # hours: the missing one is the median of 10 and 30; places: the 1000 hours never count
    np.testing.assert_array_equal(got, [10.0, 20.0, 30.0, 4.0, 4.0])
    np.testing.assert_array_equal(capacity.capacities(prov, units, "count"), np.ones(5))


def test_vacancies_fresh_for_the_stale_days_then_unknown():
    days = settings.VACANCY_STALE_DAYS
    edge = (ON - dt.timedelta(days=days)).isoformat()
    past = (ON - dt.timedelta(days=days + 1)).isoformat()
    assert capacity.vacancies_fresh(edge, ON) and not capacity.vacancies_fresh(past, ON)
    assert not capacity.vacancies_fresh(None, ON) and not capacity.vacancies_fresh("soon", ON)
    prov = pd.DataFrame({"vacancies": [3.0, 3.0, np.nan], "vacancies_confirmed":
                         [edge, past, edge]})
    np.testing.assert_array_equal(capacity.known_vacancies(prov, ON), [3.0, np.nan, np.nan])


def test_vacancy_words():
    row = {"service_types": "home_support", "vacancies": 6.0, "vacancies_confirmed": "2026-06-20"}
    assert capacity.vacancy_text(row, ON) == "Vacancies: 6 hours a week (confirmed 20 June 2026)"
    assert capacity.vacancy_text(dict(row, vacancies=0.0), ON).startswith("No vacancies")
    assert capacity.vacancy_text(dict(row, service_types="accommodation", vacancies=1.0), ON) \
        == "Vacancies: 1 place (confirmed 20 June 2026)"
    assert capacity.vacancy_text(dict(row, vacancies_confirmed="2026-01-02"), ON) == \
        "Vacancies not confirmed since 2 January 2026"
    assert capacity.vacancy_text(dict(row, vacancies_confirmed=None), ON) == \
        "Vacancies not confirmed"


def test_supply_and_gap_words_carry_units():
    assert capacity.per_100_words("hours") == "hours a week per 100 people in need"
    assert capacity.supply_text(1.234, "places") == "1.23 places per 100 people in need"
    assert capacity.amount(34.6, "hours") == "about 35 hours a week"
    row = {"unit": "hours", "supply": 0.01, "supply_per_100": 1.0, "shortfall": 34.6,
           "population": 412.0, "population_label": "adults with a learning disability"}
    assert capacity.gap_words(row) == ("1 hours a week per 100 people in need: about 35 hours "
                                       "a week short of the borough median, for about 410 "
                                       "adults with a learning disability")
    assert capacity.gap_words(dict(row, supply=0.0)) == \
        "No provider reaches it (about 410 adults with a learning disability)"
