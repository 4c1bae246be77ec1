"""Postcode lookup import: ONSPD, Code-Point Open, simple lon/lat tables."""
from __future__ import annotations

import pytest
from pyproj import Transformer
from test_io_common import CODES, ORIGIN, area_store, centre, io_store, snapshot, write_csv  # noqa: F401

from assetmap.errors import InputError
from assetmap.io.postcodes import import_postcodes


def _points(n=3):
    return [centre(i % 4, 200 + 100 * (i // 4), 300) for i in range(n)]


def test_simple_lonlat_table_assigns_areas_and_centroids(area_store, tmp_path):
    rows = []
    for k, (lon, lat) in enumerate(_points(12)):
        rows.append([f"M1{k // 10} {k % 10}AA", lon, lat, ""])
    path = write_csv(tmp_path / "pc.csv", ["postcode", "lon", "lat", "lsoa_code"], rows)
    rep = import_postcodes(area_store, path)
    assert rep.written["postcodes"] == 12
    got = area_store.lookup_postcodes(["m10 0aa", "M11 1AA"])
    assert list(got["postcode"]) == ["M10 0AA", "M11 1AA"]
    assert got["area_code"].iloc[0] == CODES[0]
    a = area_store.read_areas().set_index("code")
    lon0 = sum(p[0] for k, p in enumerate(_points(12)) if k % 4 == 0) / 3
    assert a.at[CODES[0], "pwc_lon"] == pytest.approx(lon0, abs=1e-6)
    # re-import: nothing duplicated
    import_postcodes(area_store, path)
    assert area_store.counts()["postcodes"] == 12


def test_onspd_columns_and_no_grid_rows(area_store, tmp_path):
    (lon, lat), = _points(1)
    path = write_csv(tmp_path / "onspd.csv", ["pcd", "pcds", "doterm", "lat", "long", "lsoa21cd"],
                     [["M1  1AA", "M1 1AA", "", lat, lon, CODES[0]],
                      ["M1  1AB", "M1 1AB", "", 99.999999, 0.0, ""],
                      ["ZZ1 1ZZ", "ZZ1 1ZZ", "", 51.5, -0.1, "E01000001"]])   # far away
    rep = import_postcodes(area_store, path)
    assert rep.written["postcodes"] == 1
    assert any("grid reference" in n for n in rep.notes)
    assert any("5 km" in n for n in rep.notes)


def test_codepoint_open_without_header(area_store, tmp_path):
    x0, y0 = ORIGIN
    (tmp_path / "cp.csv").write_text(
        f'"M1 1AA",10,{int(x0 + 500)},{int(y0 + 500)},"E92000001","E19000001","E18000002","",'
        f'"E08000009","E05000001"\n'
        f'"M1 1AB",10,{int(x0 + 1500)},{int(y0 + 500)},"E92000001","","","","",""\n')
    rep = import_postcodes(area_store, tmp_path / "cp.csv")
    assert rep.written["postcodes"] == 2
    got = area_store.lookup_postcodes(["M1 1AA"]).iloc[0]
    t = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    lon, lat = t.transform(x0 + 500, y0 + 500)
    assert got["lon"] == pytest.approx(lon, abs=1e-5) and got["area_code"] == CODES[0]


def test_bad_rows_and_files(area_store, tmp_path):
    before = snapshot(area_store)
    (lon, lat), = _points(1)
    path = write_csv(tmp_path / "bad.csv", ["postcode", "lon", "lat"],
                     [["M1 1AA", lon, lat], ["NOT A PC", lon, lat], ["M1 1AC", "x", lat],
                      ["M1 1AD", lat, lon]])
    with pytest.raises(InputError) as e:
        import_postcodes(area_store, path)
    assert {(x.row, x.field) for x in e.value.errors} == {(2, "postcode"), (3, "lon"),
                                                          (4, "lon")}
    assert snapshot(area_store) == before
    rep = import_postcodes(area_store, path, skip_bad=True)
    assert rep.written["postcodes"] == 1 and len(rep.skipped) == 3
    write_csv(tmp_path / "nocoord.csv", ["postcode", "town"], [["M1 1AA", "x"]])
    with pytest.raises(InputError) as e:
        import_postcodes(area_store, tmp_path / "nocoord.csv")
    assert e.value.field == "lat"
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InputError, match="empty"):
        import_postcodes(area_store, tmp_path / "empty.csv")
    (tmp_path / "bin.csv").write_bytes(b"\x89PNG\r\n\x1a\n....")
    with pytest.raises(InputError, match="PNG"):
        import_postcodes(area_store, tmp_path / "bin.csv")


def test_without_areas_keeps_everything(io_store, tmp_path):
    path = write_csv(tmp_path / "pc.csv", ["postcode", "lon", "lat"],
                     [["M1 1AA", -2.3, 53.4], ["SW1A 1AA", -0.14, 51.5]])
    assert import_postcodes(io_store, path).written["postcodes"] == 2
