"""Pages: status codes, pickers, escaping of a script-like name everywhere, area profiles."""
import re

import pytest

import webmini

PAGES = ["/", "/?indicator=llti&scheme=fisher_jenks&k=4", "/?indicator=nope&scheme=bad&k=x",
         "/gaps", "/gaps?service_type=befriending&client_group=carers", "/gaps?service_type=zzz",
         "/hotspots", "/areas", "/areas/E01000008", "/areas/E01000008/summary", "/directory",
         "/directory?kind=all&q=asset", "/referral", "/referral?postcode=AB1+1AA",
         "/downloads", "/healthz"]


@pytest.mark.parametrize("url", PAGES)
def test_page_ok_and_escaped(web_client, url):
    r = web_client.get(url)
    assert r.status_code == 200, url
    body = r.get_data(as_text=True)
    assert webmini.XSS not in body
    assert "<img src=x" not in body


def test_script_like_names_are_shown_escaped(web_client):
    body = web_client.get("/areas").get_data(as_text=True)
    assert "Mill &amp; &lt;img src=x onerror=alert(1)&gt;" in body
    body = web_client.get("/directory?kind=all").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in body


def test_overview_picker_changes_map(web_client):
    a = web_client.get("/?indicator=need_index").get_data(as_text=True)
    b = web_client.get("/?indicator=llti").get_data(as_text=True)
    assert 'value="llti" selected' in b and 'value="need_index" selected' in a
    assert "Day-to-day activities limited" in b


def test_gap_page_ranks_and_links(web_client):
    body = web_client.get("/gaps?service_type=befriending&client_group=carers") \
        .get_data(as_text=True)
    links = re.findall(r'href="/areas/(E\d+)"', body)
    assert links, "gap table links to area profiles"
    assert "am-bv-cell" in body or "am-bv-cell" in body.replace("\\u003c", "<")


def test_gap_page_shows_the_exact_pair(client):
    """On the demo borough (a real analysis run) the gap page shows the chosen service type
    and client group together, without a fallback note; a pair nobody offers says so."""
    body = client.get("/gaps?service_type=day_activities&client_group=learning_disability")\
        .get_data(as_text=True)
    assert "Day activities for learning disability: high need" in body
    assert "separately" not in body and "No provider in the data offers" not in body
    assert 'value="day_activities" selected' in body
    assert 'value="learning_disability" selected' in body
    body = client.get("/gaps?service_type=accommodation&client_group=autism").get_data(as_text=True)
    assert "No provider in the data offers accommodation for autism" in body
    assert "No provider of accommodation for autistic people in the borough." in body
    assert "separately" not in body


def test_hotspot_table(web_client):
    body = web_client.get("/hotspots").get_data(as_text=True)
    assert 'id="hotspot-table"' in body and ">hot<" in body and ">cold<" in body


def test_area_profile_content(web_client):
    body = web_client.get("/areas/E01000036").get_data(as_text=True)
    assert "Need index" in body and "rank 1 of 36" in body
    assert "Loneliness risk" in body
    assert "Walking minutes to the nearest asset" in body and "Library" in body
    assert "within 15 minutes" in body.lower() or "within 15 minutes' walk" in body
    assert body.count('class="spine"') >= 5
    for flag in ("flag-better", "flag-worse"):
        assert flag in body
    assert "Walking isochrones" in body


def test_area_unknown_is_404(web_client):
    assert web_client.get("/areas/E09999999").status_code == 404
    assert web_client.get("/areas/E09999999/summary").status_code == 404


def test_summary_is_printable(web_client):
    body = web_client.get("/areas/E01000008/summary").get_data(as_text=True)
    assert "print.css" in body and "window.print()" in body and "folium-map" not in body


def test_pages_without_analysis(empty_app, store):
    webmini.build(store)
    c = empty_app.test_client()
    for url in ("/", "/gaps", "/hotspots", "/areas", "/areas/E01000001", "/directory",
                "/downloads"):
        r = c.get(url)
        assert r.status_code == 200, url
    assert "assetmap analyse" in c.get("/").get_data(as_text=True)


def test_pages_on_an_empty_store(empty_app):
    c = empty_app.test_client()
    for url in ("/", "/gaps", "/hotspots", "/areas", "/directory", "/referral?postcode=AB1+1AA",
                "/downloads", "/downloads/areas.csv", "/downloads/assets.geojson", "/api/v1/",
                "/api/v1/areas", "/api/v1/providers", "/openreferral/services"):
        assert c.get(url).status_code == 200, url


def test_supply_numbers_carry_their_units(client):
    """Issue 10: every supply number on the gap page, its map, the area profile, the CSV
    download and the API says its unit (hours a week or places, per 100 people in need)."""
    import csv
    import io
    body = client.get("/gaps?service_type=home_support&client_group=dementia"
                      ).get_data(as_text=True)
    cells = re.findall(r'<td class="supply">([^<]*)</td>', body)
    assert cells and all(c.endswith("hours a week per 100 people in need") for c in cells)
    assert "per 100 people in need" in body.split('id="gap-table"')[0]      # and the legend
    # a pair with providers in both units offers the choice; places are never hours
    both = client.get("/gaps?service_type=day_activities&client_group=dementia"
                      ).get_data(as_text=True)
    assert 'name="unit"' in both and '<option value="places"' in both
    places = client.get("/gaps?service_type=day_activities&client_group=dementia&unit=places"
                        ).get_data(as_text=True)
    assert "places per 100 people in need" in places
    assert "hours a week per 100" not in places.split('id="gap-table"')[-1].split("</table>")[0]
    text = client.get("/downloads/gaps.csv?service_type=day_activities&client_group=dementia"
                      ).get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and "supply_per_1000" not in rows[0]
    assert {r["unit"] for r in rows} == {"hours", "places"}
    for r in rows:
        assert r["supply_per_100_unit"] == {"hours": "hours a week per 100 people in need",
                                            "places": "places per 100 people in need"}[r["unit"]]
        assert r["shortfall_unit"] == {"hours": "hours a week", "places": "places"}[r["unit"]]
    code = rows[0]["area_code"]
    api = client.get(f"/api/v1/analysis/gaps?area={code}").get_json()["rows"]
    assert api and all(r["supply_per_100_unit"].endswith("per 100 people in need") for r in api)
    profile = client.get(f"/areas/{code}").get_data(as_text=True)
    assert re.search(r'id="supply-all">[\d.]+ hours a week per 100 people in need', profile)


def test_area_profile_names_each_gap_once(client):
    """The demo's most needy area has gaps in groups that share a title (hours and places
    of the same service): the at-a-glance line names each once."""
    import html
    import re
    body = client.get("/areas/E01990029").get_data(as_text=True)
    line = re.search(r"<dt>Gaps</dt><dd>(.*?)</dd>", body, re.S).group(1)
    titles = [t.strip() for t in html.unescape(line).rstrip(" …").split(", ")]
    assert len(titles) >= 2 and len(titles) == len(set(titles)), titles
