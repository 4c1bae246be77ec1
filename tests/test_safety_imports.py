"""Imports that cannot exhaust the machine (issue 13, item 5).

Bombs are built here, on the fly, with the standard library: a few-KB .osm.bz2 holding one
node and 3 GB of whitespace; XLSX workbooks whose sheet unpacks to gigabytes or holds
millions of cells. Each is refused in seconds with exit status 2, the store unchanged
(``assetmap info --json`` before and after); the OSM bomb under 500 MB of peak memory.
A street network that fails validation leaves the old one; ``serve`` starts with an unusable
stored network.
"""
from __future__ import annotations

import bz2
import gzip
import json
import os
import struct
import subprocess
import sys
import textwrap
import time
import zlib
from pathlib import Path

import pytest
from test_io_common import area_store, centre, io_store  # noqa: F401
from test_io_osm import osm_xml

from assetmap import settings
from assetmap.cli import main
from assetmap.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
OSM_HEAD = (b"<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\">\n"
            b'<node id="1" lat="53.4" lon="-2.3"/>\n')


# --- building bombs ----------------------------------------------------------------------------
def osm_bomb(path: Path, gigabytes: float = 3.0) -> Path:
    """One node and ``gigabytes`` of whitespace as a multi-stream .osm.bz2 of a few KB: one
    45 MB run of spaces compresses to one ~50-byte bzip2 stream, repeated."""
    block = 45_000_000
    pad = bz2.compress(b" " * block, 9)
    n = int(gigabytes * 1e9 / block)
    path.write_bytes(bz2.compress(OSM_HEAD) + pad * n + bz2.compress(b"</osm>\n"))
    return path


_CT = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
       b'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
       b'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
       b'"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
       b'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
       b'"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
       b'officedocument.spreadsheetml.worksheet+xml"/></Types>')
_RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
         b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http:'
         b'//schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
         b'Target="xl/workbook.xml"/></Relationships>')
_WB = (b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.'
       b'org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
       b'officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" '
       b'r:id="rId1"/></sheets></workbook>')
_WB_RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type='
            b'"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            b'Target="worksheets/sheet1.xml"/></Relationships>')
_SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
               b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
_SHEET_FOOT = b"</sheetData></worksheet>"


def _cell_row(*values) -> bytes:
    cells = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values)
    return f"<row>{cells}</row>".encode()


