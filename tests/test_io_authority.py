"""``assetmap area`` (io.authority, io.sources): a whole local authority from national open
files, on small national-style files and on the real ones in ../shared/realdata (Rutland,
Leeds), through the CLI; bad input changes nothing."""
from __future__ import annotations

import gzip
import json
import shutil

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import box
from test_io_common import ORIGIN, REALDATA, needs_realdata, write_csv

from assetmap import settings
from assetmap.cli import main
from assetmap.io.sources import classify
from assetmap.store import Store

LOOKUP_NAME = ("LSOA_(2011)_to_LSOA_(2021)_to_Local_Authority_District_(2022)_Lookup_for_"
               "England_and_Wales_(Version_2).csv")
LOOKUP = REALDATA / "england-wales-lsoa11-centroids-lookups" / LOOKUP_NAME
RUTLAND_BOUNDARY = REALDATA / "rutland-needs/rutland_boundary_osm_relation_57398.geojson"


def cli(db, *args, code=0):
    r = CliRunner().invoke(main, ["--db", db, *map(str, args)], catch_exceptions=False)
    assert r.exit_code == code, r.output
    return r


def _empty_store(db):
    """An empty store at ``db`` (read-only commands such as ``info`` never create one)."""
    from assetmap.store import Store
    Store(db).dispose()


def info(db) -> dict:
    return json.loads(cli(db, "info", "--json").output)


