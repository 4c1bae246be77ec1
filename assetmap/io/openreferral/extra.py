"""What an imported Open Referral record holds beyond AssetMap's fields, kept verbatim
with the record (the asset column ``oruk_extra``, JSON text) and published again.

At import (:func:`build`) the original service is compared, key by key, with the service
AssetMap's own fields give for the imported record (:func:`.record.generated_record`).
Each top-level key (and each key of the organization) that differs is kept as the
original had it, with a fingerprint of what AssetMap generated for it then. At export
(:func:`merge`) a kept value replaces the generated one while AssetMap still generates
what it did at import: once someone edits the fields behind it (the contact, the price,
the location...), AssetMap's current value wins and the kept one is no longer published.
Attributes of other taxonomies are always kept beside AssetMap's own.

Privacy holds for kept values as for AssetMap's own: a record whose contact is not public
publishes no kept e-mail, phone or contact, and a home-based record no kept location.

The JSON: ``{"ids": {service, organization, location, service_at_location},
"kept": {key: value}, "organization": {key: value}, "basis": {key: fingerprint},
"attributes": [attribute, ...]}``.
"""
from __future__ import annotations

import hashlib
import json

from .terms import TAXONOMIES, field

#: Keys holding contact details (dropped from kept values when the contact is private).
CONTACT_KEYS = ("email", "phones", "contacts")
#: Keys holding where a service is (never kept for a home-based record).
PLACE_KEYS = ("service_at_locations", "locations")
_OURS = {name for name, _ in TAXONOMIES.values()}


def load(text) -> dict:
    """The parsed ``oruk_extra`` (an empty dict for none or unreadable text)."""
    if not text:
        return {}
    if isinstance(text, dict):
        return text
    try:
        out = json.loads(text)
    except ValueError:
        return {}
    return out if isinstance(out, dict) else {}


def fingerprint(value) -> str:
    """A short digest of a JSON value (keys sorted)."""
    data = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def is_ours(attr: dict) -> bool:
    """True for an attribute whose term is from one of AssetMap's taxonomies."""
    return str((attr.get("taxonomy_term") or {}).get("taxonomy") or "") in _OURS


def build(original: dict, generated: dict, ids: dict) -> dict:
    """The extra of an imported service: its ids, and every key where the ``original``
    differs from what AssetMap ``generated`` for the imported record."""
    kept, org_kept, basis = {}, {}, {}
    for k, v in original.items():
        if k in ("attributes", "organization"):
            continue
        if v != generated.get(k):
            kept[k] = v
            basis[k] = fingerprint(generated.get(k))
    org, gen_org = original.get("organization") or {}, generated.get("organization") or {}
    for k, v in org.items():
        if v != gen_org.get(k):
            org_kept[k] = v
            basis["organization." + k] = fingerprint(gen_org.get(k))
    foreign = [a for a in original.get("attributes") or [] if not is_ours(a)]
    out = {"ids": ids, "kept": kept, "organization": org_kept, "basis": basis,
           "attributes": foreign}
    return {k: v for k, v in out.items() if v}


def dumps(extra: dict) -> str | None:
    return json.dumps(extra, sort_keys=True, separators=(",", ":")) if extra else None


def _scrub(obj, keys):
    """``obj`` without ``keys`` at any depth."""
    if isinstance(obj, dict):
        return {k: _scrub(v, keys) for k, v in obj.items() if k not in keys}
    if isinstance(obj, list):
        return [_scrub(v, keys) for v in obj]
    return obj


def _private(row, kept: dict) -> dict:
    """Kept values with what the privacy rules withhold taken out."""
    if not field(row, "contact_public"):
        kept = {k: _scrub(v, CONTACT_KEYS) for k, v in kept.items() if k not in CONTACT_KEYS}
    if field(row, "home_based"):
        kept = {k: v for k, v in kept.items() if k not in PLACE_KEYS}
    return kept


def merge(generated: dict, row, regenerate) -> dict:
    """``generated`` with the record's kept values merged back where AssetMap still
    generates what it did at import (``regenerate(row)``: the record without links, as at
    import), privacy rules applied."""
    ex = load(field(row, "oruk_extra"))
    if not ex:
        return generated
    now = regenerate(row)
    basis = ex.get("basis", {})
    out = dict(generated)
    for k, v in _private(row, ex.get("kept", {})).items():
        if basis.get(k) == fingerprint(now.get(k)):
            out[k] = v
    org = dict(out.get("organization") or {})
    now_org = now.get("organization") or {}
    for k, v in _private(row, ex.get("organization", {})).items():
        if basis.get("organization." + k) == fingerprint(now_org.get(k)):
            org[k] = v
    if org:
        out["organization"] = org
    have = {a.get("id") for a in out.get("attributes") or []}
    extra_attrs = [a for a in ex.get("attributes", []) if a.get("id") not in have]
    if extra_attrs:
        out["attributes"] = list(out.get("attributes") or []) + extra_attrs
    return out
