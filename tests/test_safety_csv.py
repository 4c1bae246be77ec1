"""Formula-safe CSV (issue 13, item 3): every CSV writer -- /downloads/*.csv, ``assetmap
export ... -f csv``, the Open Referral CSV tables and the outreach CSV -- writes user text
that a spreadsheet would run (=, +, -, @, tab, CR first) with a leading apostrophe, and
numbers as numbers (a negative longitude stays -1.3...)."""
from __future__ import annotations

import csv
import io

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from test_io_common import area_store, centre, io_store, write_boundaries  # noqa: F401

from assetmap.cli import main
from assetmap.io import csvsafe
from assetmap.io.openreferral import export_openreferral, import_openreferral

PAYLOADS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3"]


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def _cells(rows: list[dict]) -> set[str]:
    return {v for r in rows for v in r.values() if v}


def assert_neutralised(rows: list[dict], payloads=PAYLOADS) -> None:
    """Each payload appears only as "'" + payload; no cell starts with a formula prefix."""
    cells = _cells(rows)
    for p in payloads:
        assert "'" + p in cells, f"{p!r} not written (escaped) in any cell"
        assert p not in cells
    for c in cells:
        assert not c.startswith(("=", "+", "@", "\t", "\r")), c
        if c.startswith("-"):      # only numbers may start with a minus
            float(c)


def _seed(store, with_provider=True) -> None:
    """Four approved records whose user-typed fields are formula payloads; a provider."""
    pts = [centre(i) for i in range(4)]
    a = gpd.GeoDataFrame({
        "id": [f"x{i}" for i in range(4)], "name": PAYLOADS,
        "category": ["library", "community_centre", "cafe_pub", "micro_provider"],
        "description": list(reversed(PAYLOADS)), "address": ["1 High St"] * 4,
        "contact": ["=1+1", "0161 111", "0161 222", "help@example.org"],
        "contact_public": [True] * 4, "home_based": [False] * 4,
    }, geometry=gpd.points_from_xy([p[0] for p in pts], [p[1] for p in pts]), crs=4326)
    p = pd.DataFrame({"asset_id": ["x3"], "service_types": ["home_support"],
                      "client_groups": ["older_people"], "hourly_price": [18.5],
                      "community_focus": ["@everyone"]}) if with_provider else None
    store.write_assets(a, p)


# --- the helper ----------------------------------------------------------------------------------
@pytest.mark.parametrize("text", PAYLOADS + ["\tx", "\rx", "=", "-"])
def test_safe_cell_escapes_formula_text(text):
    assert csvsafe.safe_cell(text) == "'" + text
    assert csvsafe.restore_cell(csvsafe.safe_cell(text)) == text


@pytest.mark.parametrize("value", ["Town Library", "'quoted", "", "2 Low Rd", -1.5, 0, 3,
                                   None, True, 2.5e-9])
def test_safe_cell_leaves_the_rest(value):
    assert csvsafe.safe_cell(value) is value or csvsafe.safe_cell(value) == value
    assert csvsafe.restore_cell(value) == value


def test_write_csv_frame_keeps_numbers_and_escapes_text():
    df = pd.DataFrame({"name": PAYLOADS, "lon": [-1.5, -2.25, 0.5, -3.0],
                       "n": [-1, 2, -3, 4], "ok": [True, False, True, None]})
    rows = _rows(csvsafe.write_csv(df))
    assert [r["name"] for r in rows] == ["'" + p for p in PAYLOADS]
    assert [r["lon"] for r in rows] == ["-1.5", "-2.25", "0.5", "-3.0"]
    assert [r["n"] for r in rows] == ["-1", "2", "-3", "4"]


def test_write_csv_rows_to_a_file(tmp_path):
    n = csvsafe.write_csv([{"a": "=1", "b": -2.5}, {"a": None, "c": "@x"}], tmp_path / "t.csv")
    assert n == 2
    rows = _rows((tmp_path / "t.csv").read_text())
    assert rows == [{"a": "'=1", "b": "-2.5", "c": ""}, {"a": "", "b": "", "c": "'@x"}]


# --- /downloads -----------------------------------------------------------------------------------
@pytest.fixture
def payload_app(area_store, tmp_path):
    from assetmap.app import create_app
    _seed(area_store)
    return create_app({"TESTING": True, "DATABASE": area_store.url, "SECRET_KEY": "t",
                       "INSTANCE_PATH": str(tmp_path / "instance")})


@pytest.mark.parametrize("layer", ["assets", "providers"])
def test_downloads_csv_is_formula_safe(payload_app, layer):
    r = payload_app.test_client().get(f"/downloads/{layer}.csv")
    assert r.status_code == 200
    rows = _rows(r.get_data(as_text=True))
    if layer == "assets":
        assert_neutralised(rows, PAYLOADS[:3])
        assert {r["contact"] for r in rows} >= {"'=1+1"}
    else:
        assert rows[0]["name"] == "'-2+3" and rows[0]["community_focus"] == "'@everyone"
        assert rows[0]["hourly_price"] == "18.5"
    for row in rows:                      # the real negative numbers are numbers
        assert float(row["lon"]) < 0 and not row["lon"].startswith("'")


