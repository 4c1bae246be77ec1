"""Referrals as JSNA evidence: how many were made, accepted and declined per service type,
client group and area, and how many were turned away for lack of capacity (observed unmet
demand, shown beside the modelled gaps).

The store hands over counts grouped by (service_type, client_group, area_code, status,
answer, decline_reason) in a period (``ReferralsMixin.referral_counts``), never a case
reference or a referrer; :func:`summarise` turns them into the evidence columns.

Public outputs suppress small numbers (:func:`suppress`): a count of 1 to 4 is shown as
"fewer than 5" (``settings.REFERRAL_SMALL_NUMBER``), 0 and 5 or more as they are. Signed-in
planners may see exact counts.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from .. import model, settings
from .workflow import TURNED_AWAY_REASON

#: The evidence columns, in order, and what each counts.
COUNT_COLUMNS = {
    "made": "referrals made in the period",
    "accepted": "accepted by the provider (open or closed since)",
    "declined": "declined by the provider, for any reason",
    "turned_away": "declined for lack of capacity: observed unmet demand",
    "withdrawn": "withdrawn by the referrer",
    "waiting": "sent and not yet answered",
}
#: Grouping columns the store's counts carry.
KEYS = ("service_type", "client_group", "area_code")
#: The text every public output shows instead of a count of 1 to 4.
FEWER = "fewer than {n}"

#: How each service type and client group reads inside a sentence.
SERVICE_PHRASES = {
    "home_support": "home support", "domiciliary_care": "domiciliary care",
    "day_activities": "day activities", "accommodation": "accommodation",
    "befriending": "befriending", "transport": "community transport",
    "other": "other services",
}
GROUP_PHRASES = {
    "older_people": "older people", "learning_disability": "people with learning disabilities",
    "autism": "autistic people", "physical_disability": "people with physical disabilities",
    "mental_health": "people with mental health needs", "dementia": "people living with dementia",
    "carers": "carers",
}
PERIOD_PHRASES = {"quarter": "in the last quarter", "year": "in the last year",
                  "all": "since records began"}


def period_start(period: str, today: dt.date | None = None) -> str | None:
    """The first day (ISO) of an evidence period (``settings.REFERRAL_PERIODS``), None for
    all time; an unknown period is the default one."""
    days = settings.REFERRAL_PERIODS.get(period, settings.REFERRAL_PERIODS[
        settings.REFERRAL_DEFAULT_PERIOD])
    if days is None:
        return None
    return ((today or dt.date.today()) - dt.timedelta(days=days)).isoformat()


def period_name(period: str | None) -> str:
    """A known period's key (the default for anything else)."""
    return period if period in settings.REFERRAL_PERIODS else settings.REFERRAL_DEFAULT_PERIOD


def summarise(counts: pd.DataFrame, by=KEYS) -> pd.DataFrame:
    """Evidence per ``by`` (any of service_type, client_group, area_code) from the store's
    grouped counts (columns KEYS + status, answer, decline_reason, n). Rows with no
    referral are absent; the count columns are integers."""
    by = list(by)
    cols = by + list(COUNT_COLUMNS)
    if counts is None or not len(counts):
        if not by:                       # the totals of nothing: one row of zeros
            return pd.DataFrame([{c: 0 for c in COUNT_COLUMNS}]).astype("int64")
        return pd.DataFrame({c: pd.Series(dtype="object" if c in by else "int64")
                             for c in cols})
    c = counts.copy()
    n = c["n"].astype("int64")
    c["made"] = n
    c["accepted"] = n.where(c["answer"] == "accepted", 0)
    c["declined"] = n.where(c["answer"] == "declined", 0)
    c["turned_away"] = n.where((c["answer"] == "declined")
                               & (c["decline_reason"] == TURNED_AWAY_REASON), 0)
    c["withdrawn"] = n.where(c["status"] == "withdrawn", 0)
    c["waiting"] = n.where(c["status"] == "sent", 0)
    if not by:
        return c[list(COUNT_COLUMNS)].sum().to_frame().T.astype("int64")
    out = c.groupby(by, dropna=False)[list(COUNT_COLUMNS)].sum().reset_index()
    return out.sort_values(["turned_away", "made"] + by, ascending=[False, False]
                           + [True] * len(by)).reset_index(drop=True)[cols]


def suppress(n, small: int | None = None):
    """A count as a public output shows it: 0 and counts of ``small`` (5) or more as they
    are, 1 to ``small`` - 1 as "fewer than 5"."""
    small = settings.REFERRAL_SMALL_NUMBER if small is None else small
    n = int(n)
    return FEWER.format(n=small) if 0 < n < small else n


def public_counts(summary: pd.DataFrame, exact: bool = False) -> pd.DataFrame:
    """``summary`` with every count column suppressed (unless ``exact``)."""
    out = summary.copy()
    if exact:
        return out
    for col in COUNT_COLUMNS:
        if col in out:
            out[col] = out[col].map(suppress).astype(object)
    return out


def count_text(n: int, exact: bool = False) -> str:
    """'12', '0' or 'fewer than 5' (exact: the number itself)."""
    return f"{int(n):,}" if exact else (f"{v:,}" if isinstance(v := suppress(n), int) else v)


def turned_away_sentence(n: int, service_type: str, area_name: str, *,
                         client_group: str | None = None, period: str = "quarter",
                         exact: bool = False) -> str | None:
    """'12 referrals for home support in Eastgate declined for lack of capacity in the last
    quarter' (a count of 1 to 4 as 'Fewer than 5 referrals ...' unless ``exact``); None
    when nobody was turned away."""
    if int(n) <= 0:
        return None
    count = count_text(n, exact)
    noun = "referral" if exact and int(n) == 1 else "referrals"
    what = SERVICE_PHRASES.get(service_type, model.SERVICE_TYPES.get(service_type,
                                                                       service_type).lower())
    if client_group:
        what += " for " + GROUP_PHRASES.get(client_group, client_group.replace("_", " "))
    text = (f"{count} {noun} for {what} in {area_name} declined for lack of capacity "
            f"{PERIOD_PHRASES.get(period_name(period))}")
    return text[0].upper() + text[1:]


def commissioning_sentences(summary: pd.DataFrame, area_names: dict, *, period: str = "quarter",
                            exact: bool = False, limit: int | None = None,
                            with_group: bool = True) -> list[str]:
    """One :func:`turned_away_sentence` per row of ``summary`` (service_type, area_code and,
    if ``with_group``, client_group) with anyone turned away, most first."""
    if summary is None or not len(summary) or "turned_away" not in summary:
        return []
    rows = summary[summary["turned_away"] > 0].sort_values("turned_away", ascending=False)
    out = []
    for r in rows.to_dict("records"):
        text = turned_away_sentence(
            r["turned_away"], r["service_type"],
            area_names.get(r.get("area_code"), r.get("area_code") or "the borough"),
            client_group=r.get("client_group") if with_group else None, period=period,
            exact=exact)
        if text:
            out.append(text)
    return out[:limit] if limit else out
