"""Assets as real councils publish them, through the CLI (issue 17): Trafford's dentists,
food banks, stops, hospitals and post offices (polygons, no names) with their own
categories; cross-border GP practices within 2 km kept, checked against distances measured
independently (geopandas in British National Grid); Trafford and Rutland warm spaces by
their real venue type; semicolon, tab and UTF-16 copies of a real file importing
identically; bad input refused with file, row and field, exit 2, the store unchanged."""
from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from test_io_common import REALDATA, needs_realdata

from assetmap.cli import main
from assetmap.store import Store

pytestmark = needs_realdata
A = REALDATA / "trafford-assets"
LSOAS = REALDATA / "trafford-boundaries/lsoa_2021_trafford_lsoa_generalised.geojson"


def run(db, *args, code=0):
    res = CliRunner().invoke(main, ["--db", db, *map(str, args)], catch_exceptions=False)
    assert res.exit_code == code, res.output
    return res


def info(db) -> dict:
    return json.loads(run(db, "info", "--json").output)


@pytest.fixture(scope="module")
def trafford(tmp_path_factory):
    db = f"sqlite:///{tmp_path_factory.mktemp('traf') / 't.sqlite'}"
    run(db, "import", "boundaries", LSOAS, "--la", "Trafford")
    run(db, "import", "postcodes", REALDATA / "trafford-postcodes/trafford_postcodes.csv")
    store = Store(db)
    yield db, store
    store.dispose()


def test_trafford_files_import_with_their_own_categories(trafford):
    db, store = trafford
    out = {}
    for f in ("trafford_dentists.csv", "trafford_food_banks.csv", "trafford_bus_stops.csv",
              "trafford_metrolink_stops.geojson", "trafford_train_stops.geojson",
              "trafford_general_practices.csv"):
        out[f] = run(db, "import", "assets", A / f).output
    a = store.read_assets()
    got = a["category"].value_counts().to_dict()
    dent = pd.read_csv(A / "trafford_dentists.csv")
    repeats = dent.duplicated(["name", "postcode"]).sum()
    assert got["dentist"] == len(dent) - repeats == 52
    assert got["food_bank"] == len(pd.read_csv(A / "trafford_food_banks.csv")) == 7
    tram, rail = (gpd.read_file(A / f"trafford_{k}_stops.geojson") for k in ("metrolink", "train"))
    key = lambda g: {(n.lower(), round(p.x, 4), round(p.y, 4))            # noqa: E731
                     for n, p in zip(g["name"], g.geometry)}
    shared = len(key(tram) & key(rail))        # one stop for trams and trains: one record
    assert shared == 1
    stops = len(pd.read_csv(A / "trafford_bus_stops.csv")) + len(tram) + len(rail) - shared
    assert got["transport_stop"] == stops
    assert got["gp_practice"] == 26
    assert not a["cross_border"].any()            # every one of these lies inside Trafford
    assert "category 'dentist' taken from the file name" in out["trafford_dentists.csv"]
    fb = a[a["category"] == "food_bank"]          # placed by their postcodes
    assert fb["postcode"].notna().all()


def test_polygons_become_points_with_outlines_and_names(trafford):
    db, store = trafford
    res = run(db, "import", "assets", A / "trafford_hospitals.geojson")
    assert "merged" in res.output
    src = gpd.read_file(A / "trafford_hospitals.geojson")
    hosp = store.read_assets(categories=["hospital"])
    assert sorted(hosp["name"]) == sorted(src["DISTNAME"].unique())
    fp = store.read_footprints(ids=hosp["id"]).set_index("id")
    for aid, g in zip(hosp["id"], hosp.geometry):
        assert fp.at[aid, "geometry"].buffer(1e-7).contains(g)     # the point is on it
    res = run(db, "import", "assets", A / "trafford_post_offices.geojson")
    po = store.read_assets(categories=["post_office"])
    assert len(po) == 27 and po["name"].str.startswith("Post office").all()
    assert po["name"].str.contains(r"near [A-Z0-9]+ \d[A-Z]{2}$").mean() > 0.9
    assert "--name-column" in res.output
    res = run(db, "import", "assets", A / "trafford_places_of_worship.geojson",
              "--name-column", "DISTNAME")
    pow_ = gpd.read_file(A / "trafford_places_of_worship.geojson")
    fv = store.read_assets(categories=["faith_venue"])
    assert set(fv["name"]) == set(pow_["DISTNAME"]) and len(fv) < len(pow_)


