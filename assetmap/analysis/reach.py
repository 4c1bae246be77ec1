"""Reach: which places a provider can serve.

CONTRACT (owned by the reach work; referral, supply, gaps, outreach and the area profile read
it as is, so that they give the same answer for the same place):

    reach_mode(provider_row) -> "venue" | "visits" | "both"
        the record's ``reach``, else by service type (model.VISITING_SERVICE_TYPES)
    coverage(providers, areas) -> np.ndarray (bool, providers x areas)
        for providers that visit: the areas their area served covers (``area_served`` codes,
        an ``area_served_geojson`` polygon, or ``radius_km`` around the base; an LSOA is
        covered when its population-weighted centre, else its representative point, is
        inside); False for venue-only providers
    covers_point(providers, lon, lat, area_code) -> np.ndarray (bool, providers)
        the same rule for one place (a person's postcode or map click)

``providers`` is a (Geo)DataFrame of provider assets as ``store.read_assets`` returns them
(WGS84 points, provider columns); ``areas`` the store's LSOA frame (with ``parent_code`` =
ward code so ward codes in ``area_served`` cover their LSOAs).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import model


def reach_mode(row) -> str:
    given = str(row.get("reach") or "").strip()
    if given in model.REACH_MODES:
        return given
    types = set(model.split_list(row.get("service_types")))
    return "visits" if types and types <= set(model.VISITING_SERVICE_TYPES) else "venue"


def coverage(providers: pd.DataFrame, areas: pd.DataFrame) -> np.ndarray:
    raise NotImplementedError("reach.coverage: implemented by the reach work")


def covers_point(providers: pd.DataFrame, lon: float, lat: float, area_code: str | None
                 ) -> np.ndarray:
    raise NotImplementedError("reach.covers_point: implemented by the reach work")
