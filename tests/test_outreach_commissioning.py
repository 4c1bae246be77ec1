"""Commissioning gaps (assetmap.outreach.commissioning) on the demo borough."""
from __future__ import annotations

import re

from assetmap import settings


def _all_wards(ctx):
    return sorted(ctx.areas["parent_code"].dropna().unique())


def test_commissioning_gaps_are_sentences(ctx):
    """Each gap names the people it counts by the client group's own population (issue 10:
    "of about 410 adults with a learning disability", not the 65+ for every group)."""
    from assetmap import outreach
    from assetmap.analysis import demand
    plan = outreach.build_plan(ctx, outreach.PlanParams(patch="wards", ids=_all_wards(ctx),
                                                        client_group="learning_disability"))
    gaps = plan["gaps"]
    assert gaps
    label = demand.client_group_demand(ctx.areas, ctx.values, "learning_disability").label
    how = (r"(within 20 minutes' walk of|covering the homes of|coming to the homes of, or "
           r"within 20 minutes' walk of,)")
    pat = re.compile(r"^No [a-z ]+ for people with learning disabilities " + how
                     + r" about [\d,]+ " + re.escape(label))
    chosen = [g for g in gaps if g["chosen"]]
    assert chosen and all(pat.match(g["sentence"]) for g in chosen)
    assert all(g["people_label"] == label for g in chosen)
    venues = [g for g in gaps if g["kind"] == "venue"]
    assert all(g["people_label"] == "people aged 65+" for g in venues)
    assert all(g["people"] >= settings.OUTREACH_MIN_UNREACHED for g in gaps)
    # the chosen client group's gaps come first, largest first
    chosen = [g for g in gaps if g["chosen"]]
    assert gaps[:len(chosen)] == chosen
    sizes = [g["people"] for g in chosen]
    assert sizes == sorted(sizes, reverse=True)
