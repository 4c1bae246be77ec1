"""Trust signals in words (issue 11, item 5): the ONE place the directory, the referral
finder and the map popups take their wording from: who awarded a quality mark, the CQC
rating, the price against the council's own hourly rate, the preferred-list flag; and the
tests the filters apply (a minimum CQC rating; verified marks only).

No Flask, no folium: plain values in, plain text out (the callers escape it).
"""
from __future__ import annotations

import math

from . import settings
from .model import CQC_RATINGS

MARK_NAMES = {"gold": "Gold", "silver": "Silver", "bronze": "Bronze"}
#: The directory's "CQC rating" filter: key -> (label, the ratings it keeps). Blank keeps
#: everyone, rated or not: "not rated" (every sole trader) is never a reason to drop one.
CQC_FILTERS = {
    "good": ("Good or better", ("Outstanding", "Good")),
    "outstanding": ("Outstanding", ("Outstanding",)),
    "rated": ("Any CQC rating", CQC_RATINGS),
}
PREFERRED_TEXT = "On the council's preferred provider list"


def _blank(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == ""


def quality_text(mark, by) -> str:
    """'Gold quality mark, verified by the council', 'Gold (self-declared)', or 'No
    quality mark'."""
    name = MARK_NAMES.get(str(mark or "none").lower())
    if name is None:
        return "No quality mark"
    if str(by or "").lower() == "council":
        return f"{name} quality mark, verified by the council"
    return f"{name} (self-declared)"


def is_verified(mark, by) -> bool:
    """A quality mark the council verified."""
    return str(mark or "none").lower() in MARK_NAMES and str(by or "").lower() == "council"


def cqc_text(rating) -> str:
    """'CQC: Good'; '' when not rated (nothing said against a provider CQC cannot rate)."""
    return "" if _blank(rating) else f"CQC: {rating}"


def cqc_meets(rating, minimum: str) -> bool:
    """Whether a provider passes the CQC filter ``minimum`` (a :data:`CQC_FILTERS` key; blank
    or unknown: everyone passes, rated or not)."""
    if minimum not in CQC_FILTERS:
        return True
    return not _blank(rating) and str(rating) in CQC_FILTERS[minimum][1]


def council_rate(value=None) -> float | None:
    """The council's hourly rate to compare with (``settings.COUNCIL_HOURLY_RATE`` unless
    given); None when the council has not set one."""
    v = settings.COUNCIL_HOURLY_RATE if value is None else value
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) and f > 0 else None


def price_against_rate(price, rate=None) -> str:
    """'GBP 2.00 below the council rate', 'GBP 1.50 above the council rate', 'at the
    council rate'; '' when the price or the council's rate is not known."""
    r = council_rate(rate)
    try:
        p = float(price)
    except (TypeError, ValueError):
        return ""
    if r is None or not math.isfinite(p):
        return ""
    diff = round(p - r, 2)
    if abs(diff) < 0.005:
        return "at the council rate"
    return f"GBP {abs(diff):,.2f} {'above' if diff > 0 else 'below'} the council rate"


def preferred_visible(staff: bool) -> bool:
    """Whether the preferred-list flag may be shown: to signed-in staff always, to the
    public only where the council publishes it (``settings.PUBLISH_PREFERRED_LIST``)."""
    return bool(staff or settings.PUBLISH_PREFERRED_LIST)
