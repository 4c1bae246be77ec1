"""The other objects of the API and the tabular export, taken from the nested services:
organizations, locations, service-at-locations, and the taxonomies with their terms
(AssetMap's whole vocabulary, and the terms of other taxonomies that imported records
keep)."""
from __future__ import annotations

from ... import __version__
from .parts import term
from .terms import TAXONOMIES, TAXONOMY_DESCRIPTIONS, Context, prune, taxonomy_id


def organizations(pairs: list, *, full: bool = True, full_service: bool = False) -> list:
    """One organization per id, in service order: with its identifiers (``full``) and
    the services it provides (ids and names, or whole with ``full_service``)."""
    out: dict = {}
    for _, s in pairs:
        org = s.get("organization")
        if not org:
            continue
        o = out.setdefault(org["id"], dict(org) if full else
                           {k: v for k, v in org.items() if not isinstance(v, list)})
        o.setdefault("services", []).append(
            s if full_service else {"id": s["id"], "name": s["name"]})
    return list(out.values())


def locations(pairs: list) -> list:
    """One location per id, in service order."""
    out: dict = {}
    for _, s in pairs:
        for sal in s.get("service_at_locations") or []:
            loc = (sal or {}).get("location")
            if loc and loc.get("id") not in out:
                out[loc["id"]] = loc
    return list(out.values())


def sal_item(sal: dict, s: dict, *, full: bool) -> dict:
    """A service-at-location: its links, and (``full``) its location and service."""
    item = {k: v for k, v in sal.items() if k != "location"}
    if full:
        item["location"] = sal.get("location")
        item["service"] = {k: v for k, v in s.items() if k != "service_at_locations"}
    return prune(item) or {}


def _ours(ctx: Context) -> tuple[list, list]:
    taxa, terms = [], []
    for kind, (name, vocab) in TAXONOMIES.items():
        tid = taxonomy_id(kind)
        taxa.append(prune({"id": tid, "name": name, "description": TAXONOMY_DESCRIPTIONS[kind],
                           "version": __version__,
                           "uri": f"{ctx.feed_root}/taxonomies/{tid}" if ctx.root else None}))
        terms += [term(kind, code, ctx) for code in vocab]
    return taxa, [prune(t) for t in terms]


def _kept_terms(pairs: list) -> tuple[list, list]:
    """Terms of other taxonomies that imported records carry, and those taxonomies."""
    ours = {name for name, _ in TAXONOMIES.values()}
    taxa: dict = {}
    terms: dict = {}
    for _, s in pairs:
        for a in s.get("attributes") or []:
            t = a.get("taxonomy_term") or {}
            if not t.get("id") or t.get("taxonomy") in ours or t["id"] in terms:
                continue
            terms[t["id"]] = prune({k: v for k, v in t.items() if k != "taxonomy_detail"})
            if t.get("taxonomy_id") and t["taxonomy_id"] not in taxa:
                detail = t.get("taxonomy_detail") or {}
                name = detail.get("name") or t.get("taxonomy") or t["taxonomy_id"]
                taxa[t["taxonomy_id"]] = prune({
                    "id": t["taxonomy_id"], "name": name,
                    "description": detail.get("description") or name,
                    "uri": detail.get("uri"), "version": detail.get("version")})
    return list(taxa.values()), [t for t in terms.values() if t]


def taxonomies(pairs: list, ctx: Context, *, nested: bool = False) -> list:
    """AssetMap's taxonomies and the other ones records use; ``nested``: with their
    terms (``taxonomy_terms``, as the UK profile has them)."""
    taxa, terms = _ours(ctx)
    more_taxa, more_terms = _kept_terms(pairs)
    taxa += more_taxa
    if not nested:
        return taxa
    terms += more_terms
    return [dict(t, taxonomy_terms=[x for x in terms if x.get("taxonomy_id") == t["id"]])
            for t in taxa]


def taxonomy_terms(pairs: list, ctx: Context) -> list:
    """Every term of AssetMap's vocabulary, then the kept terms of other taxonomies."""
    return _ours(ctx)[1] + _kept_terms(pairs)[1]
