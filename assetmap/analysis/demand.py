"""Demand: how many people in each area belong to a client group, from the right population.

CONTRACT (owned by the demand work; the supply, gaps, wording and pages read it as is):

    client_group_demand(areas, wide, client_group) -> Demand

``areas`` is the store's LSOA frame (columns ``model.AGE_BANDS``), ``wide`` the indicator
values per area (index area code, one column per indicator id, as ``pipeline.Inputs.wide``),
``client_group`` a key of ``model.CLIENT_GROUPS`` or "" (a group that does not restrict the
client group: older people). The result's ``people`` is aligned with ``areas`` rows.

How each group is estimated (the rates, with their sources, are in :mod:`assetmap.settings`
and are read at call time):

=====================  ========================================================================
client group           people per area
=====================  ========================================================================
older people, ""       residents aged 65+ (the 65-74, 75-84 and 85+ bands)
dementia               ``DEMENTIA_PREVALENCE`` per band x the 65-74, 75-84 and 85+ bands
learning disability    ``LEARNING_DISABILITY_PREVALENCE`` x residents aged 18+
autism                 ``AUTISM_PREVALENCE`` x residents aged 18+
mental health          ``MENTAL_HEALTH_PREVALENCE`` x residents aged 18+
physical disability    the area's Census share disabled (indicator ``llti``) x residents 18+;
                       ``DISABILITY_RATE`` stands in where the area has no figure
carers                 the area's Census share providing unpaid care (``unpaid_carers``) x
                       residents aged 5+; ``UNPAID_CARE_RATE`` stands in where missing
=====================  ========================================================================

Residents aged 5+ are the adults plus 13/18 of the 0-17 band (ages spread evenly over the
band, as :func:`assetmap.io.indicators.census.age_bands` assumes for the 15-19 band). An
area with no population by age counts as 0 people, and the result says so in ``stand_ins``.
Indicator values are percentages (``model.INDICATORS`` units); a column whose values are all
at most 1.5 is read as fractions. National rates make demand proportional to the population
it applies to: they size the need, they do not say where within the borough it is higher.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import model, settings

OLDER_BANDS = ("pop_65_74", "pop_75_84", "pop_85_plus")
ADULT_BANDS = ("pop_18_64",) + OLDER_BANDS
#: Share of the 0-17 band aged 5-17 (13 of its 18 single years, ages spread evenly).
AGED_5_17_SHARE = 13 / 18


@dataclass
class Demand:
    client_group: str
    people: np.ndarray                 # per area: estimated people in the client group
    label: str                         # plain words: "people aged 65+", "adults with a
    #                                    learning disability" (used as "of about N <label>")
    source: str                        # how it was estimated, with the source named
    stand_ins: list[str] = field(default_factory=list)   # inputs missing: what stood in


@dataclass(frozen=True)
class _Spec:
    """How one client group is estimated."""
    label: str          # "of about N <label>"
    who: str            # the population the rate applies to: "65+", "adults" or "5+"
    rate: str = ""      # settings attribute: a fraction, or (dementia) a fraction per band
    indicator: str = ""  # the area's own census share, used before the rate
    source: str = ""    # the rate's (or the indicator's) source in short
    caveat: str = ""
    share: str = ""     # the indicator in words ("share of residents ...")


_SPECS = {
    "older_people": _Spec("people aged 65+", "65+",
                          source="the 65-74, 75-84 and 85+ age bands, Census 2021 where imported"),
    "dementia": _Spec("people aged 65+ with dementia", "65+", rate="DEMENTIA_PREVALENCE",
                      source="Alzheimer's Society, Dementia UK: Update 2014, prevalence by age",
                      caveat="People under 65 with dementia (young onset) are not counted."),
    "learning_disability": _Spec(
        "adults with a learning disability", "adults", rate="LEARNING_DISABILITY_PREVALENCE",
        source="Public Health England, People with learning disabilities in England 2015",
        caveat="An estimate of all adults with a learning disability, including those not "
               "known to services."),
    "autism": _Spec("autistic adults", "adults", rate="AUTISM_PREVALENCE",
                    source="Brugha et al. 2012, NHS Information Centre: the Adult "
                           "Psychiatric Morbidity Survey 2007 extended"),
    "mental_health": _Spec(
        "adults with a common mental health problem", "adults", rate="MENTAL_HEALTH_PREVALENCE",
        source="NHS Digital, Adult Psychiatric Morbidity Survey 2014: common mental disorders",
        caveat="One rate for all adults; common mental disorders are less frequent after 65."),
    "physical_disability": _Spec(
        "disabled adults", "adults", rate="DISABILITY_RATE", indicator="llti",
        source="ONS, Census 2021: disability",
        share="Census share of residents disabled under the Equality Act",
        caveat="The census does not separate physical from other impairments: the count is "
               "every adult whose day-to-day activities are limited by a long-term condition, "
               "at the area's all-age share."),
    "carers": _Spec("unpaid carers", "5+", rate="UNPAID_CARE_RATE", indicator="unpaid_carers",
                    source="ONS, Census 2021: unpaid care",
                    share="Census share of residents aged 5+ providing unpaid care",
                    caveat="Young carers aged 5-17 are included, as in the census."),
}

_WHO = {"65+": "residents aged 65+", "adults": "residents aged 18+",
        "5+": "residents aged 5+"}


def client_group_demand(areas: pd.DataFrame, wide: pd.DataFrame, client_group: str) -> Demand:
    """People in ``client_group`` per area (aligned with ``areas`` rows), estimated from the
    population the group is drawn from; ``stand_ins`` says which rates stood in for inputs
    the store lacks."""
    spec = _spec(client_group)
    bands, stand_ins = _bands(areas)
    pop = _population(bands, spec.who)
    if not spec.rate:
        people, source = pop, spec.source
    elif spec.indicator:
        people, source, note = _from_indicator(spec, areas, wide, pop)
        stand_ins += note
    elif isinstance(getattr(settings, spec.rate), dict):
        rates = getattr(settings, spec.rate)
        people = sum(float(rates[b]) * bands[b] for b in rates)
        source = f"{spec.source} ({_band_rates(rates)}) applied to {_WHO[spec.who]}"
    else:
        r = float(getattr(settings, spec.rate))
        people, source = r * pop, f"{spec.source}: {_pct(r)} of {_WHO[spec.who]}"
    return Demand(client_group, np.asarray(people, dtype=float), spec.label, source,
                  stand_ins)


def label(client_group: str) -> str:
    """The plain-words population of a client group ("adults with a learning disability")."""
    return _spec(client_group).label


def describe(client_group: str) -> str:
    """How a client group's demand is estimated, in words for the method page: who is
    counted, from which population, at which rate, with the source named."""
    spec = _spec(client_group)
    name = model.CLIENT_GROUPS.get(client_group or "older_people", client_group)
    head = f"{name}: {spec.label}, estimated "
    if not spec.rate:
        body = f"as the {_WHO[spec.who]}: {spec.source}."
    elif spec.indicator:
        body = (f"as the area's {spec.share} (indicator {spec.indicator}; {spec.source}) "
                f"applied to its {_WHO[spec.who]}. Where "
                f"the indicator is not imported, {_pct(getattr(settings, spec.rate))} "
                f"stands in (settings.{spec.rate}, national).")
    elif isinstance(getattr(settings, spec.rate), dict):
        body = (f"from age-specific prevalence applied to the age bands: "
                f"{_band_rates(getattr(settings, spec.rate))} ({spec.source}).")
    else:
        body = (f"as {_pct(getattr(settings, spec.rate))} of the {_WHO[spec.who]} "
                f"({spec.source}).")
    return head + body + (f" {spec.caveat}" if spec.caveat else "")


def describe_all() -> list[dict]:
    """Every client group's label and method text (``""`` first), for the method page."""
    return [{"client_group": k, "label": label(k), "method": describe(k)}
            for k in ("", *model.CLIENT_GROUPS)]


