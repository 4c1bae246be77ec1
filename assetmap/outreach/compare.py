"""Saving an outreach plan, reopening it exactly as saved, and comparing it with a plan
rebuilt now from the same parameters: what changed in reach and in need."""
from __future__ import annotations

from .. import settings
from .params import PlanParams
from .plan import make_plan


def save(store, plan: dict, name: str = "", created_by: str | None = None) -> int:
    """Save ``plan`` in the store (named after its patch and client group unless ``name``
    is given); its id."""
    name = (name or "").strip() or f"{plan['patch']['label']} ({plan['params']['client_group']})"
    return store.save_outreach_plan(name, plan, created_by=created_by)


def reopen(store, plan_id: int) -> dict:
    """A saved plan exactly as it was saved (with ``saved`` metadata added)."""
    rec = store.get_outreach_plan(plan_id)
    plan = rec["plan"]
    plan["saved"] = {"id": rec["id"], "name": rec["name"], "created_at": rec["created_at"],
                     "created_by": rec["created_by"]}
    return plan


def compare(store, saved: dict) -> dict:
    """What changed since ``saved`` was made: assets new within reach, closed or retired ones,
    updated ones, and areas whose need, isolation, rank or hotspot status moved."""
    params = PlanParams.from_dict(saved["params"])
    current = make_plan(store, params)
    old, new = saved["reach"]["assets"], current["reach"]["assets"]
    added = [{"id": i, **new[i]} for i in sorted(new) if i not in old]
    closed, moved = _gone_assets(store, old, new)
    updated = [{"id": i, **new[i], "old_version": old[i]["version"]} for i in sorted(new)
               if i in old and new[i]["version"] != old[i]["version"]]
    vac = [{"id": i, "name": new[i]["name"], "before": old[i].get("vacancies"),
            "now": new[i].get("vacancies")} for i in sorted(new)
           if i in old and new[i].get("is_provider")
           and (old[i].get("vacancies") or 0) != (new[i].get("vacancies") or 0)]
    need = _need_changes(store, saved["need"], current["need"])
    return {"saved_run_id": saved.get("run_id"), "current_run_id": current.get("run_id"),
            "saved_data_version": saved.get("data_version"),
            "current_data_version": current.get("data_version"),
            "new_assets": added, "closed_assets": closed, "moved_assets": moved,
            "updated_assets": updated, "vacancy_changes": vac, "need_changes": need,
            "summary": _summary(added, closed, updated, vac, need), "current": current}


def _gone_assets(store, old: dict, new: dict) -> tuple[list[dict], list[dict]]:
    """(closed, moved): assets once in reach and no longer, split by their status now
    (still approved: moved out of reach; otherwise closed, retired or removed)."""
    gone_ids = [i for i in sorted(old) if i not in new]
    status = {}
    if gone_ids:
        df = store.read_assets(statuses=None, ids=gone_ids, with_providers=False)
        status = dict(zip(df["id"].astype(str), df["status"]))
    closed, moved = [], []
    for i in gone_ids:
        st = status.get(i)
        rec = {"id": i, **old[i], "status": st or "removed"}
        if st == "approved":
            moved.append(rec)
        else:
            closed.append(rec)
    return closed, moved


def _need_changes(store, old_need: dict, new_need: dict) -> list[dict]:
    """The areas whose need or isolation moved by ``OUTREACH_NEED_CHANGE_Z`` or more, or
    whose rank or hotspot status changed, by rank now."""
    names = dict(zip(store.read_areas(None)["code"], store.read_areas(None)["name"]))
    need = []
    thr = settings.OUTREACH_NEED_CHANGE_Z
    for code, o in old_need.items():
        c = new_need.get(code)
        if c is None:
            continue
        d_need = c["need_z"] - o["need_z"]
        d_iso = c["isolation_z"] - o["isolation_z"]
        if abs(d_need) >= thr or abs(d_iso) >= thr or c["rank"] != o["rank"] \
                or c["hotspot"] != o["hotspot"]:
            need.append({"code": code, "name": names.get(code, code),
                         "rank_before": o["rank"], "rank_now": c["rank"],
                         "need_change_z": round(d_need, 2), "isolation_change_z": round(d_iso, 2),
                         "hotspot_before": o["hotspot"], "hotspot_now": c["hotspot"]})
    need.sort(key=lambda r: r["rank_now"])
    return need


def _summary(added, closed, updated, vac, need) -> list[str]:
    """The changes in a few sentences."""
    summary = []
    if added:
        summary.append(f"{len(added)} new asset{'s' if len(added) != 1 else ''} within reach: "
                       + ", ".join(r["name"] for r in added[:5])
                       + (" ..." if len(added) > 5 else ""))
    if closed:
        summary.append(f"{len(closed)} closed or retired: "
                       + ", ".join(f"{r['name']} ({r['status']})" for r in closed[:5]))
    if updated:
        summary.append(f"{len(updated)} updated since the plan was made")
    if vac:
        summary.append(f"{len(vac)} provider{'s' if len(vac) != 1 else ''} changed vacancies")
    if need:
        summary.append(f"need or ranking changed in {len(need)} area"
                       f"{'s' if len(need) != 1 else ''}")
    if not summary:
        summary.append("Nothing has changed since the plan was made.")
    return summary
