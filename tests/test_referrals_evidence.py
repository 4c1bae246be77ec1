"""Referral evidence: counts checked against a plain count of the individual referrals,
small-number suppression, the commissioning sentence."""
import datetime as dt
import random
from collections import Counter

import pandas as pd
import pytest

from assetmap import settings
from assetmap.referrals import evidence


def _referrals(n=400, seed=3):
    """Individual referrals as the store would hold them."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        status = rng.choice(["sent", "accepted", "declined", "withdrawn", "closed"])
        answer = {"accepted": "accepted", "declined": "declined"}.get(status)
        if status == "closed":
            answer = rng.choice(["accepted", "declined"])
        if status == "withdrawn":
            answer = rng.choice([None, "accepted"])
        reason = rng.choice(["no_capacity", "outside_area", "other"]) \
            if answer == "declined" else None
        out.append({"service_type": rng.choice(["home_support", "befriending"]),
                    "client_group": rng.choice(["older_people", "dementia"]),
                    "area_code": rng.choice(["E01000001", "E01000002", "E01000003"]),
                    "status": status, "answer": answer, "decline_reason": reason})
    return out


def _grouped(rows) -> pd.DataFrame:
    """What ``referral_counts`` returns: counts per every key."""
    keys = ["service_type", "client_group", "area_code", "status", "answer", "decline_reason"]
    c = Counter(tuple(r[k] for k in keys) for r in rows)
    return pd.DataFrame([dict(zip(keys, k), n=n) for k, n in c.items()])


def test_summary_matches_a_plain_count():
    rows = _referrals()
    s = evidence.summarise(_grouped(rows))
    assert list(s.columns) == list(evidence.KEYS) + list(evidence.COUNT_COLUMNS)
    assert len(s) == len({(r["service_type"], r["client_group"], r["area_code"]) for r in rows})
    for rec in s.to_dict("records"):
        mine = [r for r in rows if all(r[k] == rec[k] for k in evidence.KEYS)]
        assert rec["made"] == len(mine)
        assert rec["accepted"] == sum(r["answer"] == "accepted" for r in mine)
        assert rec["declined"] == sum(r["answer"] == "declined" for r in mine)
        assert rec["turned_away"] == sum(r["decline_reason"] == "no_capacity" for r in mine)
        assert rec["withdrawn"] == sum(r["status"] == "withdrawn" for r in mine)
        assert rec["waiting"] == sum(r["status"] == "sent" for r in mine)
    # most turned away first
    assert list(s["turned_away"]) == sorted(s["turned_away"], reverse=True)
    # coarser groupings add up
    by_area = evidence.summarise(_grouped(rows), by=["area_code"])
    assert by_area.set_index("area_code")["made"].to_dict() == \
        dict(Counter(r["area_code"] for r in rows))
    total = evidence.summarise(_grouped(rows), by=[])
    assert int(total["made"].iloc[0]) == len(rows)


def test_an_empty_store_gives_an_empty_frame_with_the_columns():
    s = evidence.summarise(pd.DataFrame(columns=list(evidence.KEYS) + ["status", "answer",
                                                                       "decline_reason", "n"]))
    assert s.empty and list(s.columns) == list(evidence.KEYS) + list(evidence.COUNT_COLUMNS)
    total = evidence.summarise(pd.DataFrame(), by=[])
    assert total.iloc[0].to_dict() == {c: 0 for c in evidence.COUNT_COLUMNS}


@pytest.mark.parametrize("n,shown", [(0, 0), (1, "fewer than 5"), (4, "fewer than 5"), (5, 5),
                                     (12, 12)])
def test_small_numbers_are_suppressed(n, shown):
    assert settings.REFERRAL_SMALL_NUMBER == 5
    assert evidence.suppress(n) == shown
    assert evidence.count_text(n, exact=True) == str(n)


def test_public_counts_suppress_every_count_column():
    s = evidence.summarise(_grouped(_referrals(30)))
    pub = evidence.public_counts(s)
    for col in evidence.COUNT_COLUMNS:
        for exact, shown in zip(s[col], pub[col]):
            assert shown == (exact if exact == 0 or exact >= 5 else "fewer than 5")
    assert evidence.public_counts(s, exact=True).equals(s)


def test_the_commissioning_sentence():
    assert evidence.turned_away_sentence(12, "home_support", "Eastgate") == (
        "12 referrals for home support in Eastgate declined for lack of capacity in the last "
        "quarter")
    assert evidence.turned_away_sentence(3, "befriending", "Eastgate", client_group="dementia",
                                         period="year") == (
        "Fewer than 5 referrals for befriending for people living with dementia in Eastgate "
        "declined for lack of capacity in the last year")
    assert evidence.turned_away_sentence(1, "transport", "Mill End", exact=True) == (
        "1 referral for community transport in Mill End declined for lack of capacity in the "
        "last quarter")
    assert evidence.turned_away_sentence(0, "transport", "Mill End") is None


def test_sentences_for_each_row_with_anyone_turned_away():
    s = pd.DataFrame([
        {"service_type": "home_support", "client_group": "older_people", "area_code": "A",
         "made": 20, "accepted": 5, "declined": 15, "turned_away": 12, "withdrawn": 0,
         "waiting": 0},
        {"service_type": "befriending", "client_group": "older_people", "area_code": "B",
         "made": 2, "accepted": 2, "declined": 0, "turned_away": 0, "withdrawn": 0,
         "waiting": 0}])
    out = evidence.commissioning_sentences(s, {"A": "Eastgate"}, with_group=False)
    assert out == ["12 referrals for home support in Eastgate declined for lack of capacity in "
                   "the last quarter"]


def test_periods():
    today = dt.date(2024, 7, 1)
    assert evidence.period_start("quarter", today) == "2024-04-01"
    assert evidence.period_start("year", today) == "2023-07-02"
    assert evidence.period_start("all", today) is None
    assert evidence.period_name("nonsense") == settings.REFERRAL_DEFAULT_PERIOD == "quarter"