def _deflated(head: bytes, chunk: bytes = b"", n: int = 0, foot: bytes = b""):
    """(raw deflate data, crc32, size) of head + chunk * n + foot, compressing the chunk
    once: after a full flush a deflate block refers to nothing before it, so its bytes can
    be repeated."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    a = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    b = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH) if chunk else b""
    z = c.compress(foot) + c.flush(zlib.Z_FINISH)
    crc = zlib.crc32(head)
    for _ in range(n):
        crc = zlib.crc32(chunk, crc)
    return a + b * n + z, zlib.crc32(foot, crc), len(head) + len(chunk) * n + len(foot)


def write_zip(path: Path, members) -> Path:
    """A ZIP archive written by hand: (name, deflate data, crc32, declared size) each."""
    out, central = bytearray(), bytearray()
    for name, data, crc, size in members:
        nb = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size,
                           len(nb), 0) + nb + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc,
                               len(data), size, len(nb), 0, 0, 0, 0, 0, offset) + nb
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central),
                      len(out), 0)
    path.write_bytes(bytes(out) + bytes(central) + end)
    return path


def xlsx(path: Path, rows: bytes = b"", chunk: bytes = b"", n: int = 0, *,
         sheet_size: int | None = None, header=("name", "category")) -> Path:
    """A minimal workbook: ``header`` and ``rows``, then ``chunk`` repeated ``n`` times in
    the sheet; ``sheet_size`` makes the sheet declare another unpacked size (a forged
    header)."""
    data, crc, size = _deflated(_SHEET_HEAD + _cell_row(*header) + rows, chunk, n,
                                _SHEET_FOOT)
    parts = [(name, *_deflated(body)) for name, body in (
        ("[Content_Types].xml", _CT), ("_rels/.rels", _RELS), ("xl/workbook.xml", _WB),
        ("xl/_rels/workbook.xml.rels", _WB_RELS))]
    sheet = ("xl/worksheets/sheet1.xml", data, crc, size if sheet_size is None else sheet_size)
    return write_zip(path, parts + [sheet])


# --- running the CLI ---------------------------------------------------------------------------
def info(runner, url) -> dict:
    r = runner.invoke(main, ["--db", url, "info", "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def cli(runner, url, *args):
    return runner.invoke(main, ["--db", url, *map(str, args)])


def refused(r, *words):
    """Exit status 2 with a message holding ``words``, never a traceback."""
    out = r.output
    assert r.exit_code == 2, (r.exit_code, out, r.exception)
    assert "Traceback" not in out and "\nError: " in "\n" + out, out
    for w in words:
        assert w in out, (w, out)
    return out


@pytest.fixture
def osm_store(area_store, tmp_path):
    """The test areas and a valid street network (one footway inside them)."""
    (tmp_path / "streets.osm").write_bytes(osm_xml())
    from assetmap.io.osm import import_osm
    import_osm(area_store, tmp_path / "streets.osm")
    return area_store


# --- the OSM bomb ------------------------------------------------------------------------------
def test_osm_bomb_refused_in_seconds_under_500_mb(osm_store, tmp_path, runner):
    bomb = osm_bomb(tmp_path / "bomb.osm.bz2")
    assert bomb.stat().st_size < 10_000
    before, digest = info(runner, osm_store.url), osm_store.blob_hash("osm")
    # a fresh Python process whose only child is the import, so RUSAGE_CHILDREN is its own
    probe = textwrap.dedent("""
        import json, resource, subprocess, sys, time
        t = time.perf_counter()
        r = subprocess.run(sys.argv[1:], capture_output=True, text=True)
        print(json.dumps({"rc": r.returncode, "err": r.stderr,
                          "seconds": time.perf_counter() - t,
                          "rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "assetmap.cli",
                          "--db", osm_store.url, "import", "osm", str(bomb)],
                         capture_output=True, text=True, env=env, timeout=600)
    res = json.loads(out.stdout)
    assert res["rc"] == 2, res
    assert str(bomb) in res["err"] and "MAX_XML_TEXT_BYTES" in res["err"], res
    assert "Traceback" not in res["err"]
    assert res["rss_mb"] < 500, res
    assert res["seconds"] < 60, res
    assert info(runner, osm_store.url) == before and osm_store.blob_hash("osm") == digest


def test_gzip_bomb_and_decompressed_size_limit(osm_store, tmp_path, runner, monkeypatch):
    before = info(runner, osm_store.url)
    pad = gzip.compress(b" " * 10_000_000, 9)
    bomb = tmp_path / "bomb.osm.gz"
    bomb.write_bytes(gzip.compress(OSM_HEAD) + pad * 100 + gzip.compress(b"</osm>"))
    t = time.perf_counter()
    refused(cli(runner, osm_store.url, "import", "osm", bomb), str(bomb), "without markup")
    assert time.perf_counter() - t < 60      # a hang guard, not a speed test
    # the decompressed-size limit itself, on a genuine extract bigger than the limit
    (tmp_path / "big.osm.bz2").write_bytes(bz2.compress(osm_xml()))
    assert (tmp_path / "big.osm.bz2").stat().st_size < 1000 < len(osm_xml())
    monkeypatch.setattr(settings, "MAX_IMPORT_BYTES", 1000)
    refused(cli(runner, osm_store.url, "import", "osm", tmp_path / "big.osm.bz2"),
            "big.osm.bz2", "MAX_IMPORT_BYTES", "decompressed")
    assert info(runner, osm_store.url) == before


def test_osm_element_limit(osm_store, tmp_path, runner, monkeypatch):
    monkeypatch.setattr(settings, "MAX_OSM_ELEMENTS", 5)
    (tmp_path / "x.osm").write_bytes(osm_xml())
    before = info(runner, osm_store.url)
    refused(cli(runner, osm_store.url, "import", "osm", tmp_path / "x.osm"), "MAX_OSM_ELEMENTS")
    assert info(runner, osm_store.url) == before


def test_xml_entities_are_never_expanded(osm_store, tmp_path, runner):
    laughs = ("<?xml version='1.0'?>\n<!DOCTYPE osm [<!ENTITY a \"" + "a" * 100 + "\">"
              + "".join(f"<!ENTITY {c} \"" + f"&{p};" * 10 + "\">"
                        for p, c in zip("abcdefgh", "bcdefghi"))
              + "]>\n<osm><node id=\"1\" lat=\"53\" lon=\"-2\"><tag k=\"name\" v=\"&i;\"/>"
                "</node></osm>\n")
    (tmp_path / "laughs.osm").write_text(laughs)
    before = info(runner, osm_store.url)
    refused(cli(runner, osm_store.url, "import", "osm", tmp_path / "laughs.osm"), "DOCTYPE")
    sheet = b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + _cell_row("&a;", "library")
    refused(cli(runner, osm_store.url, "import", "assets", xlsx(tmp_path / "ent.xlsx", sheet)),
            "ent.xlsx", "DOCTYPE")
    assert info(runner, osm_store.url) == before


# --- XLSX bombs --------------------------------------------------------------------------------
_CHUNK = _cell_row("x", "library") * (4_000_000 // len(_cell_row("x", "library")))
_LONG = _cell_row("x" * 30_000, "library") * 130                     # 4 MB of long cells


@pytest.mark.parametrize("command", ["assets", "indicators"])
def test_xlsx_bomb_refused_in_seconds(area_store, tmp_path, runner, command):
    bomb = xlsx(tmp_path / "bomb.xlsx", b"", _LONG, 750)           # the sheet: 3 GB
    assert bomb.stat().st_size < 6_000_000
    before = info(runner, area_store.url)
    t = time.perf_counter()
    refused(cli(runner, area_store.url, "import", command, bomb), str(bomb),
            "MAX_IMPORT_BYTES", "xl/worksheets/sheet1.xml")
    assert time.perf_counter() - t < 60      # a hang guard (unguarded: still running at 600 s)
    assert info(runner, area_store.url) == before


def test_xlsx_with_millions_of_cells_refused(area_store, tmp_path, runner):
    bomb = xlsx(tmp_path / "cells.xlsx", b"", _CHUNK, 75)          # 300 MB, 6 M cells
    before = info(runner, area_store.url)
    t = time.perf_counter()
    refused(cli(runner, area_store.url, "import", "assets", bomb), "cells.xlsx",
            "MAX_XLSX_CELLS")
    assert time.perf_counter() - t < 60      # a hang guard, not a speed test
    assert info(runner, area_store.url) == before


def test_xlsx_forged_sizes_and_markup_free_runs(area_store, tmp_path, runner):
    before = info(runner, area_store.url)
    forged = xlsx(tmp_path / "forged.xlsx", _cell_row("Hall", "library") * 50, sheet_size=100)
    refused(cli(runner, area_store.url, "import", "assets", forged), "forged.xlsx", "damaged")
    blank = xlsx(tmp_path / "blank.xlsx", b" " * 3_000_000)
    refused(cli(runner, area_store.url, "import", "assets", blank), "blank.xlsx",
            "MAX_XML_TEXT_BYTES")
    assert info(runner, area_store.url) == before


def test_a_genuine_small_workbook_still_reads(tmp_path):
    from assetmap.io.common import read_table
    df = read_table(xlsx(tmp_path / "ok.xlsx", _cell_row("Hall", "library")))
    assert df.to_dict("records") == [{"name": "Hall", "category": "library"}]


def test_compressed_csv_bomb_and_deep_json(area_store, tmp_path, runner, monkeypatch):
    before = info(runner, area_store.url)
    monkeypatch.setattr(settings, "MAX_IMPORT_BYTES", 100_000)
    gz = tmp_path / "assets.csv.gz"
    gz.write_bytes(gzip.compress(b"name,category\n" + b"Hall,library\n" * 20_000))
    refused(cli(runner, area_store.url, "import", "assets", gz), "assets.csv.gz",
            "MAX_IMPORT_BYTES")
    monkeypatch.undo()
    deep = tmp_path / "deep.geojson"
    deep.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", '
                    '"properties": {"name": "x", "a": ' + "[" * 100_000 + "]" * 100_000
                    + '}, "geometry": null}]}')
    for command in ("assets", "boundaries"):
        refused(cli(runner, area_store.url, "import", command, deep), "deep.geojson",
                "MAX_JSON_DEPTH", 'inside "a"')
    assert info(runner, area_store.url) == before


def test_load_json_for_open_referral(tmp_path):
    from assetmap.io.limits import load_json
    p = tmp_path / "feed.json"
    p.write_text('{"contents": ' + "[" * 5000 + "]" * 5000 + "}")
    with pytest.raises(InputError, match="MAX_JSON_DEPTH"):
        load_json(p)
    p.write_text('{"contents": [{"id": "a", "name": "x"}')
    with pytest.raises(InputError, match="not valid JSON") as e:
        load_json(p)
    assert e.value.file == str(p) and e.value.row == 1
    p.write_text('{"a": "[[[[[[[[\\"[[[[", "b": [[1]]}')           # brackets in strings
    assert load_json(p) == {"a": '[[[[[[[["[[[[', "b": [[1]]}


# --- a new network replaces the old only once it validates --------------------------------------
def _far_osm() -> bytes:
    """A street 60 km from the stored areas."""
    lon, lat = centre(0)
    nodes = "".join(f'<node id="{i}" lat="{lat + 0.55}" lon="{lon + i * 0.001}"/>'
                    for i in range(1, 6))
    way = "<way id=\"9\">" + "".join(f'<nd ref="{i}"/>' for i in range(1, 6)) + \
        '<tag k="highway" v="residential"/></way>'
    return f"<?xml version='1.0'?>\n<osm version=\"0.6\">{nodes}{way}</osm>\n".encode()


def test_network_failing_validation_keeps_the_old_one(osm_store, tmp_path, runner, monkeypatch):
    before, digest = info(runner, osm_store.url), osm_store.blob_hash("osm")
    lon, lat = centre(1)
    no_streets = (f"<?xml version='1.0'?>\n<osm><node id=\"1\" lat=\"{lat}\" lon=\"{lon}\">"
                  '<tag k="amenity" v="library"/><tag k="name" v="New Library"/></node>'
                  "</osm>\n")
    (tmp_path / "pois.osm").write_text(no_streets)
    refused(cli(runner, osm_store.url, "import", "osm", tmp_path / "pois.osm"), "pois.osm",
            "0 walkable", "MIN_WALK_EDGES", "stored street network is kept")
    (tmp_path / "far.osm").write_bytes(_far_osm())
    refused(cli(runner, osm_store.url, "import", "osm", tmp_path / "far.osm"), "far.osm",
            "right place", "stored street network is kept")
    monkeypatch.setattr(settings, "MIN_WALK_EDGES", 50)          # a deployment's minimum
    refused(cli(runner, osm_store.url, "import", "osm", tmp_path / "streets.osm"),
            "1 walkable", "at least 50")
    assert info(runner, osm_store.url) == before and osm_store.blob_hash("osm") == digest
    assert osm_store.read_assets()["name"].tolist().count("New Library") == 0


def test_a_valid_network_replaces_the_old(osm_store, tmp_path, runner):
    digest = osm_store.blob_hash("osm")
    data = osm_xml().replace(b'<way id="11">', b'<way id="13"><nd ref="3"/><nd ref="4"/>'
                             b'<tag k="highway" v="path"/></way><way id="11">')
    (tmp_path / "new.osm").write_bytes(data)
    r = cli(runner, osm_store.url, "import", "osm", tmp_path / "new.osm")
    assert r.exit_code == 0, r.output
    assert "2 walkable segments" in r.output and osm_store.blob_hash("osm") != digest


# --- the app starts whatever the stored network is ---------------------------------------------
@pytest.fixture
def bomb_store(demo_store_copy, tmp_path):
    """The demo store with an OSM bomb as its network (as stored before the limits)."""
    demo_store_copy.put_blob("osm", osm_bomb(tmp_path / "stored.osm.bz2").read_bytes())
    return demo_store_copy


def test_serve_starts_with_an_unusable_network(bomb_store, tmp_path, runner, monkeypatch):
    import waitress
    served = []
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: served.append(app))
    monkeypatch.setattr(settings, "INSTANCE_DIR", tmp_path / "instance")
    t = time.perf_counter()
    r = cli(runner, bomb_store.url, "serve", "--port", "0")
    assert r.exit_code == 0, (r.output, r.exception)
    assert time.perf_counter() - t < 60
    assert served and "Warning: the stored street network cannot be used" in r.output
    assert "straight-line" in r.output and "MAX_XML_TEXT_BYTES" in r.output
    assert "straight-line" in served[0].config["STREET_NETWORK_WARNING"]