# --- small national files: two authorities, four LSOAs each --------------------------------
def _national(tmp_path):
    """A lookup, an IoD File 2, a centroid table and LA boundaries for 'Northtown'
    (E06900001, west) and 'Southby' (E06900002, east), in a folder."""
    d = tmp_path / "national"
    d.mkdir()
    x0, y0 = ORIGIN
    codes = [f"E0190000{i}" for i in range(1, 9)]
    la = ["E06900001"] * 4 + ["E06900002"] * 4
    names = [f"{'Northtown' if i < 4 else 'Southby'} 00{i % 4 + 1}A" for i in range(8)]
    xy = [(x0 + 500 + 1000 * (i % 2) + 2000 * (i // 4), y0 + 500 + 1000 * ((i // 2) % 2))
          for i in range(8)]
    write_csv(d / "lookup.csv", ["LSOA11CD", "LSOA11NM", "LSOA21CD", "LSOA21NM", "LAD22CD",
                                 "LAD22NM"],
              [[c, n, c, n, a, n.split()[0]] for c, n, a in zip(codes, names, la)])
    head = ["LSOA code (2011)", "LSOA name (2011)", "Local Authority District code (2019)",
            "Local Authority District name (2019)",
            "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)",
            "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)",
            "Crime Rank (where 1 is most deprived)"]
    write_csv(d / "File_2.csv", head, [[c, n, a, n.split()[0], 100 * (i + 1), i % 10 + 1,
                                        50 * (i + 1)]
                                       for i, (c, n, a) in enumerate(zip(codes, names, la))])
    write_csv(d / "centroids.csv", ["OBJECTID", "LSOA11CD", "LSOA11NM", "BNG_E", "BNG_N"],
              [[i, c, n, x, y] for i, (c, n, (x, y)) in enumerate(zip(codes, names, xy))])
    g = gpd.GeoDataFrame({"LAD22CD": ["E06900001", "E06900002"], "LAD22NM": ["Northtown",
                                                                             "Southby"]},
                         geometry=[box(x0, y0, x0 + 2000, y0 + 2000),
                                   box(x0 + 2000, y0, x0 + 4000, y0 + 2000)], crs=27700)
    g.to_crs(4326).to_file(d / "lad.geojson", driver="GeoJSON")
    (d / "SOURCE.md").write_text("notes")
    return d


def test_classify_by_columns(tmp_path):
    d = _national(tmp_path)
    kinds = {p.name: classify(p).kind for p in sorted(d.iterdir()) if p.suffix != ".md"}
    assert kinds == {"File_2.csv": "iod", "centroids.csv": "centroids", "lad.geojson":
                     "boundary", "lookup.csv": "lookup"}


def test_one_authority_from_national_files(tmp_path):
    d = _national(tmp_path)
    db = f"sqlite:///{tmp_path / 's.sqlite'}"
    r = cli(db, "area", "Southby", d)            # by ONS name; the code comes from the files
    s = Store(db)
    a = s.read_areas().to_crs(27700)
    assert sorted(a["code"]) == [f"E0190000{i}" for i in range(5, 9)]
    assert a["approximate_geometry"].all()
    # clipped to Southby's own square, which the four cells tile
    assert a.area.sum() == pytest.approx(4e6, rel=1e-4)
    assert a.total_bounds[0] == pytest.approx(ORIGIN[0] + 2000, abs=1)
    assert (s.get_meta("area_name"), s.get_meta("la_code")) == ("Southby", "E06900002")
    assert set(s.read_indicators()["id"]) == {"imd_rank", "imd_decile", "iod_crime_rank"}
    assert s.read_values()["area_code"].nunique() == 4
    assert "Southby (E06900002) has 4 LSOAs" in r.output
    assert "missing: Census 2021 tables" in r.output
    # another authority into the same store is refused, with --replace it is the new one
    r = cli(db, "area", "E06900001", d, code=2)
    assert "already holds 4 other areas" in r.output
    cli(db, "area", "E06900001", d, "--replace")
    assert sorted(s.read_areas()["code"]) == [f"E0190000{i}" for i in range(1, 5)]
    assert s.get_meta("area_name") == "Northtown"
    s.dispose()


def test_unknown_authority_and_bad_row_change_nothing(tmp_path):
    d = _national(tmp_path)
    db = f"sqlite:///{tmp_path / 's.sqlite'}"
    _empty_store(db)
    before = info(db)
    r = cli(db, "area", "E06999999", d, code=2)
    assert "local authority 'E06999999' is not in" in r.output
    f2 = pd.read_csv(d / "File_2.csv", dtype=str)
    f2.iloc[5, 6] = "lots"                       # Southby's second LSOA, Crime Rank
    f2.to_csv(d / "File_2.csv", index=False)
    r = cli(db, "area", "E06900002", d, code=2)
    assert "File_2.csv, row 6, field 'Crime Rank (where 1 is most deprived)'" in r.output
    assert "'lots' is not a number" in r.output
    assert info(db) == before


# --- the real files ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rutland(tmp_path_factory):
    """Rutland from the national files only (England IoD 2019, the E&W centroid table and
    lookup) and the county boundary, through the CLI."""
    if not LOOKUP.exists():
        pytest.skip("shared/realdata absent")
    db = f"sqlite:///{tmp_path_factory.mktemp('rutland') / 'r.sqlite'}"
    out = cli(db, "area", "E06000017", REALDATA / "england-iod2019-lsoa11",
              REALDATA / "england-wales-lsoa11-centroids-lookups", "--boundary",
              RUTLAND_BOUNDARY).output
    store = Store(db)
    yield db, store, out
    store.dispose()


@needs_realdata
def test_rutland_areas_from_centroids_clipped_to_the_county(rutland):
    db, store, out = rutland
    a = store.read_areas()
    assert len(a) == 23 and a["approximate_geometry"].all()
    assert a["name"].str.startswith("Rutland ").all()
    county = gpd.read_file(RUTLAND_BOUNDARY).to_crs(27700).geometry.union_all()
    bng = a.to_crs(27700)
    assert bng.area.sum() == pytest.approx(county.area, rel=1e-3)     # they tile the county
    assert bng.geometry.union_all().symmetric_difference(county).area < 1e-3 * county.area
    pts = gpd.GeoSeries(gpd.points_from_xy(a["pwc_lon"], a["pwc_lat"]), crs=4326).to_crs(27700)
    assert all(g.contains(p) for g, p in zip(bng.geometry, pts))     # each around its point
    assert (store.get_meta("area_name"), store.get_meta("la_code")) == ("Rutland", "E06000017")
    assert "23 rows (of 32,844 in the file)" in out


@needs_realdata
def test_rutland_iod_domains_and_population_from_file_6(rutland):
    db, store, out = rutland
    w = store.values_wide()
    from assetmap import model
    for stem, *_ in model.IOD_DOMAINS[:7]:
        assert w[f"{stem}_rank"].notna().sum() == 23 and w[f"{stem}_decile"].notna().sum() == 23
    assert w["imd_rank"].notna().sum() == 23
    f2 = pd.read_csv(REALDATA / "rutland-needs/rutland_lsoa11_IoD2019_domains_File_2_subset.csv")
    one = f2.iloc[0]
    assert w.loc[one.iloc[0], "iod_housing_rank"] == \
        one["Barriers to Housing and Services Rank (where 1 is most deprived)"]
    f6 = pd.read_csv(REALDATA / "rutland-needs/"
                     "rutland_lsoa11_IoD2019_population_denominators_File_6_subset.csv",
                     thousands=",")
    a = store.read_areas()
    bands = list(model.AGE_BANDS)
    assert a[bands].to_numpy().sum() == pytest.approx(
        f6["Total population: mid 2015 (excluding prisoners)"].sum())
    old = f6["Older population aged 60 and over: mid 2015 (excluding prisoners)"].sum()
    assert (a["pop_65_74"] + a["pop_75_84"] + a["pop_85_plus"]).sum() == pytest.approx(
        old * (1 - settings.IOD_60_PLUS_SHARES["60_64"]))
    assert store.get_meta("population_source").startswith("fallback: IoD 2019 File 6")


@needs_realdata
def test_rutland_analysis_and_pages(rutland, tmp_path):
    db, store, out = rutland
    r = cli(db, "analyse", "--json", "-p", "permutations=9")
    s = json.loads(r.output[r.output.index("{"):])
    assert s["areas"] == 23 and s["indicators_used"] == {"imd_rank": 1.0}
    assert any("IMD rank" in n and "in place of" in n for n in s["notes"])
    run = store.latest_run()
    from assetmap import pipeline
    an = pipeline.load(store, run_id=run["id"])
    assert an.areas["need_index"].notna().sum() == 23
    # the most deprived LSOA by IMD has the most need
    w = store.values_wide()
    top = an.areas.sort_values("need_rank")["code"].iloc[0]
    assert top == w["imd_rank"].idxmin()
    from assetmap.app import create_app
    app = create_app({"TESTING": True, "DATABASE": db, "SECRET_KEY": "x",
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    c = app.test_client()
    for url in ("/", "/gaps", "/hotspots", "/areas", f"/areas/{top}", f"/areas/{top}/summary",
                "/referral"):
        body = c.get(url).get_data(as_text=True)
        assert "Rutland" in body and settings.DEMO_LA_NAME not in body, url
    assert "Area shapes are approximate" in c.get("/").get_data(as_text=True)
    cli(db, "export", "areas", "-o", tmp_path / "a.geojson")
    assert gpd.read_file(tmp_path / "a.geojson")["approximate_geometry"].all()


@needs_realdata
def test_rutland_raw_folder_real_polygons_where_given(tmp_path):
    """The rutland-needs folder as it is: the 5 real polygons kept, the other 18 drawn from
    centroids around them, clipped to the OSM county boundary; warm spaces left for
    `import assets`."""
    db = f"sqlite:///{tmp_path / 'r.sqlite'}"
    out = cli(db, "area", "E06000017", REALDATA / "rutland-needs").output
    s = Store(db)
    a = s.read_areas()
    assert len(a) == 23 and int(a["approximate_geometry"].sum()) == 18
    bng = a.to_crs(27700)
    assert bng.area.sum() == pytest.approx(bng.geometry.union_all().area, rel=1e-4)  # no overlap
    assert "not used: rutland_warm_spaces.geojson" in out
    s.dispose()


@needs_realdata
def test_leeds_all_482_areas(tmp_path):
    db = f"sqlite:///{tmp_path / 'l.sqlite'}"
    out = cli(db, "area", "E08000035", REALDATA / "leeds-needs").output
    s = Store(db)
    assert s.counts()["areas"] == 482 and s.get_meta("area_name") == "Leeds"
    assert s.read_values(["iod_income_rank"])["area_code"].nunique() == 482
    assert "warning: no boundary given" in out
    s.dispose()


@needs_realdata
def test_bad_national_file_changes_nothing(tmp_path):
    """A damaged copy of File 6: one Rutland row's 60+ count is not a number."""
    d = tmp_path / "files"
    d.mkdir()
    with gzip.open(REALDATA / "england-iod2019-lsoa11/File_6_-_IoD2019_Population_"
                   "Denominators.csv.gz", "rt", encoding="utf-8-sig") as f:
        f6 = pd.read_csv(f, dtype=str)
    i = int(f6.index[f6["LSOA code (2011)"] == "E01013790"][0])
    col = "Older population aged 60 and over: mid 2015 (excluding prisoners)"
    f6.loc[i, col] = "n/k?"
    f6.to_csv(d / "File_6.csv", index=False)
    shutil.copy(LOOKUP, d / LOOKUP_NAME)
    db = f"sqlite:///{tmp_path / 'b.sqlite'}"
    _empty_store(db)
    before = info(db)
    r = cli(db, "area", "E06000017", d, REALDATA / "rutland-needs/"
            "rutland_lsoa11_centroids_BSC_V3_subset.csv", code=2)
    assert f"File_6.csv, row {i + 1}, field '{col}'" in r.output
    assert info(db) == before


@needs_realdata
def test_england_is_one_place_from_the_national_files():
    """``assetmap area E92000001`` (or "England"): every English LSOA, none of Wales'."""
    from assetmap.io import authority
    from assetmap.io.common import read_table
    from assetmap.io.sources import scan
    found = [classify(p) for p in scan([REALDATA / "england-iod2019-lsoa11",
                                        REALDATA / "england-wales-lsoa11-centroids-lookups"])]
    tables = {f.path: read_table(f.path, kind="table") for f in found
              if f.kind in ("lookup", "iod")}
    auth = authority.find_authority("E92000001", found, tables)
    assert (auth.code, auth.name) == ("E92000001", "England")
    assert len(auth.lsoa["2011"]) == 32_844
    assert all(c.startswith("E01") for c in auth.lsoa["2011"] | auth.lsoa["2021"])
    assert authority.find_authority("england", found, tables).lsoa == auth.lsoa
    rutland = authority.find_authority("E06000017", found, tables)     # one LA as before
    assert rutland.name == "Rutland" and len(rutland.lsoa["2011"]) == 23


def test_several_authorities_at_once_get_their_lad_as_parent(tmp_path):
    """A country build (every authority whose code starts with E): each LSOA's parent is
    its local authority from the lookup, so a national map can aggregate to it; a single
    authority keeps the parents it has (none here)."""
    d = _national(tmp_path)
    db = f"sqlite:///{tmp_path / 'e.sqlite'}"
    cli(db, "area", "E92000001", d)
    s = Store(db)
    a = s.read_areas().sort_values("code")
    assert list(a["parent_code"]) == ["E06900001"] * 4 + ["E06900002"] * 4
    assert list(a["parent_name"]) == ["Northtown"] * 4 + ["Southby"] * 4
    s.dispose()
    one = f"sqlite:///{tmp_path / 'one.sqlite'}"
    cli(one, "area", "Southby", d)
    s = Store(one)
    assert s.read_areas()["parent_code"].isna().all()
    s.dispose()


@needs_realdata
def test_england_lsoas_get_their_lad_parents():
    from assetmap.io import authority
    from assetmap.io.common import read_table
    from assetmap.io.sources import scan
    found = [classify(p) for p in scan([REALDATA / "england-wales-lsoa11-centroids-lookups"])]
    tables = {f.path: read_table(f.path, kind="table") for f in found if f.kind == "lookup"}
    auth = authority.find_authority("E92000001", found, tables)
    leeds = ["E01011444", "E01011448", "E01033005", "E01033006"]
    areas = pd.DataFrame({"code": leeds + ["E01000001"], "name": leeds + ["City 001A"]})
    got = authority.lad_parents(areas, auth)
    assert list(got["parent_code"]) == ["E08000035"] * 4 + ["E09000001"]
    assert list(got["parent_name"]) == ["Leeds"] * 4 + ["City of London"]
    assert len({v[0] for v in auth.lads.values()}) == 309        # England's LADs (2022)
    one = authority.find_authority("E08000035", found, tables)
    assert "parent_code" not in authority.lad_parents(areas.iloc[:4], one)
