"""Class breaks for choropleths, computed once per data version and kept.

A needs map of England (32,844 areas) cannot run exact Fisher-Jenks on a request (O(k n^2):
it never finished in issue 15's test); beyond ``settings.CLASSIFY_SAMPLE_MAX`` values it is
computed on a fixed-seed random sample (mapclassify's ``FisherJenksSampled``, which keeps
the minimum and maximum), and :func:`cached` keeps each result for the data version.
"""
from __future__ import annotations

import mapclassify
import numpy as np

from .. import settings

SCHEMES = {
    "quantiles": ("Quantiles", mapclassify.Quantiles),
    "fisher_jenks": ("Fisher-Jenks", mapclassify.FisherJenks),
    "natural_breaks": ("Natural breaks", mapclassify.NaturalBreaks),
    "equal_interval": ("Equal intervals", mapclassify.EqualInterval),
}
#: Most classes a palette has (layers._style.SEQUENTIAL).
MAX_K = 7

#: How many classifications were computed (not served from the cache): for tests.
computed = {"n": 0}


def _classifier(v: np.ndarray, scheme: str, k: int):
    klass = SCHEMES.get(scheme, SCHEMES["quantiles"])[1]
    if klass is mapclassify.NaturalBreaks:
        return klass(v, k=k, initial=5)
    if klass is mapclassify.FisherJenks and len(v) > settings.CLASSIFY_SAMPLE_MAX:
        state = np.random.get_state()          # FisherJenksSampled samples with np.random
        np.random.seed(0)
        try:
            return mapclassify.FisherJenksSampled(
                v, k=k, pct=settings.CLASSIFY_SAMPLE_MAX / len(v), truncate=False)
        finally:
            np.random.set_state(state)
    return klass(v, k=k)


def classify(values, scheme: str = "quantiles", k: int = 5):
    """(class per value with -1 for missing, upper bounds of the classes)."""
    computed["n"] += 1
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v)
    cls = np.full(len(v), -1, dtype=int)
    if not ok.any():
        return cls, []
    uniq = np.unique(v[ok])
    k = int(max(1, min(k, len(uniq), MAX_K)))
    if k < 2:
        cls[ok] = 0
        return cls, [float(uniq[-1])]
    try:
        c = _classifier(v[ok], scheme, k)
    except Exception:                 # degenerate data: fall back to quantiles
        c = mapclassify.Quantiles(v[ok], k=k)
    yb = np.asarray(c.yb) if len(c.yb) == ok.sum() else np.searchsorted(c.bins, v[ok])
    cls[ok] = np.minimum(yb, len(c.bins) - 1)
    return cls, [float(b) for b in c.bins]


def cached(wd, measure: str, values, scheme: str = "quantiles", k: int = 5):
    """:func:`classify` once per data version: kept in the page data ``wd`` (one
    ``views.data.WebData`` per store, data version and analysis run) under the measure,
    scheme and k, so the overview page and the areas-in-view endpoint share it."""
    return wd.memoise(("classes", measure, scheme, int(k)),
                      lambda: classify(values, scheme, k))