def test_create_app_and_analyse_with_an_unusable_network(bomb_store, tmp_path, runner):
    from assetmap.app import create_app
    app = create_app({"DATABASE": bomb_store.url, "TESTING": True,
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    assert app.test_client().get("/").status_code == 200
    t = time.perf_counter()
    refused(cli(runner, bomb_store.url, "analyse"), "the street network", "MAX_XML_TEXT_BYTES")
    assert time.perf_counter() - t < 60        # hang guard: was 100+ s at 3.4 GB before
    t = time.perf_counter()                  # asked again: the same answer, at once
    refused(cli(runner, bomb_store.url, "analyse"), "the street network")
    assert time.perf_counter() - t < 60      # a hang guard, not a speed test


def test_pages_use_straight_lines_with_an_unusable_network(bomb_store, tmp_path):
    from assetmap.app import create_app
    app = create_app({"DATABASE": bomb_store.url, "TESTING": True,
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    code = bomb_store.read_areas("lsoa")["code"].iloc[0]
    r = app.test_client().get(f"/areas/{code}")
    assert r.status_code == 200 and "straight-line" in r.get_data(as_text=True)


def test_serve_start_up_shows_a_banner_with_an_unusable_network(bomb_store, tmp_path):
    """`serve` prepares the walking graph before serving: an unusable one is a warning on
    every page, not a crash."""
    from assetmap.app import create_app
    from assetmap.cli import prepare_walk_graph
    app = create_app({"DATABASE": bomb_store.url, "TESTING": True,
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    assert prepare_walk_graph(app)
    body = app.test_client().get("/").get_data(as_text=True)
    assert "street network cannot be used" in body and "straight-line" in body
