"""Commissioning gaps (assetmap.outreach.commissioning) on the demo borough."""
from __future__ import annotations

import re

from assetmap import settings


def _all_wards(ctx):
    return sorted(ctx.areas["parent_code"].dropna().unique())


def test_commissioning_gaps_are_sentences(ctx):
    from assetmap import outreach
    plan = outreach.build_plan(ctx, outreach.PlanParams(patch="wards", ids=_all_wards(ctx),
                                                        client_group="learning_disability"))
    gaps = plan["gaps"]
    assert gaps
    pat = re.compile(r"^No [a-z ]+ for [a-z ]+ (within 20 minutes' walk of|covering the homes of)"
                     r" [\d,]+ people aged 65\+")
    assert any(pat.match(g["sentence"]) for g in gaps)
    assert all(g["people_65_plus"] >= settings.OUTREACH_MIN_UNREACHED for g in gaps)
    # the chosen client group's gaps come first, largest first
    chosen = [g for g in gaps if g["chosen"]]
    assert gaps[:len(chosen)] == chosen
    sizes = [g["people_65_plus"] for g in chosen]
    assert sizes == sorted(sizes, reverse=True)
