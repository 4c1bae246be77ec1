"""Gap classes that hold on ties: zero supply is its own class, breaks over the positive values
cannot collapse, few distinct values give as many classes; on the demo no service x client
group pair with high-need zero-supply areas says "No area is a gap"; a group no provider
reaches says so instead of drawing a map of ties; the layer draws the no-supply class."""
import re

import folium
import numpy as np
import pandas as pd
import pytest

from assetmap.analysis import gaps
from assetmap.layers import gaps as gaps_layer
from assetmap.maps import render_parts


def test_many_zeros_are_their_own_class_and_gaps():
    """132 of 150 areas without supply (the demo's transport + dementia): before, the tied
    zeros all sat in the middle tertile and no area was a gap."""
    rng = np.random.default_rng(3)
    need = rng.normal(size=150)
    supply = np.zeros(150)
    supply[rng.choice(150, 18, replace=False)] = rng.gamma(2.0, 0.01, 18)
    out = gaps.classify(need, supply, 3)
    zero = supply == 0
    assert (out["supply_class"][zero] == 0).all()
    assert sorted(np.bincount(out["supply_class"][~zero])[1:]) == [6, 6, 6]
    high = out["need_class"] == 3
    assert out["is_gap"].sum() >= (high & zero).sum() > 0
    assert out.loc[high & zero, "is_gap"].all()
    assert set(out.loc[high & zero, "bivariate_class"]) == {"N3-S0"}
    assert not out.loc[out["supply_class"] >= 2, "is_gap"].any()
    # the widest gap: high need and no supply, ranked 1
    assert out.loc[out["gap_rank"] == 1, "supply_class"].iloc[0] == 0


def test_all_zero_supply():
    need = np.linspace(0, 1, 12)
    out = gaps.classify(need, np.zeros(12), 3)
    assert (out["supply_class"] == 0).all()
    assert out["is_gap"].tolist() == [False] * 8 + [True] * 4
    assert out["bivariate_class"].iloc[-1] == "N3-S0"
    assert out.loc[out["is_gap"], "gap_rank"].tolist() == [4, 3, 2, 1]


def test_few_distinct_values_give_as_many_classes():
    assert gaps.supply_classes([0, 0, 2, 2, 2, 5, 5], 3).tolist() == [0, 0, 1, 1, 1, 2, 2]
    assert gaps.supply_classes([0, 4, 4, 4], 3).tolist() == [0, 1, 1, 1]
    assert gaps.supply_classes([np.nan, 0, 1, 2, 3], 3).tolist() == [0, 0, 1, 2, 3]
    # ties share a class, whichever side of a break they fall
    tied = gaps.supply_classes([1, 2, 2, 2, 2, 2, 2, 2, 2, 3], 3)
    assert len(set(tied[1:9])) == 1 and tied[0] < tied[1] < tied[9]
    # need: few distinct values, and no value -> 0
    assert gaps.classes([1, 1, 2, 2, np.nan], 3).tolist() == [1, 1, 2, 2, 0]
    ties = gaps.classes([0, 0, 0, 0, 5, 6])
    assert len(set(ties[:4])) == 1


def test_no_need_variation_means_no_gap():
    out = gaps.classify(np.ones(6), np.zeros(6), 3)
    assert not out["is_gap"].any() and (out["need_class"] == 1).all()


def test_layer_draws_no_supply():
    assert gaps_layer.colour(3, 0) == gaps_layer.colour(3, 1) == gaps_layer.BIVARIATE[3][1]
    leg = gaps_layer.legend_html()
    assert leg.count("am-bv-cell") == 9 and "No supply" in leg and "dashed" in leg
    assert {gaps_layer.colour(n, s) for n in (1, 2, 3) for s in (1, 2, 3)} == \
        {c for row in gaps_layer.BIVARIATE.values() for c in row.values()}     # palette kept


# --- the demo borough ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_run(demo_copy):
    from assetmap import pipeline
    store = demo_copy(analysed=True)
    yield pipeline.load(store)
    store.dispose()


def _pairs(a):
    g = a.gaps[a.gaps["group_kind"] == "service_client"]
    return g.groupby(["service_type", "client_group"])


