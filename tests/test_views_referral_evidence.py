"""Referral evidence on the pages (issue 11): turned-away referrals beside the modelled gaps
on /gaps and on the area profile, the evidence page, CSV/GeoJSON downloads and the API;
exact counts for planners only, 1 to 4 as "fewer than 5" for everyone else; no case
reference anywhere in it."""
import io
import json

import pandas as pd
import pytest

import webmini
from contribhelp import store_of
from referralhelp import provider


def _seed(store, aid, area, n_turned, n_accepted=0, service="befriending",
          group="older_people", prefix="EV"):
    """Referrals straight into the store: n_turned declined for lack of capacity, n_accepted
    accepted."""
    for i in range(n_turned + n_accepted):
        r = store.create_referral(asset_id=aid, service_type=service, client_group=group,
                                  area_code=area, case_ref=f"{prefix}-{area[-4:]}-{i}",
                                  notes=None, created_by="rita")
        if i < n_turned:
            store.change_referral(r["id"], "declined", actor="provider", by="p",
                                  reason="no_capacity")
        else:
            store.change_referral(r["id"], "accepted", actor="provider", by="p")


@pytest.fixture
def seeded(referral_app):
    """A gap area with 7 referrals turned away and 2 accepted, another area with 2 turned
    away; returns (store, gap area code, small area code)."""
    store = store_of(referral_app)
    aid, _ = provider(store)
    gaps = webmini.analysis_frames(store)["gaps"]
    gap = gaps[gaps["is_gap"] & (gaps["service_type"] == "befriending")
               & (gaps["client_group"] == "older_people")]["area_code"]
    big = gap.iloc[0]
    small = next(c for c in store.read_areas()["code"] if c not in set(gap))
    _seed(store, aid, big, 7, 2)
    _seed(store, aid, small, 2)
    return store, big, small


def test_gaps_show_turned_away_beside_the_modelled_gap(seeded, referral_client):
    store, big, small = seeded
    url = "/gaps?service_type=befriending&client_group=older_people"
    anon = referral_client().get(url).get_data(as_text=True)
    panel = anon[anon.index('id="turned-away"'):]
    assert "Turned away (observed)" in anon and "fewer than 5" in panel
    assert f'data-area="{big}"><td><a href="/areas/{big}">' in panel
    row = panel[panel.index(f'data-area="{big}"'):].split("</tr>")[0]
    assert "<td>7</td><td>9</td>" in row
    row = panel[panel.index(f'data-area="{small}"'):].split("</tr>")[0]
    assert "<td>fewer than 5</td><td>fewer than 5</td>" in row
    # the gap table's own column
    table = anon[anon.index('id="gap-table"'):anon.index("</table>", anon.index('id="gap-table"'))]
    gap_row = table[table.index(f'/areas/{big}"'):].split("</tr>")[0]
    assert gap_row.endswith("<td>7</td>")
    assert "7 referrals for befriending for older people in" in panel
    # planners see the exact small count
    pat = referral_client("pat").get(url).get_data(as_text=True)
    row = pat[pat.index(f'data-area="{small}"'):].split("</tr>")[0]
    assert "<td>2</td><td>2</td>" in row
    for text in (anon, pat):
        assert "EV-" not in text


def test_the_area_profile_shows_observed_demand(seeded, referral_client):
    store, big, small = seeded
    anon = referral_client().get(f"/areas/{small}").get_data(as_text=True)
    section = anon[anon.index('id="area-referrals"'):]
    assert "Befriending" in section and "fewer than 5" in section
    pat = referral_client("pat").get(f"/areas/{small}").get_data(as_text=True)
    section = pat[pat.index('id="area-referrals"'):].split("</section>")[0]
    assert "<td>2</td><td>0</td><td>2</td><td>2</td>" in section
    assert "2 referrals for befriending for older people in" in section
    assert "EV-" not in anon + pat


def test_the_evidence_page(seeded, referral_client):
    store, big, small = seeded
    anon = referral_client().get("/referral-evidence").get_data(as_text=True)
    assert 'id="evidence-table"' in anon and "fewer than 5" in anon
    assert 'id="evidence-totals"' not in anon              # totals would undo suppression
    assert "7 referrals for befriending for older people in" in anon
    pat = referral_client("pat").get("/referral-evidence?period=year").get_data(as_text=True)
    assert "In all: 11 made, 2 accepted, 9 declined (9 for lack of capacity)" in pat
    empty = referral_client().get("/referral-evidence?service_type=transport").get_data(
        as_text=True)
    assert "No referrals in the last quarter" in empty
    assert "EV-" not in anon + pat


