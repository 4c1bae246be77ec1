"""When a provider's vacancies are due for confirming (reminders on its private page and on
the planners' stale list). ``vacancies_confirmed`` is the ISO date (YYYY-MM-DD, a full
timestamp is read too) the provider last said how many vacancies it has."""
from __future__ import annotations

import datetime as dt

from .. import settings


def _as_date(value) -> dt.date | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    if not text or text.lower() in ("nan", "none", "nat"):
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def days_since_confirmed(confirmed, today: dt.date | None = None) -> int | None:
    """Whole days since the vacancies were confirmed, or None if never (or unreadable)."""
    day = _as_date(confirmed)
    if day is None:
        return None
    return ((today or dt.date.today()) - day).days


def capacity_due(confirmed, today: dt.date | None = None, days: int | None = None) -> bool:
    """True when the vacancies were never confirmed or not for CAPACITY_REMINDER_DAYS."""
    days = settings.CAPACITY_REMINDER_DAYS if days is None else days
    n = days_since_confirmed(confirmed, today)
    return n is None or n >= days
