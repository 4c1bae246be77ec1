"""Shared helpers for the io tests (imported by the other test_io_* files) and tests of
assetmap.io.common."""
from __future__ import annotations

import csv
import os
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from assetmap.errors import InputError
from assetmap.io import common

REALDATA = Path(os.environ.get("ASSETMAP_REALDATA",
                               Path(__file__).resolve().parents[2] / "shared" / "realdata"))
needs_realdata = pytest.mark.skipif(not REALDATA.exists(), reason="shared/realdata absent")

#: Four 1 km LSOA squares in British National Grid, in Trafford's corner of England.
ORIGIN = (376000.0, 392000.0)
CODES = ["E01900001", "E01900002", "E01900003", "E01900004"]
NAMES = ["Testborough 001A", "Testborough 001B", "Testborough 002A", "Testborough 002B"]
LA_CODE, LA_NAME = "E08900001", "Testborough"


def squares(n=4, size=1000.0):
    x0, y0 = ORIGIN
    return [box(x0 + (i % 2) * size, y0 + (i // 2) * size,
                x0 + (i % 2 + 1) * size, y0 + (i // 2 + 1) * size) for i in range(n)]


def boundary_frame(crs="EPSG:27700", code_col="LSOA21CD", name_col="LSOA21NM", extra=True):
    gdf = gpd.GeoDataFrame({code_col: CODES, name_col: NAMES}, geometry=squares(),
                           crs="EPSG:27700")
    if extra:
        gdf["LAD22CD"] = LA_CODE
        gdf["LAD22NM"] = LA_NAME
    return gdf.to_crs(crs) if crs else gdf


def write_boundaries(path, **kw) -> Path:
    gdf = boundary_frame(**kw)
    path = Path(path)
    driver = {".gpkg": "GPKG", ".shp": "ESRI Shapefile"}.get(path.suffix, "GeoJSON")
    gdf.to_file(path, driver=driver)
    return path


def write_csv(path, header, rows) -> Path:
    path = Path(path)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def centre(i=0, dx=500.0, dy=500.0):
    """lon/lat of a point inside square i."""
    from pyproj import Transformer
    t = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    x0, y0 = ORIGIN
    return t.transform(x0 + (i % 2) * 1000 + dx, y0 + (i // 2) * 1000 + dy)


def snapshot(store):
    """Everything an import could change, for 'left exactly as before' checks."""
    return store.counts(), store.data_version()


@pytest.fixture
def io_store(tmp_path):
    from assetmap.store import Store
    s = Store(f"sqlite:///{tmp_path / 'io.sqlite'}")
    yield s
    s.dispose()


@pytest.fixture
def area_store(io_store, tmp_path):
    """A store holding the four test LSOAs."""
    from assetmap.io.boundaries import import_boundaries
    import_boundaries(io_store, write_boundaries(tmp_path / "b.geojson"))
    return io_store


# --- tests of common ---------------------------------------------------------------------------
def test_read_table_empty_truncated_binary(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InputError, match="empty"):
        common.read_table(tmp_path / "empty.csv")
    (tmp_path / "header.csv").write_text("a,b\n")
    with pytest.raises(InputError, match="no data rows"):
        common.read_table(tmp_path / "header.csv")
    (tmp_path / "cut.csv").write_text("a,b,c\n1,2,3\n4,5")
    with pytest.raises(InputError) as e:
        common.read_table(tmp_path / "cut.csv")
    assert e.value.row == 2 and e.value.field == "c" and "truncated" in e.value.message
    (tmp_path / "quote.csv").write_text('a,b\n1,"open\n')
    with pytest.raises(InputError, match="truncated"):
        common.read_table(tmp_path / "quote.csv")
    (tmp_path / "zip.csv").write_bytes(b"PK\x03\x04rest")
    with pytest.raises(InputError, match="ZIP"):
        common.read_table(tmp_path / "zip.csv")
    with pytest.raises(InputError, match="no such file"):
        common.read_table(tmp_path / "missing.csv")


def test_find_col_and_stable_id():
    assert common.find_col(["Post Code", "x"], ["postcode", "post_code"]) == "Post Code"
    assert common.stable_id("csv", "A", "M1 1AA") == common.stable_id("csv", "a", "M1 1AA")
    assert common.stable_id("csv", "A", "M1 1AA") != common.stable_id("csv", "B", "M1 1AA")


def test_check_lonlat():
    assert common.check_lonlat(-2.3, 53.4) is None
    assert "swapped" in common.check_lonlat(53.4, -2.3)
    assert "not longitude/latitude" in common.check_lonlat(376000, 392000)
    assert "outside the United Kingdom" in common.check_lonlat(10.0, 50.0)


def test_report_summary_lists_skipped():
    r = common.ImportReport("x", "f.csv")
    r.add("assets", 3)
    r.skipped.append(InputError("bad", file="f.csv", row=2, field="lat"))
    text = r.summary()
    assert "assets 3" in text and "row 2" in text and "field 'lat'" in text
    assert r.as_dict()["skipped"][0]["row"] == 2