def test_downloads_are_suppressed_for_the_public(seeded, referral_client):
    store, big, small = seeded
    anon = referral_client()
    csv = anon.get("/downloads/referral-evidence.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    df = pd.read_csv(io.StringIO(csv.get_data(as_text=True)), dtype=str)
    assert list(df.columns[:8]) == ["period", "period_start", "area_code", "area_name",
                                    "service_type", "service", "client_group", "group"]
    rows = df.set_index("area_code")
    assert rows.loc[big, "turned_away"] == "7" and rows.loc[big, "made"] == "9"
    assert rows.loc[small, "turned_away"] == "fewer than 5"
    geo = json.loads(anon.get("/downloads/referral-evidence.geojson").get_data(as_text=True))
    feats = {f["properties"]["area_code"]: f for f in geo["features"]}
    assert feats[small]["properties"]["made"] == "fewer than 5"
    assert feats[big]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    pat = referral_client("pat")
    exact = pd.read_csv(io.StringIO(pat.get("/downloads/referral-evidence.csv").get_data(
        as_text=True))).set_index("area_code")
    assert int(exact.loc[small, "turned_away"]) == 2
    assert anon.get("/downloads/referral-evidence.xlsx").status_code == 404
    assert "referral-evidence.csv" in anon.get("/downloads").get_data(as_text=True)
    for r in (csv, anon.get("/downloads/referral-evidence.geojson")):
        assert "EV-" not in r.get_data(as_text=True)
    # the other layers still download through their own route
    assert anon.get("/downloads/gaps.csv").status_code == 200


def test_the_api_is_always_suppressed(seeded, referral_client):
    store, big, small = seeded
    for who in (None, "pat"):
        body = referral_client(who).get("/api/v1/referral-evidence").get_json()
        rows = {r["area_code"]: r for r in body["rows"]}
        assert rows[small]["turned_away"] == "fewer than 5" and rows[big]["turned_away"] == 7
        assert body["grouped_by"] == ["service_type", "client_group", "area_code"]
        assert body["period"] == "quarter" and "fewer than 5" in body["suppression"]
    by = referral_client().get("/api/v1/referral-evidence?by=service_type&period=all").get_json()
    assert by["grouped_by"] == ["service_type"]
    assert by["rows"] == [{"service_type": "befriending", "made": 11, "accepted": "fewer than 5",
                           "declined": 9, "turned_away": 9, "withdrawn": 0, "waiting": 0}]
    one = referral_client().get(f"/api/v1/referral-evidence?area={small}").get_json()
    assert [r["area_code"] for r in one["rows"]] == [small]
    doc = referral_client().get("/api/v1/openapi.json").get_json()
    assert "/api/v1/referral-evidence" in doc["paths"]
    assert "EV-" not in json.dumps(body)


def test_no_referrals_no_evidence(referral_client):
    anon = referral_client()
    assert anon.get("/api/v1/referral-evidence").get_json()["rows"] == []
    page = referral_client("pat").get("/referral-evidence").get_data(as_text=True)
    assert "In all: 0 made" in page
    text = anon.get("/gaps?service_type=befriending&client_group=older_people").get_data(
        as_text=True)
    assert "No referrals recorded in the last quarter" in text


def test_evidence_downloads_are_named_after_their_filters_and_carry_provenance(
        seeded, referral_client):
    """Issue 12: run, data version, date made and licence in the headers, the dictionary
    (linked with the same filters) and the GeoJSON member; the name carries the filters."""
    from assetmap import settings
    anon = referral_client()
    q = "period=year&service_type=befriending&client_group=older_people"
    r = anon.get(f"/downloads/referral-evidence.csv?{q}")
    assert 'filename="assetmap-referral-evidence-year-befriending-older_people.csv"' in \
        r.headers["Content-Disposition"]
    assert r.headers["X-AssetMap-Run"] == "1" and "OpenStreetMap" in \
        r.headers["X-AssetMap-Licence"]
    link = r.headers["Link"].split(">")[0].lstrip("<")
    assert link.startswith("/downloads/referral-evidence/dictionary.csv?") and \
        "service_type=befriending" in link
    dic = pd.read_csv(io.StringIO(anon.get(link).get_data(as_text=True)),
                      keep_default_na=False)
    cols = dic[dic["type"] != "provenance"]
    assert set(pd.read_csv(io.StringIO(r.get_data(as_text=True))).columns) <= \
        set(cols["column"])
    assert (cols["meaning"] != "").all()
    assert "fewer than 5" in cols.set_index("column").loc["turned_away", "meaning"]
    about = dic[dic["type"] == "provenance"].set_index("column")["meaning"]
    assert about["file.licence"] == settings.DATA_LICENCE and about["file.run_id"] == "1"
    geo = json.loads(anon.get(f"/downloads/referral-evidence.geojson?{q}").get_data(
        as_text=True))
    assert geo["metadata"]["filters"]["service_type"] == "befriending"
    assert anon.get("/downloads/referral-evidence.csv").headers["Content-Disposition"] != \
        r.headers["Content-Disposition"]
    exact = referral_client("pat").get(f"/downloads/referral-evidence.csv?{q}")
    assert "-exact.csv" in exact.headers["Content-Disposition"]        # not the public file
