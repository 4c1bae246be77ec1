"""The indicators AssetMap knows by id (title, unit, polarity, confidence-interval method,
source), the English Indices of Deprivation's domains, and the census inputs of the
loneliness model. Importers map source columns onto these ids; :mod:`assetmap.model`
re-exports every name."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IndicatorMeta:
    id: str
    title: str
    unit: str            # "%", "score", "rate per 1,000", "count", "people"
    polarity: str        # high_bad / high_good / neutral
    ci_method: str       # wilson (proportion) / byar (count) / given / none
    source: str
    period: str = ""
    description: str = ""


#: Indicators AssetMap knows by id; importers map source columns onto these.
INDICATORS: dict[str, IndicatorMeta] = {m.id: m for m in [
    IndicatorMeta("pop_65_plus", "People aged 65+ (% of population)", "%", "neutral", "wilson",
                  "Census 2021 (ONS), age by five-year band",
                  description="Usual residents aged 65 and over as a share of all usual "
                              "residents (TS007A: the 65-69 to 85+ bands over all bands)."),
    IndicatorMeta("living_alone_65", "People aged 66+ living alone (% of people aged 66+)", "%",
                  "high_bad", "wilson", "Census 2021 (ONS), household composition and age",
                  description="People aged 66 and over who live alone (Census 2021 TS003 "
                              "household composition: 'One-person household: Aged 66 years "
                              "and over', the census's own age cut, state pension age in "
                              "2021) as a share of usual residents aged 66 and over (the "
                              "65+ age bands less one tenth of the 65-74 band, as single "
                              "years are not published for small areas). Residents of care "
                              "homes count in the denominator but not as living alone, so "
                              "areas with a large care home read lower."),
    IndicatorMeta("llti", "Day-to-day activities limited a lot or a little (% of residents)",
                  "%", "high_bad", "wilson", "Census 2021 (ONS), disability (Equality Act)",
                  description="Usual residents of all ages disabled under the Equality Act "
                              "(TS038: day-to-day activities limited a lot or a little by a "
                              "long-term physical or mental health condition) as a share of "
                              "all usual residents; not age-standardised."),
    IndicatorMeta("unpaid_carers", "Providing unpaid care (% of residents aged 5+)", "%",
                  "high_bad", "wilson", "Census 2021 (ONS), unpaid care",
                  description="Usual residents aged 5 and over who provide any unpaid care "
                              "(TS039: 9 hours a week or less up to 50 hours or more) as a "
                              "share of usual residents aged 5 and over (the table's "
                              "population)."),
    IndicatorMeta("bad_health", "Bad or very bad general health (% of residents)", "%",
                  "high_bad", "wilson", "Census 2021 (ONS), general health",
                  description="Usual residents of all ages reporting bad or very bad general "
                              "health (TS037) as a share of all usual residents."),
    IndicatorMeta("imd_score", "Index of Multiple Deprivation score", "score", "high_bad",
                  "none", "English Indices of Deprivation 2019 (MHCLG)"),
    IndicatorMeta("imd_decile", "IMD decile (1 = most deprived 10% in England)", "decile",
                  "high_good", "none", "English Indices of Deprivation 2019 (MHCLG)"),
    IndicatorMeta("imd_rank", "IMD rank (1 = most deprived in England)", "rank",
                  "high_good", "none", "English Indices of Deprivation 2019 (MHCLG)"),
    IndicatorMeta("idaopi", "Income deprivation affecting older people (% of 60+)", "%",
                  "high_bad", "wilson", "English Indices of Deprivation 2019 (MHCLG), IDAOPI"),
    IndicatorMeta("loneliness_risk", "Loneliness risk, people aged 65+ (modelled)", "score",
                  "high_bad", "none",
                  "Age UK loneliness risk model (Iparraguirre) applied to census"),
]}

#: The English Indices of Deprivation 2019 beside the IMD: (id stem, name, title of the
#: score, unit of the score). Each gives ``<stem>_score`` (``<stem>`` for the two
#: supplementary indices, IDACI and IDAOPI, as ``idaopi`` always was), a ``_rank`` (1 = most
#: deprived of England's 32,844 LSOAs) and a ``_decile`` (1 = the most deprived tenth).
#: Scores that are rates (the share of a group that is deprived) are stored as percentages;
#: the others are the domain's own score. A higher score means more deprivation in every
#: domain (MHCLG, "The English Indices of Deprivation 2019: technical report", 2019).
IOD_DOMAINS = (
    ("iod_income", "Income deprivation", "Income deprivation (% of residents)", "%"),
    ("iod_employment", "Employment deprivation",
     "Employment deprivation (% of working-age residents)", "%"),
    ("iod_education", "Education, skills and training deprivation",
     "Education, skills and training deprivation score", "score"),
    ("iod_health", "Health deprivation and disability",
     "Health deprivation and disability score", "score"),
    ("iod_crime", "Crime", "Crime deprivation score", "score"),
    ("iod_housing", "Barriers to housing and services",
     "Barriers to housing and services score", "score"),
    ("iod_environment", "Living environment deprivation",
     "Living environment deprivation score", "score"),
    ("idaci", "Income deprivation affecting children (IDACI)",
     "Income deprivation affecting children (% of children aged 0-15)", "%"),
    ("idaopi", "Income deprivation affecting older people (IDAOPI)",
     "Income deprivation affecting older people (% of 60+)", "%"),
)
_IOD_SOURCE = "English Indices of Deprivation 2019 (MHCLG)"


def iod_score_id(stem: str) -> str:
    """The indicator id of an IoD domain's score (``idaci``/``idaopi`` have no suffix)."""
    return stem if stem in ("idaci", "idaopi") else f"{stem}_score"


def _iod_indicators() -> list[IndicatorMeta]:
    """Score, rank and decile of every IoD 2019 domain and supplementary index."""
    out = []
    for stem, name, score_title, unit in IOD_DOMAINS:
        out.append(IndicatorMeta(iod_score_id(stem), score_title, unit, "high_bad",
                                 "wilson" if unit == "%" else "none",
                                 f"{_IOD_SOURCE}, {name}", "2019"))
        out.append(IndicatorMeta(f"{stem}_rank", f"{name} rank (1 = most deprived in "
                                 "England)", "rank", "high_good", "none", _IOD_SOURCE, "2019"))
        out.append(IndicatorMeta(f"{stem}_decile", f"{name} decile (1 = most deprived 10% "
                                 "in England)", "decile", "high_good", "none", _IOD_SOURCE,
                                 "2019"))
    return out


INDICATORS.update({m.id: m for m in _iod_indicators() if m.id not in INDICATORS})

#: Census shares used by the loneliness model (per area, people aged 65+).
LONELINESS_INPUTS = (
    # shares of 65+ in good, fair and poor health (very good = reference)
    "lon_health_good", "lon_health_fair", "lon_health_poor",
    "lon_widowed",                                             # share of 65+ widowed
    "lon_aged_75_79",                                          # share of 65+ aged 75-79
    "lon_household_size",                                      # mean household size of 65+
)
