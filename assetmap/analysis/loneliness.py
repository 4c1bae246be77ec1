"""Loneliness risk of people aged 65+: Age UK's census-based model.

Source: Jose Iparraguirre, "Predicting the prevalence of loneliness at older ages", Age UK
Research (2015, updated 2017 with ONS's Data Science Campus for the Age UK loneliness maps).
A logistic regression fitted on the English Longitudinal Study of Ageing (ELSA) wave 5
(2010/11), whose explanatory variables that have a census counterpart are applied to the
census shares of each small area. Published estimates (log-odds scale):

=====================================================  ==========
term                                                   estimate
=====================================================  ==========
constant                                               -2.6200
self-reported health: poor (ref. very good)            +2.0344
self-reported health: fair                             +1.5819
self-reported health: good                             +0.9842
household size (people in the household)               -1.0402
marital status: widowed                                +1.0317
aged 75-79                                             -0.3542
=====================================================  ==========

Further terms of the ELSA model (eye conditions, pets, difficulties with activities of daily
living) have no census counterpart and are left out, as in the published maps.

Applied per area with the shares of its people aged 65+ in each category (and their mean
household size): ``log-odds = constant + sum(estimate x share)``, probability =
``1 / (1 + exp(-log-odds))``. It ranks areas by relative risk; it does not measure the true
prevalence of loneliness (areas dominated by care homes, for example, are distorted).

Shares may be given as fractions (0-1) or percentages (0-100); a column whose largest value
exceeds 1.5 is read as percentages.

Missing inputs. Real areas often lack one of the census inputs (Trafford's published LSOA
tables, for example, have no marital status by age, so no ``lon_widowed``). With
``assume_missing=True`` an input that is absent, or has no value for any area, is held at
the reference value in :data:`REFERENCE_VALUES` for every area. The term then adds the
same constant to every area's log-odds: the ranking of areas, which is what the model is
for, is exactly the ranking of the model on the inputs that are present, and only the
level of the probabilities depends on the assumed value. :func:`assumed_inputs` names
the inputs that would be held, and the pipeline records them in the run summary
(``loneliness_assumed_inputs``) so that pages can say so. A value missing for single areas
of an input that other areas have is not filled: those areas get NaN, as before.

Reference values. A national figure for each input was looked for and none could be
verified here for people aged 65+ in England and Wales from Census 2021 (ONS publishes the
marital status of all adults: 3.0 million widowed, 6.1% of usual residents aged 16+, and
"over 11 million" people aged 65+, which bounds the 65+ widowed share at about 27% but does
not give it; "Marriage and civil partnership status in England and Wales: Census 2021",
ONS, 22 February 2023; "Profile of the older population living in England and Wales in 2021
and changes since 2011", ONS, 3 April 2023). So the reference values are the demo borough's
(Ashbrook, ``assetmap.demo``, seed 2024) pooled values over its 150 LSOAs: counts over
residents aged 65+ for the shares, the 65+-weighted mean for household size. They are
synthetic figures modelled on Census 2021, not measurements; the widowed share (28.3%) is a
little above the bound above, which raises every area's assumed probability slightly and
leaves the ranking unchanged. Replace them with verified national figures when available.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..model import LONELINESS_INPUTS

CONSTANT = -2.6200
#: input column (model.LONELINESS_INPUTS) -> published estimate (log-odds)
COEFFICIENTS: dict[str, float] = {
    "lon_health_poor": 2.0344,
    "lon_health_fair": 1.5819,
    "lon_health_good": 0.9842,
    "lon_household_size": -1.0402,
    "lon_widowed": 1.0317,
    "lon_aged_75_79": -0.3542,
}
SHARE_INPUTS = tuple(c for c in LONELINESS_INPUTS if c != "lon_household_size")
#: The value an input is held at when the data lack it (fractions; people for household
#: size). Source: the demo borough's pooled values, not verified national figures (see the
#: module notes).
REFERENCE_VALUES: dict[str, float] = {
    "lon_health_good": 0.3482,
    "lon_health_fair": 0.2895,
    "lon_health_poor": 0.1534,
    "lon_widowed": 0.2826,
    "lon_aged_75_79": 0.2054,
    "lon_household_size": 1.7159,
}
#: Plain-language names of the inputs (for notes on pages).
INPUT_LABELS: dict[str, str] = {
    "lon_health_good": "share of people aged 65+ in good health",
    "lon_health_fair": "share of people aged 65+ in fair health",
    "lon_health_poor": "share of people aged 65+ in bad or very bad health",
    "lon_widowed": "share of people aged 65+ who are widowed",
    "lon_aged_75_79": "share of people aged 65+ who are aged 75-79",
    "lon_household_size": "mean household size of people aged 65+",
}
REFERENCE_SOURCE = ("AssetMap demo borough (Ashbrook, seed 2024) pooled values, synthetic "
                    "figures modelled on Census 2021; no verified England and Wales figure "
                    "for people aged 65+ was available")
SOURCE = ("Age UK loneliness risk model (Iparraguirre, Age UK 2015/2017; logistic regression "
          "on ELSA wave 5) applied to census shares of people aged 65+")


def available(df: pd.DataFrame) -> bool:
    """True when every model input is a column with at least one value."""
    return all(c in df.columns and df[c].notna().any() for c in LONELINESS_INPUTS)


def assumed_inputs(df: pd.DataFrame) -> list[str]:
    """The model inputs ``df`` lacks (no column, or no value for any area): those that
    ``loneliness_risk(df, assume_missing=True)`` holds at :data:`REFERENCE_VALUES`."""
    return [c for c in LONELINESS_INPUTS if c not in df.columns or not df[c].notna().any()]


def any_available(df: pd.DataFrame) -> bool:
    """True when at least one model input has a value (the model can rank areas on it)."""
    return len(assumed_inputs(df)) < len(LONELINESS_INPUTS)


def loneliness_risk(df: pd.DataFrame, assume_missing: bool = False,
                    reference: dict[str, float] | None = None) -> pd.DataFrame:
    """Per-area ``loneliness_logodds`` and ``loneliness_prob`` from the census inputs.

    ``df`` has the columns of ``model.LONELINESS_INPUTS``; areas missing any input get NaN.
    A missing column is a KeyError unless ``assume_missing``: then each input named by
    :func:`assumed_inputs` is held at ``reference`` (default :data:`REFERENCE_VALUES`) for
    every area.
    """
    held = assumed_inputs(df) if assume_missing else []
    missing = [c for c in LONELINESS_INPUTS if c not in df.columns and c not in held]
    if missing:
        raise KeyError(f"loneliness model inputs missing: {', '.join(missing)}")
    ref = {**REFERENCE_VALUES, **(reference or {})}
    logodds = np.full(len(df), CONSTANT)
    for col, beta in COEFFICIENTS.items():
        if col in held:
            x = np.full(len(df), float(ref[col]))
        else:
            x = df[col].to_numpy(dtype=float)
        if col in SHARE_INPUTS and np.nanmax(np.abs(x), initial=0.0) > 1.5:
            x = x / 100.0
        logodds = logodds + beta * x
    prob = 1.0 / (1.0 + np.exp(-logodds))
    return pd.DataFrame({"loneliness_logodds": logodds, "loneliness_prob": prob}, index=df.index)
