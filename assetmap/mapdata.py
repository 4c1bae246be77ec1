"""What each map's area layers show, made once per data version: the needs measures a page
can pick, walking minutes, and the per-area layer data (``layers.areadata.AreaLayer``) of the
overview, gap and hotspot maps. The pages (through ``maps``) and ``/map/areas.json`` read the
same layers, so a national map's areas in view are the page's own."""
from __future__ import annotations

from . import model
from .gapview import gap_choices, gap_rows, rows_title
from .layers import access as access_layer
from .layers import areadata, areagg
from .layers import areas as areas_layer
from .layers import classes as classes_mod
from .layers import gaps as gaps_layer
from .layers import hotspots as hotspots_layer
from .layers import needs as needs_layer

AREA_LINK = "/areas/{code}"
#: Needs layers other than stored indicators: analysis results on the areas frame.
RESULT_MEASURES = {
    "need_index": ("Need index (older people)", "score"),
    "loneliness_risk": ("Loneliness risk, 65+ (modelled)", "score"),
    "isolation": ("Isolation score", "score"),
}


#: Need indicators about older people: a need index made with none of them (a place with
#: only the Indices of Deprivation) is not called an older people's index.
OLDER_PEOPLE_INDICATORS = ("living_alone_65", "idaopi", "loneliness_risk")


def need_title(wd) -> str:
    """The need index's title: "(older people)" when the run used an older people's
    indicator (or does not say), else the indicators it was made from."""
    used = list(((wd.run or {}).get("summary") or {}).get("indicators_used") or {})
    if not used or set(used) & set(OLDER_PEOPLE_INDICATORS):
        return RESULT_MEASURES["need_index"][0]
    titles = dict(zip(wd.indicators["id"], wd.indicators["title"])) if len(wd.indicators) \
        else {}
    return "Need index (from " + ", ".join(titles.get(i, i) for i in used) + ")"


def measures(wd) -> dict[str, tuple[str, str]]:
    """Everything the needs choropleth can show: id -> (title, unit) (kept on ``wd``)."""
    cached = getattr(wd, "_measures", None)
    if cached is not None:
        return cached
    out = {}
    for k, v in RESULT_MEASURES.items():
        if k in wd.areas and wd.areas[k].notna().any():
            out[k] = (need_title(wd), v[1]) if k == "need_index" else v
    have = set(wd.values["indicator_id"]) if len(wd.values) else set()
    for r in wd.indicators.itertuples():
        if r.id in have and r.id not in out:
            out[r.id] = (r.title, r.unit)
    try:
        wd._measures = out
    except AttributeError:
        pass
    return out


def measure_values(wd, measure: str):
    """Values of ``measure`` aligned with ``wd.areas``."""
    if measure in RESULT_MEASURES and measure in wd.areas:
        return wd.areas[measure].to_numpy(dtype=float)
    v = wd.values[wd.values["indicator_id"] == measure].set_index("area_code")["value"]
    return wd.areas["code"].map(v).to_numpy(dtype=float)


def default_measure(wd) -> str | None:
    ms = measures(wd)
    if not ms:
        return None
    return "need_index" if "need_index" in ms else next(iter(ms))


def access_minutes(wd, category: str, column: str = "minutes"):
    """One column of the access results for ``category``, aligned with ``wd.areas``."""
    a = wd.access[wd.access["category"] == category].set_index("area_code")[column]
    return wd.areas["code"].map(a).to_numpy(dtype=float if column == "minutes" else object)


def _access(wd, category: str) -> areadata.AreaLayer:
    """The walking-minutes layer, with walks beyond the run's cap and areas off the
    network said as such."""
    run = wd.run or {}
    cap = (run.get("params") or {}).get("access_max_minutes")
    # without any street network every area is an estimate, and the page's note says so
    partial = (run.get("summary") or {}).get("router") == "network"
    off = wd.areas["off_network"].to_numpy(dtype=object) \
        if partial and "off_network" in wd.areas else None
    return access_layer.layer(access_minutes(wd, category), category=category,
                              beyond=access_minutes(wd, category, "beyond_cap"),
                              off_network=off, cap=cap)


#: Labels of access categories (asset categories, "social": any social asset, "essential":
#: GP practice, pharmacy and food shop combined).
CATEGORY_LABELS = {**model.ASSET_CATEGORIES, "social": "Any social asset",
                   "essential": "Essential services (GP, pharmacy, food shop)"}


def _needs(wd, measure, scheme, k) -> areadata.AreaLayer | None:
    ms = measures(wd)
    if measure not in ms:
        return None
    title, unit = ms[measure]
    vals = measure_values(wd, measure)
    frame = wd.areas[["code"]].copy()
    frame[measure] = vals
    return needs_layer.layer(frame, measure, title=title, unit=unit, scheme=scheme, k=k,
                             classes=classes_mod.cached(wd, measure, vals, scheme, k))


def overview_layers(wd, *, measure: str | None = None, scheme: str = "quantiles", k: int = 5,
                    access_category: str = "community_centre", service_type: str | None = None,
                    client_group: str | None = None) -> dict[str, tuple[areadata.AreaLayer, dict]]:
    """The overview's per-area layers (id -> (data, how it is drawn)), made once per data
    version and choice: the page and ``/map/areas.json`` read the same."""
    measure = measure or default_measure(wd)
    key = ("overview-layers", measure, scheme, int(k), access_category, service_type,
           client_group)
    return wd.memoise(key, lambda: _overview_layers(wd, measure, scheme, k, access_category,
                                                    service_type, client_group))


