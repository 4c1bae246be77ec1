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
SOURCE = ("Age UK loneliness risk model (Iparraguirre, Age UK 2015/2017; logistic regression "
          "on ELSA wave 5) applied to census shares of people aged 65+")


def available(df: pd.DataFrame) -> bool:
    """True when every model input is a column with at least one value."""
    return all(c in df.columns and df[c].notna().any() for c in LONELINESS_INPUTS)


def loneliness_risk(df: pd.DataFrame) -> pd.DataFrame:
    """Per-area ``loneliness_logodds`` and ``loneliness_prob`` from the census inputs.

    ``df`` has the columns of ``model.LONELINESS_INPUTS``; areas missing any input get NaN.
    """
    missing = [c for c in LONELINESS_INPUTS if c not in df.columns]
    if missing:
        raise KeyError(f"loneliness model inputs missing: {', '.join(missing)}")
    logodds = np.full(len(df), CONSTANT)
    for col, beta in COEFFICIENTS.items():
        x = df[col].to_numpy(dtype=float)
        if col in SHARE_INPUTS and np.nanmax(np.abs(x), initial=0.0) > 1.5:
            x = x / 100.0
        logodds = logodds + beta * x
    prob = 1.0 / (1.0 + np.exp(-logodds))
    return pd.DataFrame({"loneliness_logodds": logodds, "loneliness_prob": prob}, index=df.index)
