"""Needs choropleth: mapclassify classes, palettes, legends, escaping."""
import folium
import numpy as np
import pytest

from assetmap.layers import needs
from assetmap.layers._style import SEQUENTIAL
from assetmap.maps import render_parts

import webmini


@pytest.mark.parametrize("scheme", list(needs.SCHEMES))
def test_classify_every_scheme(scheme):
    v = np.r_[np.linspace(0, 10, 40), np.nan]
    cls, bins = needs.classify(v, scheme, 5)
    assert cls[-1] == -1 and (cls[:-1] >= 0).all() and cls[:-1].max() == len(bins) - 1
    assert bins[-1] == pytest.approx(10)
    assert list(bins) == sorted(bins)


def test_classify_degenerate():
    cls, bins = needs.classify([3.0, 3.0, 3.0], "fisher_jenks", 5)
    assert list(cls) == [0, 0, 0] and bins == [3.0]
    cls, bins = needs.classify([np.nan, np.nan], "quantiles", 5)
    assert list(cls) == [-1, -1] and bins == []
    cls, bins = needs.classify([1.0, 2.0], "quantiles", 5)
    assert len(bins) <= 2


def test_palettes_are_sequential_and_sized():
    for k in range(1, 8):
        assert len(needs.palette(k)) == min(max(k, 1), 7) or k < 3


def _mini_areas():
    import os
    import tempfile

    from assetmap.store import Store
    d = tempfile.mkdtemp()
    s = Store(f"sqlite:///{os.path.join(d, 's.sqlite')}")
    webmini.build(s)
    from assetmap.layers._geo import display_frame
    a = s.read_areas()
    s.dispose()
    return display_frame(a, ["code", "name"])


@pytest.fixture(scope="module")
def areas():
    return _mini_areas()


def test_choropleth_escapes_names_and_has_legend(areas):
    m = folium.Map(tiles=None)
    a = areas.copy()
    a["v"] = np.arange(len(a), dtype=float)
    a.loc[0, "v"] = np.nan
    g = needs.add_to(m, a, "v", title="Test <b>indicator</b>", unit="%", scheme="quantiles", k=4)
    html = render_parts(m)
    body = html.script
    assert webmini.XSS not in body and "<b>indicator" not in body
    # names travel as JSON text (drawn with text nodes in the browser), never as HTML
    assert "\\u003cimg src=x" in body
    assert "am-legend" in body and "No data" in body and "Quantiles" in body
    assert g.layer_name == "Need: Test &lt;b&gt;indicator&lt;/b&gt;"
    for c in SEQUENTIAL[4]:
        assert c in body
    assert '"/areas/{code}"' in body and '"E01000001"' in body
