"""Taking a plan away (assetmap.outreach.export): CSV, GPX and GeoJSON downloads, and the
`outreach` command."""
from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET


def _all_wards(ctx):
    return sorted(ctx.areas["parent_code"].dropna().unique())


def test_downloads(ctx):
    from assetmap import outreach
    # dementia: the demo's first wards have day activities gaps for it (issue 12: only the
    # chosen client group's items are listed, so the group is chosen to have some)
    plan = outreach.build_plan(ctx, outreach.PlanParams(patch="wards", ids=_all_wards(ctx)[:3],
                                                        client_group="dementia"))
    rows = list(csv.DictReader(io.StringIO(outreach.to_csv(plan))))
    sections = {r["section"] for r in rows}
    assert {"area", "route", "commissioning gap"} <= sections
    gap_rows = [r for r in rows if r["section"] == "commissioning gap"]
    assert all(r["area_code"] for r in gap_rows)         # every item names its areas
    assert sum(r["section"] == "area" for r in rows) == len(plan["areas"])
    assert not any(r["item"].startswith(("=", "+", "@")) for r in rows)
    gpx = ET.fromstring(outreach.route_gpx(plan))
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    assert len(gpx.findall("g:wpt", ns)) == len(plan["route"]["stops"])
    assert len(gpx.findall(".//g:trkpt", ns)) == len(plan["route"]["geometry"])
    gj = outreach.route_geojson(plan)
    kinds = [f["geometry"]["type"] for f in gj["features"]]
    assert kinds[0] == "LineString" and kinds.count("Point") == len(plan["route"]["stops"])


def test_cli_outreach(runner, demo_store_copy, tmp_path):
    from assetmap.cli import main
    url = demo_store_copy.url
    r = runner.invoke(main, ["--db", url, "outreach", "--ward", "Ferry Fields"])
    assert r.exit_code == 0, r.output
    assert "Where to go first:" in r.output and "Walking route:" in r.output
    out = tmp_path / "route.gpx"
    r = runner.invoke(main, ["--db", url, "outreach", "--ward", "Ferry Fields", "-f", "gpx",
                             "-o", str(out), "--save", "Ferry Fields"])
    assert r.exit_code == 0 and out.read_text().startswith("<?xml")
    assert list(demo_store_copy.list_outreach_plans()["name"]) == ["Ferry Fields"]
    r = runner.invoke(main, ["--db", url, "outreach", "--ward", "x", "--client-group", "cats"])
    assert r.exit_code == 2
