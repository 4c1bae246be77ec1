"""Review dates: when a published record is due for another look (staleness)."""
from __future__ import annotations

import datetime as dt

from .. import settings
from .forms import blank


def review_due(last_reviewed, now: dt.datetime | None = None,
               days: int | None = None) -> bool:
    """True when a record was never reviewed or not for ``settings.STALE_AFTER_DAYS``."""
    days = settings.STALE_AFTER_DAYS if days is None else days
    if blank(last_reviewed):
        return True
    try:
        t = dt.datetime.fromisoformat(str(last_reviewed))
    except ValueError:
        return True
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    now = now or dt.datetime.now(dt.timezone.utc)
    return (now - t).days >= days
