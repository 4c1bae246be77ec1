"""The vocabularies and identifiers an Open Referral feed of AssetMap uses: the AssetMap
taxonomies, the HSDS 3.0 tables, stable uuid5 identifiers, the context a record is built
in, and helpers that read cells and leave empty values out."""
from __future__ import annotations

import math
import uuid
from dataclasses import dataclass

import pandas as pd

from ... import focus, model

NAMESPACE = uuid.UUID("6f1c3c1e-7f3a-5b7e-9a53-2b1d6c0a4e11")
#: HSDS version and the profile the feed follows (the ``/`` document).
HSDS_VERSION = "3.0"
PROFILE_URI = "https://github.com/OpenReferralUK/uk-profile/tree/main/profile"
#: The AssetMap vocabulary, published as taxonomies: kind -> (name, {code: label}).
TAXONOMIES = {
    "category": ("AssetMap asset categories", model.ASSET_CATEGORIES),
    "service_type": ("AssetMap service types", model.SERVICE_TYPES),
    "client_group": ("AssetMap client groups", model.CLIENT_GROUPS),
    "detail": ("AssetMap provider details", {
        "assetmap_id": "AssetMap record id", "direct_payments": "Accepts direct payments",
        "preferred_list": "On the preferred provider list", "staff_fte": "Staff (FTE)",
        "community_focus": "Community focus", "radius_km": "Area served (radius, km)",
        "home_based": "Home-based (location approximate)",
        "contact_public": "Contact details published",
        "cqc_registered": "Registered with the CQC",
        "capacity_hours": "Capacity (hours a week)", "vacancies": "Vacancies",
        "capacity_places": "Capacity (places)",
        "vacancies_confirmed": "Vacancies last confirmed (date)",
        "reach": "Reach (venue, visits or both)",
        "quality_mark_by": "Quality mark awarded by (council: verified; self: declared)",
        "cqc_rating": "CQC overall rating"}),
    "community_focus": ("AssetMap community focus",
                        {t.id: t.label for t in focus.TERMS.values()}),
}
TAXONOMY_DESCRIPTIONS = {
    "category": "The kinds of community asset AssetMap maps (its asset categories).",
    "service_type": "What a micro-provider or service offers (AssetMap service types).",
    "client_group": "Who a service is for (AssetMap client groups).",
    "detail": "Facts about a provider that HSDS 3.0 has no field for; the attribute's "
              "value holds the fact.",
    "community_focus": "Communities a provider serves in particular: languages, faiths, "
                       "ethnic groups, LGBT+, refugees (AssetMap's focus vocabulary; the "
                       "languages are also the service's languages).",
}
#: ISO 639-1 (else 639-3) codes of the focus vocabulary's languages, for ``languages``.
LANGUAGE_CODES = {
    "urdu": "ur", "punjabi": "pa", "gujarati": "gu", "bengali": "bn", "hindi": "hi",
    "tamil": "ta", "nepali": "ne", "pashto": "ps", "farsi": "fa", "kurdish": "ku",
    "arabic": "ar", "somali": "so", "tigrinya": "ti", "amharic": "am", "yoruba": "yo",
    "igbo": "ig", "shona": "sn", "swahili": "sw", "polish": "pl", "romanian": "ro",
    "lithuanian": "lt", "bulgarian": "bg", "slovak": "sk", "russian": "ru",
    "ukrainian": "uk", "portuguese": "pt", "spanish": "es", "italian": "it", "french": "fr",
    "turkish": "tr", "cantonese": "yue", "mandarin": "cmn", "vietnamese": "vi",
    "welsh": "cy", "bsl": "bfi",
}
#: A published mapping from the AssetMap vocabulary to a taxonomy councils use (e.g. the
#: LGA / esd service types): none is at hand (the standards folder holds none), so none.
EXTERNAL_MAPPINGS: dict[str, dict] = {}
LINK_TYPES = {"category": "service_category", "service_type": "service_type",
              "client_group": "audience", "detail": "detail",
              "community_focus": "community_focus"}
QUALITY_PREFIX = "AssetMap quality mark: "
CQC_PREFIX = "CQC overall rating: "
#: How each reach mode is worded in a schedule's ``attending_type`` (free text in HSDS).
ATTENDING = {"venue": "In person, at the venue",
             "visits": "At home: the provider comes to you",
             "both": "In person at the venue, or at home: the provider comes to you"}
#: The HSDS 3.0 tables and their file names (``path`` in the schemas and the standard's
#: datapackage.json), in the standard's order.
TABLES = {
    "organization": "organizations.csv", "program": "programs.csv",
    "service": "services.csv", "attribute": "attributes.csv",
    "service_at_location": "service_at_location.csv", "location": "locations.csv",
    "phone": "phones.csv", "contact": "contacts.csv", "address": "addresses.csv",
    "schedule": "schedules.csv", "funding": "funding.csv",
    "service_area": "service_areas.csv", "required_document": "required_documents.csv",
    "language": "languages.csv", "accessibility": "accessibility.csv",
    "taxonomy_term": "taxonomy_terms.csv", "metadata": "metadata.csv",
    "meta_table_description": "meta_table_descriptions.csv",
    "cost_option": "cost_options.csv", "organization_identifier":
    "organization_identifiers.csv", "taxonomy": "taxonomies.csv",
}


@dataclass(frozen=True)
class Context:
    """What a record is built with: ``root`` the site's public root URL (None: no
    links), ``area_name`` the borough (an address's region when it names no town)."""
    root: str | None = None
    area_name: str | None = None

    @property
    def feed_root(self) -> str | None:
        return f"{self.root}/openreferral" if self.root else None


def context_from(base_url: str | None, area_name: str | None = None) -> Context:
    """A :class:`Context` from a feed root (``https://site/openreferral``) or site root."""
    root = (base_url or "").rstrip("/") or None
    if root and root.endswith("/openreferral"):
        root = root[: -len("/openreferral")]
    return Context(root=root, area_name=area_name)


def uid(kind: str, key: str) -> str:
    """A stable identifier (uuid5 in AssetMap's namespace) for ``kind`` and ``key``."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


def term_id(kind: str, code: str) -> str:
    return uid("taxonomy_term", f"{kind}:{code}")


def taxonomy_id(kind: str) -> str:
    return uid("taxonomy", kind)


def field(row, k):
    """``row[k]`` as a plain Python value, or None when absent, missing (NaN, NA) or a
    blank string."""
    x = row.get(k) if hasattr(row, "get") else None
    if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
        return None
    if hasattr(x, "item"):
        x = x.item()
    if isinstance(x, str) and not x.strip():
        return None
    return x


def prune(obj):
    """``obj`` without empty values: None, blank strings, empty lists and objects are left
    out (recursively), as Open Referral asks; 0 and False stay."""
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            v = prune(v)
            if v is not None:
                out[k] = v
        return out or None
    if isinstance(obj, (list, tuple)):
        items = [v for v in (prune(x) for x in obj) if v is not None]
        return items or None
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, str) and not obj.strip():
        return None
    return obj


def number(v):
    """A whole float as int (40.0 -> 40), other numbers as they are."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v