def test_warm_spaces_keep_their_real_categories(trafford, tmp_path):
    db, store = trafford
    run(db, "import", "assets", REALDATA / "trafford-warm-spaces/trafford_warm_spaces.geojson")
    a = store.read_assets()
    ws = a[a["source_ref"].isna() & (a["category"] != "transport_stop")].set_index("name")
    assert ws.at["Chorlton Library", "category"] == "library"
    assert ws.at["All Saints Church, Stretford", "category"] == "faith_venue"
    assert ws.at["Stretford Public Hall", "category"] == "community_centre"
    assert ws.at["Circle Funerals", "category"] == "warm_space"
    assert ws.at["Chorlton Library", "description"].startswith("Warm space")
    # Rutland: the county from its OSM boundary, the 3 warm spaces all kept as libraries
    rdb = f"sqlite:///{tmp_path / 'rutland.sqlite'}"
    run(rdb, "import", "boundaries",
        REALDATA / "rutland-needs/rutland_boundary_osm_relation_57398.geojson")
    run(rdb, "import", "assets", REALDATA / "rutland-needs/rutland_warm_spaces.geojson")
    r = Store(rdb)
    a = r.read_assets()
    assert sorted(a["name"]) == ["Ketton Library", "Oakham Library", "Ryhall Library"]
    assert set(a["category"]) == {"library"} and not a["cross_border"].any()
    r.dispose()


def test_rutland_osm_categories_match_the_extract(tmp_path):
    db = f"sqlite:///{tmp_path / 'r.sqlite'}"
    run(db, "import", "boundaries",
        REALDATA / "rutland-needs/rutland_boundary_osm_relation_57398.geojson")
    run(db, "import", "osm", REALDATA / "osm-rutland/rutland-latest.osm.bz2")
    s = Store(db)
    cats = s.read_assets()["category"].value_counts()
    # SOURCE.md's amenity counts: dentist 4, hospital 1, post_office 6, doctors 3
    assert (cats["dentist"], cats["hospital"], cats["post_office"], cats["gp_practice"]) == \
        (4, 1, 6, 3)
    assert cats["transport_stop"] > 0 and cats["community_centre"] >= 20
    assert len(s.read_footprints()) > 50          # buildings mapped as ways keep outlines
    s.dispose()


def _subset(tmp_path):
    """Trafford's LSOAs in MSOAs 020-028 (the south: Altrincham, Hale, Timperley)."""
    g = gpd.read_file(LSOAS)
    sub = g[g["area_name"].str[9:12].astype(int).between(20, 28)]
    path = tmp_path / "south.geojson"
    sub.to_file(path, driver="GeoJSON")
    return sub, path


def test_cross_border_gps_within_2km_kept(tmp_path):
    sub, path = _subset(tmp_path)
    db = f"sqlite:///{tmp_path / 'south.sqlite'}"
    run(db, "import", "boundaries", path)
    gps = pd.read_csv(A / "trafford_general_practices.csv")
    union = sub.to_crs("EPSG:27700").union_all()
    pts = gpd.GeoSeries(gpd.points_from_xy(gps["lon"], gps["lat"]), crs="EPSG:4326")
    d = np.array([union.distance(p) for p in pts.to_crs("EPSG:27700")])
    far = np.flatnonzero(d > 2000) + 1
    assert len(far) and ((d > 100) & (d <= 2000)).sum() >= 3
    # bad input keeps its guarantees: file, row and field named, exit 2, nothing stored
    before = info(db)
    res = run(db, "import", "assets", A / "trafford_general_practices.csv", code=2)
    assert "trafford_general_practices.csv" in res.output
    assert f"row {far[0]}, field 'lat'" in res.output and "more than 2 km" in res.output
    assert info(db) == before
    res = run(db, "import", "assets", A / "trafford_general_practices.csv", "--skip-bad")
    assert f"skipped {len(far)} bad row(s)" in res.output
    s = Store(db)
    a = s.read_assets().set_index("name")
    want = gps.loc[d <= 2000, "name"]
    assert sorted(a.index) == sorted(want)
    outside = dict(zip(gps["name"], d > 100))
    assert a["cross_border"].to_dict() == {n: outside[n] for n in a.index}
    assert "kept as cross-border supply" in res.output
    s.dispose()


def test_semicolon_tab_and_utf16_copies_import_identically(tmp_path):
    src = pd.read_csv(A / "trafford_general_practices.csv", dtype=str, keep_default_na=False)
    variants = {"comma": dict(sep=",", encoding="utf-8"), "semicolon": dict(sep=";"),
                "tab": dict(sep="\t"), "utf16": dict(sep=",", encoding="utf-16")}
    frames = {}
    for kind, kw in variants.items():
        db = f"sqlite:///{tmp_path / f'{kind}.sqlite'}"
        run(db, "import", "boundaries", LSOAS, "--la", "Trafford")
        f = tmp_path / kind / "trafford_general_practices.csv"
        f.parent.mkdir()
        src.to_csv(f, index=False, **kw)
        res = run(db, "import", "assets", f)
        if kind != "comma":
            assert "read as " in res.output
        s = Store(db)
        a = s.read_assets().drop(columns=["created_at", "updated_at"])
        a["xy"] = [(round(g.x, 7), round(g.y, 7)) for g in a.geometry]
        frames[kind] = pd.DataFrame(a.drop(columns="geometry"))
        s.dispose()
    assert len(frames["comma"]) == 26
    for kind in ("semicolon", "tab", "utf16"):
        pd.testing.assert_frame_equal(frames[kind], frames["comma"])
