"""The trust fields of the contribution form (issue 11, item 5): who awarded the quality
mark, the CQC rating, the community focus terms, and the preferred provider list.

Only planners verify: a planner's form says whether the council verified the mark
(``quality_mark_verified``); anything a contributor or a provider sends is self-declared,
whatever the posted fields say, except that a mark the council verified stays verified
while the contributor leaves it unchanged. The same rule keeps the preferred list for
planners. No Flask here (the form is a plain mapping, as in :mod:`.forms`).
"""
from __future__ import annotations

from .. import focus, model


def form_value(form, key) -> str:
    """One field of a form (a MultiDict or a plain dict) as text, "" when absent."""
    v = form.get(key) if hasattr(form, "get") else None
    if isinstance(v, (list, tuple)):
        v = v[0] if v else None
    return "" if v is None else str(v)


def form_list(form, key) -> list[str]:
    """A multi-valued field (checkboxes) as a list of text: getlist, a list or a "|" list."""
    if hasattr(form, "getlist"):
        return [str(v) for v in form.getlist(key)]
    v = form.get(key)
    if v is None:
        return []
    return [str(x) for x in v] if isinstance(v, (list, tuple)) else model.split_list(v)


def _bool(form, key) -> bool:
    return form_value(form, key).strip().lower() in ("1", "on", "true", "yes", "y")


def preferred_value(form, can_set_preferred: bool, current: dict | None) -> bool:
    """Only planners say who is on the preferred provider list; for others the current
    record's value is kept."""
    if can_set_preferred:
        return _bool(form, "preferred_list")
    return bool((current or {}).get("preferred_list") or False)


def quality_mark_by(form, quality: str, can_verify: bool, current: dict | None) -> str | None:
    """'council' or 'self' for a mark (None without one). A planner ticks
    ``quality_mark_verified``; others get 'self', unless the record's council-verified mark
    is sent back unchanged."""
    if quality not in model.QUALITY_MARKS or quality == "none":
        return None
    if can_verify:
        return "council" if _bool(form, "quality_mark_verified") else "self"
    cur = current or {}
    if cur.get("quality_mark_by") == "council" and cur.get("quality_mark") == quality:
        return "council"
    return "self"


def check_trust(form, errors, *, quality: str, cqc_location_id: str | None,
                can_verify: bool = False, current: dict | None = None) -> dict:
    """The trust fields checked: the CQC rating (one of model.CQC_RATINGS, only for a
    service with a CQC location id), the community focus terms (ids of assetmap.focus)."""
    rating = form_value(form, "cqc_rating").strip()
    if rating and rating not in model.CQC_RATINGS:
        errors.add("cqc_rating", "Choose a CQC rating from the list")
        rating = ""
    elif rating and not cqc_location_id:
        errors.add("cqc_rating", "A CQC rating belongs to a registered service: give its "
                   "CQC location id, or leave the rating blank (not rated)")
    tags = [t.strip() for t in form_list(form, "community_tags") if t.strip()]
    if any(t not in focus.TERMS for t in tags):
        errors.add("community_tags", "Choose community focus terms from the list")
        tags = [t for t in tags if t in focus.TERMS]
    return {"quality_mark_by": quality_mark_by(form, quality, can_verify, current),
            "cqc_rating": rating or None, "community_tags": focus.join_tags(tags) or None}


def trust_form_values(p: dict) -> dict:
    """Form values of a stored provider's trust fields."""
    return {"community_tags": focus.split_tags(p.get("community_tags")),
            "quality_mark_verified": p.get("quality_mark_by") == "council",
            "cqc_rating": p.get("cqc_rating") or ""}
