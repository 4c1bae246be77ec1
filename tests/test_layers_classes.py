"""Class breaks: every scheme, Fisher-Jenks on a sample beyond CLASSIFY_SAMPLE_MAX values
(bounded, deterministic), and one classification per data version."""
import numpy as np
import pytest

from assetmap import settings
from assetmap.layers import classes


def test_fisher_jenks_on_a_sample_for_a_national_map(monkeypatch):
    v = np.random.default_rng(3).gamma(2.0, size=32_844)
    cls, bins = classes.classify(v, "fisher_jenks", 5)
    assert len(bins) == 5 and bins[-1] == pytest.approx(v.max())
    assert cls.min() == 0 and cls.max() == 4 and len(cls) == len(v)
    assert classes.classify(v, "fisher_jenks", 5)[1] == bins          # same sample each time
    state = np.random.get_state()[1].copy()
    classes.classify(v, "fisher_jenks", 5)
    assert (np.random.get_state()[1] == state).all()                 # global state untouched
    # below the limit: exact Fisher-Jenks (the mapclassify reference)
    import mapclassify
    small = v[:300]
    assert classes.classify(small, "fisher_jenks", 4)[1] == \
        [float(b) for b in mapclassify.FisherJenks(small, k=4).bins]
    monkeypatch.setattr(settings, "CLASSIFY_SAMPLE_MAX", 100)
    _, sampled = classes.classify(small, "fisher_jenks", 4)
    assert sampled[-1] == pytest.approx(small.max()) and len(sampled) == 4


class _WD:
    """Stands in for views.data.WebData (its memoise)."""
    def __init__(self):
        self.memo = {}

    def memoise(self, key, build):
        if key not in self.memo:
            self.memo[key] = build()
        return self.memo[key]


def test_cached_classifies_once_per_data_version():
    v = np.arange(50, dtype=float)
    wd = _WD()
    before = classes.computed["n"]
    a = classes.cached(wd, "need_index", v, "quantiles", 5)
    b = classes.cached(wd, "need_index", v, "quantiles", 5)
    assert a is b and classes.computed["n"] == before + 1
    classes.cached(wd, "need_index", v, "quantiles", 4)              # another k: computed
    assert classes.computed["n"] == before + 2
    classes.cached(_WD(), "need_index", v, "quantiles", 5)          # a new data version
    assert classes.computed["n"] == before + 3
