"""The method notes: what each number on the pages means and how it is worked out, in plain
words a planner can quote.

Every figure in these texts is read from :mod:`assetmap.settings`, the vocabulary in
:mod:`assetmap.model`, the result contract (:mod:`assetmap.results`) and, where a run exists,
its summary (the weights it actually used, the hotspot method it actually ran), so the notes
cannot drift from the code. :func:`sections` returns them in page order; each has an ``id``
that legends, table headers and downloads link to (``/method#<id>``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import model, results, settings
from .analysis import demand as demand_mod
from .analysis import hotspots as hotspots_mod

#: Section ids the rest of the product links to (``/method#<id>``).
ANCHORS = ("need", "loneliness", "access", "supply", "demand", "reach", "gaps", "hotspots",
           "isolation", "aggregates", "indicators", "dictionary", "run")


@dataclass
class Section:
    id: str
    title: str
    paragraphs: list[str]
    table: tuple[list[str], list[list[str]]] | None = None
    points: list[str] = field(default_factory=list)


def _pct(x: float) -> str:
    return f"{x * 100:g}%"


def _title(ind: str) -> str:
    meta = model.INDICATORS.get(ind)
    return meta.title if meta else ind


def need_section(summary: dict) -> Section:
    used = summary.get("indicators_used") or {}
    weights = used or settings.NEED_WEIGHTS
    rows = [[_title(k), k, f"{float(w):.2f}"] for k, w in weights.items()]
    missing = summary.get("missing_indicators") or []
    paras = [
        "The need index ranks areas by how much more need their older residents have than "
        "the borough's average. Each indicator is turned into a z-score (how many standard "
        "deviations an area is from the borough mean, signed so that a higher value always "
        "means more need), and the z-scores are averaged with the weights below. 0 is the "
        "borough average; +1 is one standard deviation more need than average.",
        "An area missing a value is scored on the indicators it has (their weights "
        "re-normalised). Rank 1 is the area with most need; decile 10 is the tenth of areas "
        "with most need.",
    ]
    if used:
        paras.append("The weights are those the latest run actually used.")
    if missing:
        paras.append("The latest run could not use: " + ", ".join(map(_title, missing))
                     + " (not in the data); the other weights were re-normalised.")
    return Section("need", "Need index", paras, (["Indicator", "Id", "Weight"], rows))


def loneliness_section(summary: dict) -> Section:
    paras = [
        "Loneliness risk is the modelled probability that a person aged 65+ is often lonely, "
        "from Age UK's census-based model (Iparraguirre, Age UK Research 2015, updated 2017): "
        "a logistic regression fitted on the English Longitudinal Study of Ageing, applied to "
        "each area's census shares of people aged 65+ by health, marital status (widowed), "
        "age 75-79 and household size.",
        "It ranks areas by relative risk; it does not measure how many people are lonely, "
        "and areas dominated by care homes are distorted.",
    ]
    assumed = summary.get("loneliness_assumed_inputs") or []
    if assumed:
        paras.append("In the latest run the data had no " + ", ".join(map(str, assumed))
                     + ": held at a reference value for every area, so areas are ranked on "
                     "the other inputs.")
    return Section("loneliness", "Loneliness risk", paras)


def access_section(summary: dict) -> Section:
    router = summary.get("router")
    how = ("over the street network from the store's OpenStreetMap file"
           if router != "crow-fly" else
           f"as straight-line distance x {settings.CROW_FLY_DETOUR:g} (no street network "
           "is loaded)")
    paras = [
        f"Walking times are measured {how}, at {settings.WALK_SPEED_KMH:g} km/h, from "
        f"{settings.ORIGINS_PER_AREA} population-weighted points in each area to the nearest "
        "asset of each category; an area's time is the mean over its points.",
        f"Counts 'within {', '.join(str(t) for t in settings.ACCESS_THRESHOLDS_MIN)} minutes' "
        "are the mean number of assets each point can reach in that time.",
        "Home-based micro-providers are measured from the centre of the "
        f"{settings.HOME_GRID_M:g} m grid cell they are published in, never their home.",
    ]
    return Section("access", "Walking access", paras)


def supply_section(summary: dict) -> Section:
    decay = (f"a Gaussian decay of width {settings.GAUSSIAN_BETA_MIN:g} minutes"
             if settings.DECAY == "gaussian" else "stepped weights")
    units = "; ".join(f"{k}: {v}" for k, v in model.CAPACITY_UNITS.items())
    paras = [
        "Supply is the enhanced two-step floating catchment area (E2SFCA, Luo and Qi 2009): "
        "each provider's capacity is shared among the people in need who can reach it, "
        f"within {settings.CATCHMENT_MINUTES:g} minutes with {decay}, and each area adds up "
        "the shares it can reach. The result is capacity per person in need, shown per 100 "
        "people in need.",
        f"Capacity is counted in one unit per supply, never summed across units ({units}). "
        "A provider with no capacity figure counts as the median of those that have one. "
        f"Supply is shown per {settings.SUPPLY_PER} people in need, and a gap's shortfall is "
        "how far below the borough's median supply it is, in the same unit.",
        f"Vacancies count only when confirmed in the last {settings.VACANCY_STALE_DAYS} "
        "days; older figures are shown as not confirmed and never rank a provider first.",
    ]
    return Section("supply", "Supply of micro-providers", paras)


def demand_section(summary: dict) -> Section:
    lo, hi = settings.DEMAND_NEED_WEIGHT_RANGE
    paras = [
        "Demand is the estimated number of people in each client group in an area (below: "
        "who is counted, from which population, at which rate and source), weighted by the "
        f"area's need: x{lo:g} in the area with least need up to x{hi:g} in the area with "
        "most, linearly by need percentile.",
    ]
    points = [d["method"] for d in demand_mod.describe_all() if d["client_group"]]
    for cg, d in sorted((summary.get("demand") or {}).items()):
        for s in d.get("stand_ins") or []:
            points.append(f"Latest run, {d.get('label') or cg}: {s}")
    return Section("demand", "Demand", paras, points=points)


def reach_section(summary: dict) -> Section:
    paras = [
        "A service reaches people in one of two ways. At a venue, people travel to it: it "
        "counts for the areas within its catchment by travel time. A service that comes to "
        "you (support in the home, domiciliary care, befriending visits, transport) counts "
        "for the areas its record says it serves: a radius from its base, a drawn area, or "
        "a list of wards or areas. Its capacity is shared over the areas it covers, in "
        "proportion to their need-weighted demand; the referral finder, the gap map, "
        "outreach and the area profile all use this one rule.",
    ]
    rows = [[v, k] for k, v in model.REACH_MODES.items()]
    return Section("reach", "How a service reaches people", paras, (["Reach", "Code"], rows))


def gaps_section(summary: dict) -> Section:
    k = settings.GAP_CLASSES
    paras = [
        f"Areas are put in {k} need classes and {k} supply classes by percentile rank (tied "
        "values share a class). Zero supply is its own lowest class, 0, however many areas "
        "share it; the other supply classes split the areas that have some supply.",
        "A gap is an area in the highest need class whose supply class is 0 or 1: high "
        "need with no or low supply. Gaps are ranked by need percentile minus supply "
        "percentile (rank 1 = the widest gap).",
        f"'Missing within reach' lists the categories whose nearest asset is more than "
        f"{settings.GAP_REACH_MINUTES:g} minutes' walk away.",
    ]
    return Section("gaps", "Unmet-need gaps", paras)


def hotspots_section(summary: dict) -> Section:
    method = summary.get("hotspot_method") or {}
    paras = [
        "Isolation hotspots are clusters of neighbouring areas with high isolation scores. "
        "Getis-Ord Gi* compares each area and its neighbours (areas sharing a boundary or a "
        "corner, the area itself included) with the borough: z > 0 is a cluster of high "
        "scores (hot spot), z < 0 of low scores (cold spot). Local Moran's I says whether an "
        "area is like or unlike its neighbours (HH, LL, HL, LH).",
        "p is the chance of a cluster at least this strong if scores were placed at random; "
        "q is p corrected for testing every area at once (Benjamini-Hochberg false "
        f"discovery rate). An area is a hot or cold spot when q < {settings.FDR_ALPHA:g}.",
    ]
    if method:
        paras.append("Latest run: " + hotspots_mod.describe(method))
    return Section("hotspots", "Isolation hotspots", paras)


def isolation_section(summary: dict) -> Section:
    w = (settings.ISOLATION_LONELINESS_WEIGHT, settings.ISOLATION_SOCIAL_WEIGHT,
         settings.ISOLATION_ESSENTIAL_WEIGHT)
    essentials = ", ".join(model.ASSET_CATEGORIES[c].lower()
                           for c in settings.ESSENTIAL_CATEGORIES if c in model.ASSET_CATEGORIES)
    paras = [
        f"The isolation score weighs loneliness risk ({w[0]:g}), the walk to the nearest "
        f"social asset ({w[1]:g}) and the walk to essential services ({w[2]:g}: {essentials}), "
        "each as a z-score across the borough's areas (higher = more isolated); the weights "
        "are rescaled over the parts an area has.",
        f"Walks are measured to {settings.ACCESS_MAX_MINUTES:g} minutes; a longer one is shown "
        f"as 'more than {settings.ACCESS_MAX_MINUTES:g} minutes', never as a made-up number.",
        "Social assets: " + ", ".join(model.ASSET_CATEGORIES[c].lower()
                                      for c in settings.SOCIAL_CATEGORIES
                                      if c in model.ASSET_CATEGORIES) + ".",
    ]
    return Section("isolation", "Isolation score", paras)


def aggregates_section() -> Section:
    """How a national map aggregates areas to their local authority (``layers.areagg``)."""
    paras = [
        f"A map draws at most {settings.MAP_AREAS_MAX:,} areas at once "
        "(settings.MAP_AREAS_MAX). With more in view (all of England: 32,844 areas) it "
        "draws each area's parent instead: its local authority (an England or multi-"
        "authority store, from the ONS LSOA to local authority lookup) or its ward (a "
        "borough's store). Each aggregate's tooltip names it and says how many areas it "
        "holds; a click zooms to it and its areas are drawn. Its shape is its areas' "
        "polygons joined, worked out once per data version.",
        "Rates and indices (the need index, loneliness risk, isolation, every indicator) and "
        "walking minutes are population-weighted means over the areas with a value "
        "(weights: each area's population, all ages; equal weights where none has one), so "
        "a populous area counts for more. Counts (an indicator in people, households or a "
        "count) are summed. Both are classed afresh for the aggregates "
        "(the legend says so) with the scheme the map uses. A walk beyond the search cap "
        "counts at the cap, so where an authority has such walks its mean is a lower bound.",
        "Gaps: the share of the areas in the gap class (\"38% of areas in the gap class\"). "
        "Hotspots: how many of the areas are significant hot (and cold) spots. Each "
        "aggregate is coloured as most of its areas are, so a few hot spots in a large "
        "authority show in its count, not its colour: zoom in to see them.",
    ]
    return Section("aggregates", "National maps: areas aggregated", paras)


def indicators_section(meta_rows: list[dict]) -> Section:
    rows = [[str(r.get("title") or r.get("id")), str(r.get("id")), str(r.get("unit") or ""),
             {"high_bad": "higher = more need", "high_good": "higher = less need"}
             .get(str(r.get("polarity")), "neutral"),
             str(r.get("source") or ""), str(r.get("period") or "")] for r in meta_rows]
    paras = ["Each indicator as this store holds it. Areas are compared with the borough "
             f"value at {_pct(settings.CI_LEVEL)} confidence (Wilson intervals for "
             "proportions, Byar's for counts): 'higher' or 'lower' when the interval excludes "
             "the borough value."]
    return Section("indicators", "Indicators and their sources", paras,
                   (["Indicator", "Id", "Unit", "Polarity", "Source", "Period"], rows))


def dictionary_section() -> Section:
    d = results.dictionary()
    rows = [[str(r.frame), str(r.column), str(r.unit or ""), str(r.meaning)]
            for r in d.itertuples()]
    return Section("dictionary", "Data dictionary",
                   ["Every column of every result table and download."],
                   (["Table", "Column", "Unit", "Meaning"], rows))


def run_section(run: dict | None, data_version: int | None) -> Section:
    if not run:
        return Section("run", "Latest run", ["No analysis has been run on this store yet."])
    s = run.get("summary") or {}
    paras = [f"Run {run.get('id')} of {run.get('created_at', '')}, on data version "
             f"{run.get('data_version')} (the store is at version {data_version}).",
             f"{s.get('areas', 0):,} areas, {s.get('assets', 0):,} assets of which "
             f"{s.get('providers', 0):,} providers."]
    paras += [str(n) for n in s.get("notes") or []]
    return Section("run", "Latest run", paras)


def sections(run: dict | None = None, meta_rows: list[dict] | None = None,
             data_version: int | None = None) -> list[Section]:
    """Every method note, in page order, for a store's latest run (``run`` as
    ``store.latest_run()`` gives it, or None) and indicator table rows."""
    summary = (run or {}).get("summary") or {}
    return [need_section(summary), loneliness_section(summary), access_section(summary),
            supply_section(summary), demand_section(summary), reach_section(summary),
            gaps_section(summary), hotspots_section(summary), isolation_section(summary),
            aggregates_section(), indicators_section(meta_rows or []), dictionary_section(),
            run_section(run, data_version)]
