"""Demand: how many people in each area belong to a client group, from the right population.

CONTRACT (owned by the demand work; the supply, gaps, wording and pages read it as is):

    client_group_demand(areas, wide, client_group) -> Demand

``areas`` is the store's LSOA frame (columns ``model.AGE_BANDS``), ``wide`` the indicator
values per area (index area code, one column per indicator id, as ``pipeline.Inputs.wide``),
``client_group`` a key of ``model.CLIENT_GROUPS`` or "" (a group that does not restrict the
client group: older people). The result's ``people`` is aligned with ``areas`` rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class Demand:
    client_group: str
    people: np.ndarray                 # per area: estimated people in the client group
    label: str                         # plain words: "people aged 65+", "adults with a
    #                                    learning disability" (used as "of about N <label>")
    source: str                        # how it was estimated, with the source named
    stand_ins: list[str] = field(default_factory=list)   # inputs missing: what stood in


def client_group_demand(areas: pd.DataFrame, wide: pd.DataFrame, client_group: str) -> Demand:
    """People in ``client_group`` per area (interim: every group is the 65+ count)."""
    bands = [b for b in ("pop_65_74", "pop_75_84", "pop_85_plus") if b in areas]
    people = np.nansum(areas[bands].to_numpy(dtype=float), axis=1) if bands else \
        np.zeros(len(areas))
    return Demand(client_group, people, "people aged 65+",
                  "Census 2021 (ONS) residents aged 65+")