def test_demo_every_pair_with_high_need_and_no_supply_has_gaps(demo_run):
    checked = 0
    for (st, cg), rows in _pairs(demo_run):
        top = rows["need_class"].max()
        unserved = (rows["need_class"] == top) & (rows["supply"].fillna(0) <= 0)
        if unserved.any():
            checked += 1
            assert rows.loc[unserved, "is_gap"].all(), (st, cg)
            assert (rows.loc[unserved, "bivariate_class"] == f"N{top}-S0").all(), (st, cg)
    # many pairs have unserved high-need areas (fewer than before issue 10: providers that
    # come to people now reach every area they serve, not only those within a walk)
    assert checked >= 15


def test_demo_gap_pages_never_say_no_gap_where_need_is_unserved(demo_run, client):
    """Every pair's page: where some high-need area has no supply, the page lists gaps."""
    for (st, cg), rows in _pairs(demo_run):
        unserved = ((rows["need_class"] == rows["need_class"].max())
                    & (rows["supply"].fillna(0) <= 0)).any()
        body = client.get(f"/gaps?service_type={st}&client_group={cg}").get_data(as_text=True)
        assert 'id="gap-method"' in body or 'id="no-provider"' in body, (st, cg)
        if unserved:
            assert "No area is a gap" not in body, (st, cg)
            assert re.search(r'id="gap-table"', body) or 'id="no-provider"' in body, (st, cg)


def test_a_group_no_provider_reaches_says_so(demo_run):
    """A pair whose supply is zero in every area gets a sentence, not a map of ties."""
    from assetmap.views import planner
    rows = demo_run.gaps[(demo_run.gaps["service_type"] == "transport")
                         & (demo_run.gaps["client_group"] == "dementia")].copy()
    assert len(rows) and planner.no_provider_note(rows, "transport", "dementia") is None
    rows["supply"] = 0.0
    assert planner.no_provider_note(rows, "transport", "dementia") == \
        "No provider of transport for people with dementia in the borough."
    assert planner.no_provider_note(rows, "transport", "carers") is None     # a fallback


def test_gap_page_without_any_provider(client, monkeypatch):
    from assetmap import maps

    real = maps.gap_rows

    def no_supply(wd, st, cg, unit=None):
        rows = real(wd, st, cg, unit).copy()
        rows["supply"] = 0.0
        return rows

    monkeypatch.setattr(maps, "gap_rows", no_supply)
    body = client.get("/gaps?service_type=transport&client_group=dementia").get_data(as_text=True)
    assert "No provider of transport for people with dementia in the borough" in body
    assert 'id="no-provider"' in body and "No area is a gap" not in body
    assert "am-bv-cell" not in body and 'id="gap-table"' not in body


def test_gap_layer_outlines_no_supply_areas(demo_run):
    g = demo_run.gaps
    pairs = g[g["group_kind"] == "service_client"].groupby(["group", "unit"])
    key = (pairs["supply_class"].apply(lambda s: int((s == 0).sum()))).idxmax()
    rows = pairs.get_group(key)             # the pair with most unserved areas
    assert (rows["supply_class"] == 0).sum() > 30
    areas = demo_run.areas[["code", "name", "geometry"]]
    m = folium.Map(tiles=None)
    gaps_layer.add_to(m, areas, rows)
    parts = render_parts(m)
    s = parts.script
    assert f'"dashArray": "{gaps_layer.NO_SUPPLY_DASH}"' in s and "no supply" in s
    assert "No supply" in parts.html + s
    pd.testing.assert_series_equal(rows["is_gap"].reset_index(drop=True),
                                   ((rows["need_class"] == 3) & (rows["supply_class"] <= 1))
                                   .reset_index(drop=True), check_names=False)


def test_many_groups_classed_at_once_match_one_by_one():
    rng = np.random.default_rng(5)
    need = rng.random(40)
    need[3] = np.nan
    supplies = [rng.random(40) * (rng.random(40) > 0.4), np.zeros(40), rng.integers(0, 3, 40)]
    many = gaps.classify_many(need, supplies, 3)
    assert len(many) == 120
    for g, s in enumerate(supplies):
        one = gaps.classify(need, s, 3)
        pd.testing.assert_frame_equal(many.iloc[40 * g:40 * (g + 1)].reset_index(drop=True), one)
    assert gaps.classify_many(need, [], 3).empty
