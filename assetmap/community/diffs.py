"""What a contribution or an edit changes: field-by-field rows for the moderator's diff and
the audit trail. A home-based provider's address is never shown, only that it changed."""
from __future__ import annotations

from .. import model
from .duplicates import great_circle_m
from .forms import ASSET_FIELDS, HOME_HIDDEN, LABELS, PROVIDER_FIELDS, Contribution, blank

#: Version bookkeeping, not fields a person changed.
_NOT_FIELDS = ("version", "updated_at", "updated_by", "provider", "lon", "lat", "created_at",
               "created_by")


def _show(v):
    if blank(v):
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _hidden(v: str) -> str:
    return "(a home address: not shown)" if v else ""


def _moved(lon1, lat1, lon2, lat2) -> dict | None:
    """A 'moved N m' row when two points are a metre or more apart."""
    d = float(great_circle_m(lon1, lat1, [lon2], [lat2])[0])
    if d >= 1:
        return {"field": "location", "label": "Location", "old": "", "new": f"moved {round(d)} m"}
    return None


def _asset_rows(cur: dict, proposed: dict, home: bool) -> list[dict]:
    rows = []
    for f in ASSET_FIELDS:
        old, new = _show(cur.get(f)), _show(proposed.get(f))
        if old != new:
            if home and f in HOME_HIDDEN:
                old, new = _hidden(old), _hidden(new)
            rows.append({"field": f, "label": LABELS.get(f, f), "old": old, "new": new})
    return rows


def _provider_rows(cur: dict, p: dict) -> list[dict]:
    rows = []
    for f in PROVIDER_FIELDS:
        old, new = _show(cur.get(f)), _show(p.get(f))
        if f in ("service_types", "client_groups"):
            old = ", ".join(model.split_list(old))
            new = ", ".join(model.split_list(new))
        if old != new:
            rows.append({"field": f, "label": LABELS.get(f, f), "old": old, "new": new})
    return rows


def diff(current: dict | None, proposed: Contribution) -> list[dict]:
    """Field-by-field changes between the current record (asset row with provider columns,
    as from ``store.get_asset``) and a proposal. Locations are compared by distance only."""
    cur = current or {}
    home = bool(cur.get("home_based") or proposed.asset.get("home_based"))
    rows = _asset_rows(cur, proposed.asset, home)
    if proposed.provider is not None or not blank(cur.get("service_types")):
        rows += _provider_rows(cur, proposed.provider or {})
    g = cur.get("geometry")
    if proposed.lon is not None and g is not None:
        moved = _moved(g.x, g.y, proposed.lon, proposed.lat)
        if moved:
            rows.append(moved)
    return rows


def _version_rows(older: dict, newer: dict, home: bool) -> list[dict]:
    rows = []
    for k in [k for k in newer if k not in _NOT_FIELDS]:
        old, new = _show(older.get(k)), _show(newer.get(k))
        if old != new:
            if home and k in HOME_HIDDEN:
                old, new = _hidden(old), _hidden(new)
            rows.append({"label": LABELS.get(k, k), "old": old, "new": new})
    po, pn = older.get("provider") or {}, newer.get("provider") or {}
    for k in sorted(set(po) | set(pn)):
        if _show(po.get(k)) != _show(pn.get(k)):
            rows.append({"label": LABELS.get(k, k), "old": _show(po.get(k)),
                         "new": _show(pn.get(k))})
    return rows


def version_changes(older: dict | None, newer: dict) -> list[dict]:
    """Changes between two stored versions (``asset_versions.data`` dicts)."""
    older = older or {}
    home = bool(older.get("home_based") or newer.get("home_based"))
    rows = _version_rows(older, newer, home)
    if older and (older.get("lon"), older.get("lat")) != (newer.get("lon"), newer.get("lat")) \
            and newer.get("lon") is not None and older.get("lon") is not None:
        moved = _moved(older["lon"], older["lat"], newer["lon"], newer["lat"])
        if moved:
            rows.append({k: moved[k] for k in ("label", "old", "new")})
    return rows