def _overview_layers(wd, measure, scheme, k, access_category, service_type, client_group):
    out: dict[str, tuple[areadata.AreaLayer, dict]] = {}
    needs = _needs(wd, measure, scheme, k) if measure else None
    if needs is not None:
        out["needs"] = (needs, {"name": "Needs", "show": True})
    elif len(wd.areas):
        out["areas"] = (areas_layer.layer(wd.areas), {"name": "Areas", "show": True,
                                                      "link_template": AREA_LINK})
    if len(wd.access):
        cats = set(wd.access["category"])
        cat = access_category if access_category in cats else wd.access["category"].iloc[0]
        lay = _access(wd, cat)
        out["access"] = (lay, {"name": lay.legend_title, "show": False, "link_template": None})
    if len(wd.gaps):
        sts, cgs = gap_choices(wd)
        st = service_type if service_type in sts else sts[0]
        cg = client_group if client_group in cgs else cgs[0]
        rows = gap_rows(wd, st, cg)
        out["gaps"] = (gaps_layer.layer(wd.areas, rows, subtitle=rows_title(rows, st, cg)),
                       {"name": "Gaps: need vs supply", "show": False})
    if len(wd.hotspots):
        lay = hotspots_layer.layer(wd.areas, wd.hotspots, kind="gi", show=False,
                                   method=_hotspot_method(wd))
        out["gi"] = (lay, {"name": lay.legend_title, "show": False})
    return out


def _hotspot_method(wd) -> dict | None:
    """How the run tested for hotspots (its summary), for the legend to say."""
    return ((wd.run or {}).get("summary") or {}).get("hotspot_method")


def gap_layers(wd, service_type: str, client_group: str, unit: str | None = None) -> dict:
    """The gap map's layer (id "gaps" -> (data, how it is drawn)), once per choice."""
    def build():
        rows = gap_rows(wd, service_type, client_group, unit)
        lay = gaps_layer.layer(wd.areas, rows,
                               subtitle=rows_title(rows, service_type, client_group))
        return {"gaps": (lay, {"name": "Gaps: need vs supply", "show": True})}
    return wd.memoise(("gap-layers", service_type, client_group, unit), build)


def hotspot_layers(wd) -> dict:
    """The hotspot map's layers (Gi* shown, LISA off), once per data version."""
    def build():
        method = _hotspot_method(wd)
        out = {}
        for kind, show in (("gi", True), ("lisa", False)):
            lay = hotspots_layer.layer(wd.areas, wd.hotspots, kind=kind, show=show,
                                       method=method)
            out[kind] = (lay, {"name": lay.legend_title, "show": show})
        return out
    return wd.memoise(("hotspot-layers",), build)


# --- aggregates: a national view with more areas than the map draws at once --------------------
def area_groups(wd) -> areagg.Groups | None:
    """The areas grouped by parent (local authority or ward) with dissolved shapes, once per
    data version; None when the areas have no parents."""
    return wd.memoise(("area-groups",), lambda: areagg.groups(wd.areas))


def aggregate_layers(wd, layers: dict, choices: dict):
    """(groups, the map's ``layers`` aggregated to them) for ``choices`` (measure, scheme,
    k, category of the overview), once per data version and choice; None without parents."""
    g = area_groups(wd)
    if g is None:
        return None
    key = ("aggregate-layers", tuple(layers), tuple(sorted(choices.items())))
    return g, wd.memoise(key, lambda: [_aggregate(wd, g, lay, choices)
                                       for lay, _ in layers.values()])


def _aggregate(wd, g, lay: areadata.AreaLayer, choices: dict) -> areadata.AreaLayer:
    """One layer per group: population-weighted means for the needs measure (sums for a
    count) and walking minutes (classes of the aggregate values, cached like the areas'),
    class shares else."""
    n, pop = len(g.frame), areagg.population(wd.areas)
    how = "population-weighted mean"
    measure = choices.get("measure") or default_measure(wd)
    if lay.id == "needs" and measure in measures(wd):
        title, unit = measures(wd)[measure]
        if str(unit).strip().lower() in areagg.COUNT_UNITS:
            how, vals = "sum of the areas", areagg.total(measure_values(wd, measure), g.inv, n)
        else:
            vals = areagg.weighted_mean(measure_values(wd, measure), pop, g.inv, n)
        frame = g.frame[["code"]].copy()
        frame[measure] = vals
        scheme, k = choices.get("scheme") or "quantiles", int(choices.get("k") or 5)
        cls = classes_mod.cached(wd, f"aggregate:{measure}", vals, scheme, k)
        return areagg.headed(needs_layer.layer(frame, measure, title=title, unit=unit,
                                               scheme=scheme, k=k, classes=cls), g, how)
    if lay.id == "access" and len(wd.access):
        cats = set(wd.access["category"])
        cat = choices.get("category") or "community_centre"
        cat = cat if cat in cats else wd.access["category"].iloc[0]
        mins = areagg.weighted_mean(access_minutes(wd, cat), pop, g.inv, n)
        cap = ((wd.run or {}).get("params") or {}).get("access_max_minutes")
        return areagg.headed(access_layer.layer(mins, category=cat, cap=cap), g,
                             how + " of the areas' walks")
    return areagg.headed(areagg.categorical(lay, g), g, "")