def test_downloads_csv_through_a_contribution(contrib_app, form_client):
    """A name typed into the public form and approved comes out escaped."""
    from contribhelp import approve, inside_point, pending_ids, provider_form, store_of, submit
    store = store_of(contrib_app)
    lon, lat = inside_point(store)
    submit(form_client(), provider_form(lon, lat, name=PAYLOADS[0], community_focus=PAYLOADS[2]))
    assert approve(form_client("pat"), pending_ids(store)[0]).status_code in (302, 303)
    rows = _rows(contrib_app.test_client().get("/downloads/providers.csv").get_data(as_text=True))
    mine = [r for r in rows if "HYPERLINK" in r["name"]]
    assert len(mine) == 1 and mine[0]["name"] == "'" + PAYLOADS[0]
    assert mine[0]["community_focus"] == "'" + PAYLOADS[2]
    assert float(mine[0]["lon"]) < 0


# --- assetmap export -f csv ----------------------------------------------------------------------
@pytest.mark.parametrize("layer", ["assets", "providers"])
def test_cli_export_csv_is_formula_safe(area_store, tmp_path, layer):
    _seed(area_store)
    out = tmp_path / f"{layer}.csv"
    res = CliRunner().invoke(main, ["--db", area_store.url, "export", layer, "-f", "csv",
                                    "-o", str(out)])
    assert res.exit_code == 0, res.output
    rows = _rows(out.read_text())
    if layer == "assets":
        assert_neutralised(rows, PAYLOADS[:3])
    else:
        assert rows[0]["name"] == "'-2+3" and rows[0]["community_focus"] == "'@everyone"
    assert all(float(r["lon"]) < 0 for r in rows)


def test_cli_export_after_a_csv_import(area_store, tmp_path):
    """Payloads that came in through ``assetmap import assets`` go out escaped."""
    lon, lat = centre(0)
    src = tmp_path / "in.csv"
    pd.DataFrame({"name": PAYLOADS, "category": "library", "lat": lat, "lon": lon,
                  "description": PAYLOADS}).to_csv(src, index=False)
    res = CliRunner().invoke(main, ["--db", area_store.url, "import", "assets", str(src)])
    assert res.exit_code == 0, res.output
    out = tmp_path / "assets.csv"
    res = CliRunner().invoke(main, ["--db", area_store.url, "export", "assets", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert_neutralised(_rows(out.read_text()))


# --- Open Referral CSV tables ------------------------------------------------------------------
def test_openreferral_csv_tables_are_formula_safe_and_round_trip(area_store, tmp_path):
    _seed(area_store)
    export_openreferral(area_store, tmp_path / "feed")
    services = _rows((tmp_path / "feed" / "services.csv").read_text())
    orgs = _rows((tmp_path / "feed" / "organizations.csv").read_text())
    assert_neutralised(services)
    assert_neutralised(orgs, PAYLOADS)
    locs = _rows((tmp_path / "feed" / "locations.csv").read_text())
    assert all(float(r["longitude"]) < 0 and not r["longitude"].startswith("'") for r in locs)
    # the JSON feed is not a spreadsheet: it keeps the text as typed
    assert '"=HYPERLINK' in (tmp_path / "feed" / "services.json").read_text()
    # reading our own CSV package back gives the text as typed, not the apostrophe
    from assetmap.io.boundaries import import_boundaries
    from assetmap.store import Store
    fresh = Store(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    import_boundaries(fresh, write_boundaries(tmp_path / "b.geojson"))
    (tmp_path / "feed" / "services.json").unlink()
    import_openreferral(fresh, tmp_path / "feed")
    assert sorted(fresh.read_assets(statuses=None)["name"]) == sorted(PAYLOADS)
    fresh.dispose()


# --- outreach CSV ---------------------------------------------------------------------------------
def test_outreach_csv_neutralises_like_the_helper():
    """The outreach CSV's cells follow the same rule as every other writer."""
    from assetmap import outreach
    plan_rows = [{"section": "areas", "item": p, "detail": "-" + p, "lon": -1.25,
                  "minutes": -0.0} for p in PAYLOADS]
    orig = outreach.csv_rows
    try:
        outreach.csv_rows = lambda plan: plan_rows
        rows = _rows(outreach.to_csv({}))
    finally:
        outreach.csv_rows = orig
    assert [r["item"] for r in rows] == [csvsafe.safe_cell(p) for p in PAYLOADS]
    assert [r["detail"] for r in rows] == [csvsafe.safe_cell("-" + p) for p in PAYLOADS]
    assert all(r["lon"] == "-1.25" for r in rows)
