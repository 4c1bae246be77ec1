"""The vocabularies and identifiers an Open Referral feed of AssetMap uses: the AssetMap
taxonomies, the HSDS tables, stable uuid5 identifiers, and a missing-aware cell reader."""
from __future__ import annotations

import math
import uuid

import pandas as pd

from ... import model

NAMESPACE = uuid.UUID("6f1c3c1e-7f3a-5b7e-9a53-2b1d6c0a4e11")
TAXONOMIES = {
    "category": ("AssetMap asset categories", model.ASSET_CATEGORIES),
    "service_type": ("AssetMap service types", model.SERVICE_TYPES),
    "client_group": ("AssetMap client groups", model.CLIENT_GROUPS),
    "detail": ("AssetMap provider details", {
        "assetmap_id": "AssetMap record id", "direct_payments": "Accepts direct payments",
        "preferred_list": "On the preferred provider list", "staff_fte": "Staff (FTE)",
        "community_focus": "Community focus", "radius_km": "Area served (radius, km)",
        "home_based": "Home-based (location approximate)",
        "contact_public": "Contact details published"}),
}
LINK_TYPES = {"category": "service_category", "service_type": "service_type",
              "client_group": "audience", "detail": "detail"}
CAPACITY_UNIT = "hours per week"
QUALITY_PREFIX = "AssetMap quality mark: "
#: CSV tables written by the export (HSDS tabular names) and read by the import (singular
#: or plural file names accepted).
TABLES = ["organizations", "organization_identifiers", "services", "locations", "addresses",
          "service_at_locations", "taxonomies", "taxonomy_terms", "attributes", "cost_options",
          "service_capacities", "units", "contacts", "phones", "schedules"]


def uid(kind: str, key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


def field(row, k):
    """``row[k]`` as a plain Python value, or None when absent or missing (NaN, NA)."""
    x = row.get(k) if hasattr(row, "get") else None
    if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
        return None
    if hasattr(x, "item"):
        x = x.item()
    return x
