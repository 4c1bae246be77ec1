"""Assets and providers: clustered markers, escaped popups, hidden layers stay hidden,
home-based providers only at approximate locations."""
import json
import re

import folium
import pytest

from assetmap.layers import assets as assets_layer
from assetmap.layers import providers as providers_layer
from assetmap.maps import render_parts
from assetmap.privacy import public_assets

import webmini


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    from assetmap.store import Store
    s = Store(f"sqlite:///{tmp_path_factory.mktemp('pts') / 's.sqlite'}")
    webmini.build(s)
    yield s
    s.dispose()


def _data(script: str) -> list:
    m = re.search(r"var data = (\[.*?\]);\n", script, re.S)
    return json.loads(m.group(1))


def test_assets_markers_escaped_and_clustered(mini):
    a = public_assets(mini.read_assets())
    m = folium.Map(tiles=None)
    assets_layer.add_to(m, a, link_template="/x/{id}")
    parts = render_parts(m)
    assert "markerClusterGroup" in parts.script
    assert webmini.XSS not in parts.script and "<img" not in parts.script
    rows = _data(parts.script)
    assert len(rows) == len(a)
    xss = [r for r in rows if r[5] == webmini.XSS]
    assert xss and xss[0][3] == "&lt;img src=x onerror=alert(1)&gt;"
    assert "leaflet.markercluster" in parts.header and "/static/vendor/" in parts.header


def test_providers_colour_by_quality_and_home_based_is_approximate(mini):
    raw = mini.read_assets()
    prov = public_assets(raw[raw["is_provider"]])
    m = folium.Map(tiles=None)
    providers_layer.add_to(m, prov)
    parts = render_parts(m)
    for colour in providers_layer.QUALITY_COLOURS.values():
        assert colour in parts.script
    rows = _data(parts.script)
    home = raw[raw["is_provider"] & raw["home_based"]]
    assert len(home)
    exact = {(round(g.y, 5), round(g.x, 5)) for g in home.geometry}
    assert not exact & {(r[0], r[1]) for r in rows}
    assert any("Approximate location" in "".join(map(str, r[6])) for r in rows)


def test_hidden_marker_layer_is_not_added_on_load(mini):
    a = public_assets(mini.read_assets())
    m = folium.Map(tiles=None)
    g = assets_layer.add_to(m, a, show=False)
    folium.LayerControl().add_to(m)
    s = render_parts(m).script
    assert f"{g.get_name()}.addTo(" not in s
    g2 = assets_layer.add_to(folium.Map(tiles=None), a, show=True)
    assert g2.show


def test_popup_helpers_escape():
    row = {"name": webmini.XSS, "category": "library", "address": "<script>x</script>",
           "service_types": "befriending", "client_groups": "carers", "hourly_price": 12.5,
           "quality_mark": "gold", "vacancies": 2.0, "community_focus": webmini.XSS}
    for html in (assets_layer.popup_html(row), providers_layer.popup_html(row),
                 "".join(assets_layer.popup_values(row)),
                 "".join(providers_layer.popup_values(row))):
        assert "<img" not in html and "<script>" not in html
    assert providers_layer.price_text(12.5) == "£12.50 an hour"
    assert providers_layer.price_text(float("nan")) == ""


def test_cross_border_assets_grey_with_outlines_never_of_homes(mini):
    import geopandas as gpd
    from shapely.geometry import box

    from assetmap.model import ASSET_CATEGORIES
    raw = mini.read_assets()
    a = public_assets(raw).reset_index(drop=True)
    a["cross_border"] = False
    a.loc[0, "cross_border"] = True
    home = a.loc[a["home_based"].astype(bool), "id"].iloc[0]
    out_id, cat = a.loc[0, "id"], a.loc[0, "category"]
    g0 = a.geometry.iloc[0]
    fp = gpd.GeoDataFrame({"id": [out_id, home]},
                          geometry=[box(g0.x - 1e-4, g0.y - 1e-4, g0.x + 1e-4, g0.y + 1e-4),
                                    box(1, 1, 2, 2)], crs="EPSG:4326")
    m = folium.Map(tiles=None)
    assets_layer.add_to(m, a, footprints=fp, legend=True)
    parts = render_parts(m)
    rows = {r[5]: r for r in _data(parts.script)}
    cats = list(ASSET_CATEGORIES)
    first = rows[a.loc[0, "name"]]
    assert first[2] == len(cats) + cats.index(cat)               # the grey twin of its style
    assert assets_layer.CROSS_BORDER_NOTE in "".join(first[6])
    others = [r for n, r in rows.items() if n != a.loc[0, "name"]]
    assert all(r[2] < len(cats) for r in others)
    assert assets_layer.CROSS_BORDER_COLOUR in parts.script
    assert "just outside the area" in parts.html + parts.script
    assert parts.script.count('"Polygon"') == 1                  # the home's outline is not drawn
    assert "[1.0, 1.0]" not in parts.script and "[1, 1]" not in parts.script


def test_new_categories_have_colours_and_symbols():
    from assetmap.model import ASSET_CATEGORIES
    assert set(assets_layer.CATEGORY_COLOURS) == set(ASSET_CATEGORIES)
    assert set(assets_layer.CATEGORY_SYMBOLS) == set(ASSET_CATEGORIES)
    assert len(set(assets_layer.CATEGORY_SYMBOLS.values())) == len(ASSET_CATEGORIES)
    assert assets_layer.CROSS_BORDER_COLOUR not in assets_layer.CATEGORY_COLOURS.values()


def test_provider_popup_trust_signals(monkeypatch):
    """Who awarded the mark, the CQC rating, the price against the council's rate, the
    focus terms; the preferred list only where the council publishes it."""
    from assetmap import settings
    monkeypatch.setattr(settings, "COUNCIL_HOURLY_RATE", 20.0)
    monkeypatch.setattr(settings, "PUBLISH_PREFERRED_LIST", False)
    row = {"name": "Sahara", "service_types": "home_support", "client_groups": "older_people",
           "hourly_price": 18.0, "quality_mark": "gold", "quality_mark_by": "council",
           "cqc_rating": "Good", "community_tags": "urdu|gujarati",
           "community_focus": "South Asian elders", "preferred_list": True}
    vals = dict(zip(providers_layer.POPUP_LABELS, providers_layer.popup_values(row)))
    assert vals["Quality mark"] == "Gold quality mark, verified by the council"
    assert vals["Price"] == "£18.00 an hour (GBP 2.00 below the council rate)"
    assert vals["CQC rating"] == "Good"
    assert vals["Community focus"] == "Urdu, Gujarati; South Asian elders"
    assert vals["Preferred list"] == ""
    monkeypatch.setattr(settings, "PUBLISH_PREFERRED_LIST", True)
    row.update(quality_mark_by="self", cqc_rating=None, hourly_price=20.0)
    vals = dict(zip(providers_layer.POPUP_LABELS, providers_layer.popup_values(row)))
    assert vals["Quality mark"] == "Gold (self-declared)" and vals["CQC rating"] == ""
    assert vals["Price"] == "£20.00 an hour (at the council rate)"
    assert vals["Preferred list"] == "Yes"
    monkeypatch.setattr(settings, "COUNCIL_HOURLY_RATE", None)
    vals = dict(zip(providers_layer.POPUP_LABELS, providers_layer.popup_values(row)))
    assert vals["Price"] == "£20.00 an hour"
