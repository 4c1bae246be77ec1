"""The ward ranking and ward profiles on the demo borough."""
from __future__ import annotations

import re


def test_ward_ranking_lists_every_ward_and_sorts(client):
    html = client.get("/wards").get_data(as_text=True)
    codes = re.findall(r'href="/areas/(E0599\d{4})"', html)
    assert len(codes) == 15 and len(set(codes)) == 15
    by_gaps = client.get("/wards?sort=gaps").get_data(as_text=True)
    rows = re.findall(r"<tr><td>\d+</td>.*?</tr>", by_gaps, flags=re.S)
    gaps = [int(re.findall(r"<td>(\d+)</td>", r)[-2]) for r in rows]
    assert gaps == sorted(gaps, reverse=True) and gaps[0] > 0


def test_ward_profile_aggregates_its_areas(client):
    html = client.get("/wards").get_data(as_text=True)
    first = re.findall(r'href="/areas/(E0599\d{4})"', html)[0]
    page = client.get(f"/areas/{first}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "rank 1 of 15 wards" in text
    assert len(re.findall(r'href="/areas/E0199\d{4}"', text)) >= 5
    assert client.get("/areas/E05999999").status_code == 404


def test_area_tooltips_name_the_ward(client):
    html = client.get("/gaps").get_data(as_text=True)
    # each area's row is [code, name, ward]; assetmap.js writes the ward into the tooltip
    # and popup head as <span class="am-ward">(ward)</span>, from text
    import re
    assert re.search(r'\["E01\d+",\s*"[^"]+",\s*"Hollins Green"\]', html)
