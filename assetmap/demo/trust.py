"""Trust signals of the demo's micro-providers (issue 11, item 5): who awarded each quality
mark (about half verified by the council, the rest self-declared), CQC ratings for the
registered services only (most micro-providers, sole traders among them, cannot register
and stay unrated), and community focus terms read from the free text with a related term
now and then (Punjabi speakers who also speak Urdu, Gujarati speakers of the Hindu faith).

Drawn from their own random stream so that adding them changed no other demo figure.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import focus, model

TRUST_STREAM = 11
#: A focus term -> terms a provider with it often also has (one may be added).
RELATED = {"punjabi": ("urdu", "sikh", "hindi"), "gujarati": ("hindi", "hindu"),
           "urdu": ("punjabi", "muslim"), "muslim": ("urdu", "bengali", "arabic"),
           "sikh": ("punjabi",), "hindu": ("gujarati", "hindi"), "lgbt": ("trans",),
           "black_caribbean": ("black_african",)}
#: Shares of CQC's overall ratings among registered services (roughly CQC's published
#: national mix for community social care: mostly Good), and the share not yet rated.
CQC_SHARES = (0.06, 0.72, 0.18, 0.04)
NOT_YET_RATED = 0.12
VERIFIED_SHARE = 0.5


def _tags(rng, text) -> str | None:
    ids = focus.tags_from_text(text or "")
    for t in list(ids):
        if t in RELATED and rng.random() < 0.5:
            ids.append(RELATED[t][int(rng.integers(len(RELATED[t])))])
    return focus.join_tags(ids) or None


def add_trust(providers: pd.DataFrame, seed: int) -> pd.DataFrame:
    """``providers`` with quality_mark_by, cqc_rating and community_tags."""
    rng = np.random.default_rng([int(seed), TRUST_STREAM])
    out = providers.copy()
    by, rating, tags = [], [], []
    for row in providers.to_dict("records"):
        verified = rng.random() < VERIFIED_SHARE
        by.append(None if row["quality_mark"] == "none" else
                  "council" if verified else "self")
        r = str(rng.choice(list(model.CQC_RATINGS), p=list(CQC_SHARES)))
        unrated = rng.random() < NOT_YET_RATED
        rating.append(r if row["cqc_registered"] and not unrated else None)
        tags.append(_tags(rng, row.get("community_focus")))
    out["quality_mark_by"], out["cqc_rating"], out["community_tags"] = by, rating, tags
    return out
