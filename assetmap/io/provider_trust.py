"""The trust fields of an imported provider row (issue 11, item 5), for every importer
(spreadsheets, CQC, Open Referral): who awarded the quality mark, the CQC rating and the
community focus terms.

An imported quality mark is self-declared: a file says what the provider claims. Only a
planner importing the council's own file with ``council_marks`` (``assetmap import assets
--council-verified-marks``) records its marks as verified by the council, except rows
whose ``quality_mark_by`` says ``self``. CQC ratings are read in any case ("requires
improvement"); "Not yet rated" and the like are blank (not rated). Community focus terms
are ids, labels or synonyms of ``assetmap.focus`` ('|'-separated); without any, they are
read from the free-text ``community_focus``.
"""
from __future__ import annotations

from .. import focus, model
from .common import blank

_COUNCIL = {"council", "verified", "council verified", "council-verified", "la", "yes",
            "true", "local authority"}
_SELF = {"self", "self-declared", "self declared", "provider", "no", "false"}
_NOT_RATED = {"not rated", "not yet rated", "unrated", "none", "no rating",
              "insufficient evidence to rate", "n/a", "na"}


def cqc_rating_of(value) -> str | None:
    """'requires improvement' -> 'Requires improvement'; None for blanks and not-rated
    wordings; ValueError naming anything else."""
    if blank(value):
        return None
    s = " ".join(str(value).split()).strip()
    for r in model.CQC_RATINGS:
        if s.lower() == r.lower():
            return r
    if s.lower() in _NOT_RATED:
        return None
    raise ValueError(f"'{s[:40]}' is not a CQC rating (one of {', '.join(model.CQC_RATINGS)},"
                     " or blank when not rated)")


def mark_by(p: dict, council_marks: bool) -> str | None:
    """Who awarded the row's quality mark ('council' only from a council file)."""
    mark = "none" if blank(p.get("quality_mark")) else str(p["quality_mark"]).strip().lower()
    if mark == "none":
        return None
    if not council_marks:
        return "self"
    said = "" if blank(p.get("quality_mark_by")) else str(p["quality_mark_by"]).strip().lower()
    if said in _SELF:
        return "self"
    if said and said not in _COUNCIL:
        raise ValueError(f"'{said[:20]}' is not council or self")
    return "council"


def community_tags(p: dict) -> str | None:
    """The row's focus ids ('|'-separated), from its tags or else its free text."""
    if blank(p.get("community_tags")):
        ids = focus.tags_from_text(p.get("community_focus") or "")
    else:
        ids, unknown = focus.parse_tags(p["community_tags"])
        if unknown:
            raise ValueError(f"'{unknown[0][:30]}' is not a community focus term "
                             "(a language, faith, ethnic group, LGBT+, refugees...)")
    return focus.join_tags(ids) or None


def apply(p: dict, *, council_marks: bool = False) -> tuple[str, str] | None:
    """Fill the row's trust fields in place (the quality mark in lower case); (field,
    problem) when one is wrong."""
    if not blank(p.get("quality_mark")):
        p["quality_mark"] = str(p["quality_mark"]).strip().lower()
    for f, get in (("quality_mark_by", lambda: mark_by(p, council_marks)),
                   ("cqc_rating", lambda: cqc_rating_of(p.get("cqc_rating"))),
                   ("community_tags", lambda: community_tags(p))):
        try:
            p[f] = get()
        except ValueError as e:
            return f, str(e)
    return None


def keep_council_facts(prov: list[dict], stored, given) -> None:
    """What only the council says, kept for providers the store already holds (in place):
    a council-verified mark stays verified while the file's mark is the same (as forms
    keep it, ``community.trust_fields``), and a file that does not give the preferred
    list (a feed that does not publish it) keeps the stored flag. ``stored``: the store's
    rows (a frame indexed by id); ``given(asset_id)``: the fields the file gave for it."""
    if stored is None or stored.empty:
        return
    for p in prov:
        aid = p.get("asset_id")
        if aid not in stored.index:
            continue
        o = stored.loc[aid]
        if "preferred_list" not in given(aid) and "preferred_list" in o:
            p["preferred_list"] = bool(o["preferred_list"])
        if o.get("quality_mark_by") == "council" and o.get("quality_mark") == p.get(
                "quality_mark", "none") and p.get("quality_mark_by") == "self":
            p["quality_mark_by"] = "council"