# --- helpers ---------------------------------------------------------------------------------
def _spec(client_group: str) -> _Spec:
    key = client_group or "older_people"
    if key not in _SPECS:
        raise ValueError(f"unknown client group {client_group!r} (one of "
                         f"{', '.join(model.CLIENT_GROUPS)})")
    return _SPECS[key]


def _bands(areas: pd.DataFrame) -> tuple[dict, list[str]]:
    """Each age band per area (NaN as 0), and a note when areas have no population by age."""
    n = len(areas)
    raw = {b: (pd.to_numeric(areas[b], errors="coerce").to_numpy(dtype=float) if b in areas
               else np.full(n, np.nan)) for b in model.AGE_BANDS}
    none_known = np.isnan(np.column_stack([raw[b] for b in model.AGE_BANDS])).all(axis=1) \
        if n else np.zeros(0, dtype=bool)
    notes = []
    if none_known.any():
        notes.append(f"{int(none_known.sum())} of {n} areas have no population by age band: "
                     "they count as 0 people")
    return {b: np.nan_to_num(v) for b, v in raw.items()}, notes


def _population(bands: dict, who: str) -> np.ndarray:
    older = bands["pop_65_74"] + bands["pop_75_84"] + bands["pop_85_plus"]
    if who == "65+":
        return older
    adults = bands["pop_18_64"] + older
    return adults if who == "adults" else adults + AGED_5_17_SHARE * bands["pop_0_17"]


