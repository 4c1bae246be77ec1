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
    assert all(g["kind"] == "service" for g in gaps)     # venue types are kept apart
    venues = plan["venue_gaps"]
    assert all(g["kind"] == "venue" and g["people_label"] == "people aged 65+" for g in venues)
    assert all(g["people"] >= settings.OUTREACH_MIN_UNREACHED for g in gaps)
    # the chosen client group's gaps come first, largest first
    chosen = [g for g in gaps if g["chosen"]]
    assert gaps[:len(chosen)] == chosen
    sizes = [g["people"] for g in chosen]
    assert sizes == sorted(sizes, reverse=True)


def test_only_the_chosen_client_group_and_service_once_each_naming_areas(ctx):
    """Issue 12: commissioning items never stray outside the chosen client group and service
    type, none repeats, and each names the areas it concerns (the same areas the people
    unreached live in)."""
    from assetmap import outreach
    wards = _all_wards(ctx)
    found = 0
    for cg, st in (("dementia", "day_activities"), ("dementia", ""),
                   ("learning_disability", "befriending")):
        plan = outreach.build_plan(ctx, outreach.PlanParams(
            patch="wards", ids=wards, client_group=cg, service_type=st))
        gaps = plan["gaps"]
        assert {g["client_group"] for g in gaps} <= {cg}
        if st:
            assert {g["service_type"] for g in gaps} <= {st}
        keys = [(g["service_type"], g["client_group"]) for g in gaps]
        assert len(keys) == len(set(keys)), keys
        patch = set(plan["patch"]["area_codes"])
        names = plan["patch"]["area_names"]
        for g in gaps:
            assert g["area_codes"] and set(g["area_codes"]) <= patch
            assert g["areas"] == len(g["area_codes"])
            assert names[g["area_codes"][0]] in g["sentence"]
        found += len(gaps)
    assert found                      # the checks above were not vacuous


def test_merge_items_joins_repeats_and_keeps_the_larger_count():
    from assetmap.outreach.commissioning import area_list, merge_items
    a = {"kind": "service", "service_type": "home_support", "client_group": "dementia",
         "people": 30, "area_codes": ["E1", "E2"], "area_names": ["A 014F", "B 022A"]}
    b = dict(a, people=50, area_codes=["E2", "E3"], area_names=["B 022A", "C 031C"])
    c = dict(a, service_type="befriending")
    out = merge_items([a, b, c])
    assert len(out) == 2
    assert out[0]["people"] == 50 and out[0]["area_codes"] == ["E2", "E3", "E1"]
    assert out[0]["areas"] == 3 and a["area_codes"] == ["E1", "E2"]      # inputs untouched
    assert area_list(["A 014F", "B 022A", "C 031C"]) == "A 014F, B 022A and C 031C"
    assert area_list([f"X{i}" for i in range(8)], limit=6).endswith("X5 and 2 more areas")


def _turn_away(store, asset_id, area, n, service="home_support", group="dementia"):
    for i in range(n):
        r = store.create_referral(asset_id=asset_id, service_type=service, client_group=group,
                                  area_code=area, case_ref=f"ASC-20{i:02d}", notes=None,
                                  created_by="rita")
        store.change_referral(r["id"], "declined", actor="provider", by="test",
                              reason="no_capacity")


def test_turned_away_referrals_are_worded_into_the_items(demo_store_copy):
    """Issue 11 item 4: referrals declined for lack of capacity in the patch, for the plan's
    service type and client group, read "12 referrals for home support ... in Ashbrook 012A
    declined for lack of capacity in the last quarter"; 1 to 4 as "Fewer than 5"; other
    groups' and other areas' referrals are not counted."""
    from assetmap import outreach
    s = demo_store_copy
    a = s.read_assets()
    prov = a[a["is_provider"] & a["service_types"].str.contains("home_support")]["id"].iloc[0]
    params = outreach.PlanParams(patch="wards", ids=[], client_group="dementia",
                                 service_type="home_support")
    areas = s.read_areas("lsoa")
    ward = areas["parent_code"].dropna().iloc[0]
    inside = areas[areas["parent_code"] == ward]["code"].tolist()
    outside = areas[areas["parent_code"] != ward]["code"].iloc[0]
    params.ids = [ward]
    _turn_away(s, prov, inside[0], 12)
    _turn_away(s, prov, outside, 7)                                  # not in the patch
    _turn_away(s, prov, inside[0], 3, group="older_people")         # not the chosen group
    plan = outreach.make_plan(s, params)
    obs = [g for g in plan["gaps"] if g.get("observed")]
    assert len(obs) == 1 and [g for g in plan["gaps"]].count(obs[0]) == 1
    name = plan["patch"]["area_names"][inside[0]]
    assert obs[0]["observed"]["sentence"] == (
        f"12 referrals for home support for people living with dementia in {name} declined "
        "for lack of capacity in the last quarter")
    assert obs[0]["observed"]["area_codes"] == [inside[0]]
    csv_text = outreach.to_csv(plan)
    assert "declined for lack of capacity" in csv_text
    # a small number is suppressed unless exact
    small = outreach.PlanParams(patch="wards", ids=[ward], client_group="older_people",
                                service_type="home_support")
    plan = outreach.make_plan(s, small)
    text = [g["observed"]["sentence"] for g in plan["gaps"] if g.get("observed")]
    assert text and text[0].startswith("Fewer than 5 referrals") and "3" not in text[0][:15]
    exact = outreach.with_observed(s, plan, exact=True)
    assert [g["observed"]["sentence"] for g in exact["gaps"] if g.get("observed")][0] \
        .startswith("3 referrals")
    again = outreach.with_observed(s, exact)                    # idempotent: no repeats
    assert len(again["gaps"]) == len(plan["gaps"])
