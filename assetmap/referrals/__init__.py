"""Referrals as records (issue 11): a signed-in referrer (a social worker or care navigator)
refers a person to a micro-provider; the provider answers through its private link; the
answers become evidence of met and turned-away demand for the JSNA.

No Flask and no SQL here: the store (``assetmap.store.referrals``) keeps the records and
calls :mod:`.workflow` inside its transactions, the views call in for checks and words.

* :mod:`.workflow`    statuses, decline reasons, who may move a referral where (the ONE
  place the allowed transitions are written down);
* :mod:`.identifiers` the checks that keep a case reference and notes free of personal
  details (postcodes, emails, phone and NHS numbers, dates, names);
* :mod:`.capacity`    when a provider's vacancies are due for confirming;
* :mod:`.evidence`    counts per service type, client group and area, small-number
  suppression, the commissioning sentence;
* :mod:`.notices`     optional email notices (SMTP settings), never a case reference to
  anyone but the referral's provider and referrer.
"""
from __future__ import annotations

from .capacity import capacity_due, days_since_confirmed
from .evidence import (
    COUNT_COLUMNS,
    public_counts,
    summarise,
    suppress,
    turned_away_sentence,
)
from .identifiers import check_case_ref, check_notes, personal_detail
from .workflow import (
    ACTORS,
    DECLINE_REASONS,
    OPEN_STATUSES,
    STATUSES,
    TRANSITIONS,
    allowed_moves,
    check_transition,
)

__all__ = ["ACTORS", "COUNT_COLUMNS", "DECLINE_REASONS", "OPEN_STATUSES", "STATUSES",
           "TRANSITIONS", "allowed_moves", "capacity_due", "check_case_ref", "check_notes",
           "check_transition", "days_since_confirmed", "personal_detail", "public_counts",
           "summarise", "suppress", "turned_away_sentence"]