def _from_indicator(spec: _Spec, areas, wide, pop) -> tuple[np.ndarray, str, list[str]]:
    """The area's own census share x the population; the national rate where it is missing."""
    share = _share(areas, wide, spec.indicator)
    rate = float(getattr(settings, spec.rate))
    missing = np.isnan(share)
    notes = []
    if missing.all():
        notes.append(f"no {spec.share} (indicator {spec.indicator}) is imported: the "
                     f"national rate, {_pct(rate)}, stood in for every area "
                     f"(settings.{spec.rate})")
        source = f"national rate: {_pct(rate)} of {_WHO[spec.who]} ({spec.source})"
    else:
        source = f"{spec.share} (indicator {spec.indicator}) applied to {_WHO[spec.who]}"
        if missing.any():
            notes.append(f"{int(missing.sum())} of {len(share)} areas have no {spec.share} "
                         f"(indicator {spec.indicator}): the national rate, {_pct(rate)}, "
                         f"stood in for them (settings.{spec.rate})")
    return np.where(missing, rate, share) * pop, source, notes


def _share(areas: pd.DataFrame, wide: pd.DataFrame, iid: str) -> np.ndarray:
    """The indicator as a fraction per area row (NaN where missing)."""
    n = len(areas)
    if wide is None or iid not in getattr(wide, "columns", ()):
        return np.full(n, np.nan)
    col = pd.to_numeric(wide[iid], errors="coerce")
    if "code" in areas and col.index.isin(list(areas["code"])).any():
        col = col.groupby(level=0).first().reindex(areas["code"])
    elif len(col) != n:
        return np.full(n, np.nan)
    v = col.to_numpy(dtype=float)
    finite = v[np.isfinite(v)]
    scale = 1.0 if len(finite) and np.abs(finite).max() <= 1.5 else 100.0
    return np.clip(v / scale, 0.0, 1.0)


def _pct(r: float) -> str:
    return f"{float(r) * 100:.3g}%"


def _band_rates(rates: dict) -> str:
    words = {"pop_0_17": "0-17", "pop_18_64": "18-64", "pop_65_74": "65-74",
             "pop_75_84": "75-84", "pop_85_plus": "85+"}
    return ", ".join(f"{_pct(r)} at {words.get(b, b)}" for b, r in rates.items())
