"""Which gap rows a page shows: the service type x client group pair and the capacity unit
a planner picks, the choices they can pick from, and the titles and notes that say what the
rows are (used by the gap map, the gap page and its downloads)."""
from __future__ import annotations

from . import model


def gap_rows(wd, service_type: str, client_group: str, unit: str | None = None):
    """Gap rows for a service type and client group ("" = any), in one capacity unit.

    The pipeline analyses every service type x client group combination that occurs among
    providers (group_kind "service_client", with both columns set), so an offered pair gets
    its own rows. Where the run has none for the exact pair (no provider offers it, or an
    older run that analysed service types and client groups only separately), the service
    type's rows, else the client group's, else all providers' (see :func:`gap_fallback_note`).
    A group has rows per unit its providers count in (hours a week, places: never summed):
    ``unit`` if it has it, else hours, else places (:func:`gap_units` lists them).
    """
    g = wd.gaps
    if not len(g):
        return g
    st = g["service_type"].fillna("").astype(str)
    cg = g["client_group"].fillna("").astype(str)
    for a, b in ((service_type, client_group), (service_type, ""), ("", client_group), ("", "")):
        rows = g[(st == (a or "")) & (cg == (b or ""))]
        if len(rows):
            return _one_unit(rows, unit)
    return g.iloc[0:0]


def _one_unit(rows, unit: str | None):
    """The rows of one capacity unit (``unit`` if present, else hours, else the first)."""
    if "unit" not in rows:
        return rows
    have = [u for u in model.CAPACITY_UNITS if (rows["unit"] == u).any()]
    if not have:
        return rows
    return rows[rows["unit"] == (unit if unit in have else have[0])]


def gap_units(wd, service_type: str, client_group: str) -> list[str]:
    """The capacity units the gap rows of this choice come in (hours first)."""
    rows = gap_rows(wd, service_type, client_group)
    if not len(rows) or "unit" not in wd.gaps:
        return []
    g = wd.gaps
    same = (g["service_type"] == rows["service_type"].iloc[0]) & \
        (g["client_group"] == rows["client_group"].iloc[0])
    return [u for u in model.CAPACITY_UNITS if ((g["unit"] == u) & same).any()]


def gap_choices(wd) -> tuple[list[str], list[str]]:
    """Service types and client groups the run has gaps for ("" = any, when present)."""
    g = wd.gaps
    if not len(g):
        return [], []
    have_st = set(g["service_type"].fillna("").astype(str))
    have_cg = set(g["client_group"].fillna("").astype(str))
    sts = ([""] if "" in have_st else []) + [s for s in model.SERVICE_TYPES if s in have_st]
    cgs = ([""] if "" in have_cg else []) + [c for c in model.CLIENT_GROUPS if c in have_cg]
    return sts, cgs


def has_gap_pairs(wd) -> bool:
    """True when the run analysed service type x client group combinations."""
    g = wd.gaps
    if not len(g) or "service_type" not in g or "client_group" not in g:
        return False
    st = g["service_type"].fillna("").astype(str)
    cg = g["client_group"].fillna("").astype(str)
    return bool(((st != "") & (cg != "")).any())


def gap_fallback_note(wd, rows, service_type: str, client_group: str) -> str | None:
    """What a page says when :func:`gap_rows` could not show the exact choice (None when it
    did)."""
    if not len(rows):
        return None
    got = (str(rows["service_type"].iloc[0] or ""), str(rows["client_group"].iloc[0] or ""))
    if got == (service_type or "", client_group or ""):
        return None
    shown = gap_title(*got)
    if has_gap_pairs(wd):
        return (f"No provider in the data offers {gap_title(service_type, client_group).lower()}"
                f"; showing {shown}.")
    return (f"The analysis ranks service types and client groups separately; "
            f"showing {shown}.")


def rows_title(rows, service_type: str = "", client_group: str = "") -> str:
    """The title of what gap rows actually hold (after gap_rows' fallback)."""
    if len(rows):
        return gap_title(str(rows["service_type"].iloc[0] or ""),
                         str(rows["client_group"].iloc[0] or ""))
    return gap_title(service_type, client_group)


def gap_title(service_type: str, client_group: str) -> str:
    st = model.SERVICE_TYPES.get(service_type, "All services") if service_type else "All services"
    cg = model.CLIENT_GROUPS.get(client_group, client_group).lower() if client_group else "everyone"
    return f"{st} for {cg}"
