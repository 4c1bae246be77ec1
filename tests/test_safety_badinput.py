"""Every bad input a clear error (issue 13, item 10).

Malformed OSM (bad coordinates, missing ids, truncated XML, a pbf that is not a pbf),
malformed or hostile JSON, NUL bytes in every importer, names that are only invisible
characters, vacancies without a capacity and home-based records of categories that cannot
be a home: each ends with exit status 2 and a message naming the file and the element, row
or field, the store unchanged. "NaN", "None", "null" and "N/A" are names, not blanks.
"""
from __future__ import annotations

import json

import pytest
from contribhelp import inside_point, provider_form, store_of
from test_io_common import area_store, centre, io_store, write_csv  # noqa: F401
from test_safety_imports import _cell_row, xlsx

from assetmap.cli import main

HEAD = "<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\">\n"


def info(runner, url) -> dict:
    r = runner.invoke(main, ["--db", url, "info", "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def run(runner, url, *args):
    return runner.invoke(main, ["--db", url, *map(str, args)])


def refused(r, path, *words):
    """Exit 2, an "Error:" line naming ``path`` and holding ``words``, no traceback."""
    out = r.output
    assert r.exit_code == 2, (r.exit_code, out, r.exception)
    assert "Traceback" not in out and "\nError: " in "\n" + out, out
    for w in (str(path), *words):
        assert w in out, (w, out)
    return out


# --- OpenStreetMap -------------------------------------------------------------------------
def _node(extra="", body=""):
    lon, lat = centre(0)
    return f'<node id="1" lat="{lat}" lon="{lon}"{extra}>{body}</node>\n'


OSM_CASES = {
    "bad-lat": (HEAD + '<node id="1" lat="abc" lon="-2.3"/>\n</osm>\n',
                ["row 3", "field 'node lat'", "node 1", "'abc' is not a latitude"]),
    "lat-out-of-range": (HEAD + '<node id="5" lat="95.0" lon="-2.3"/>\n</osm>\n',
                         ["row 3", "node 5", "not a latitude"]),
    "nan-lon": (HEAD + '<node id="6" lat="53.4" lon="NaN"/>\n</osm>\n',
                ["field 'node lon'", "node 6", "not a longitude"]),
    "no-coordinates": (HEAD + '<node id="7"/>\n</osm>\n', ["node 7 has no lat"]),
    "node-without-id": (HEAD + '<node lat="53.4" lon="-2.3"/>\n</osm>\n',
                        ["row 3", "field 'node id'", "the id of a <node> is missing"]),
    "way-without-id": (HEAD + _node() + '<way><nd ref="1"/></way>\n</osm>\n',
                       ["field 'way id'", "the id of a <way> is missing"]),
    "bad-id": (HEAD + '<node id="n1" lat="53.4" lon="-2.3"/>\n</osm>\n',
               ["'n1' is not a whole number"]),
    "bad-nd-ref": (HEAD + _node() + '<way id="2"><nd ref="x"/></way>\n</osm>\n',
                   ["row 4", "field 'nd ref'", "way 2"]),
    "bad-member": (HEAD + _node() + '<relation id="3"><member type="area" ref="1"/>'
                   '</relation>\n</osm>\n', ["field 'member type'", "relation 3"]),
    "tag-without-key": (HEAD + _node(body='<tag v="x"/>') + "</osm>\n",
                        ["field 'tag k'", "a tag of node 1 has no key"]),
    "truncated": (HEAD + _node() + '<way id="2"><nd ref="1"/>', ["truncated", "row 4"]),
    "not-osm": ("<?xml version='1.0'?><svg></svg>", ["not OpenStreetMap data"]),
    "nul-char-ref": (HEAD + _node(body='<tag k="name" v="a&#0;b"/>') + "</osm>\n",
                     ["row 3", "invalid character", "NUL"]),
    "undefined-entity": (HEAD + _node(body='<tag k="name" v="&x;"/>') + "</osm>\n",
                         ["undefined entity"]),
    "doctype": ("<?xml version='1.0'?>\n<!DOCTYPE osm SYSTEM \"file:///etc/passwd\">\n<osm>"
                + _node() + "</osm>\n", ["DOCTYPE", "refused"]),
}


@pytest.mark.parametrize("case", list(OSM_CASES))
def test_malformed_osm(area_store, tmp_path, runner, case):
    text, words = OSM_CASES[case]
    path = tmp_path / f"{case}.osm"
    path.write_text(text)
    before = info(runner, area_store.url)
    refused(run(runner, area_store.url, "import", "osm", path), path, *words)
    assert info(runner, area_store.url) == before


def test_nul_in_an_osm_tag_value(area_store, tmp_path, runner):
    path = tmp_path / "nul.osm"
    path.write_bytes((HEAD + _node(body='\n<tag k="name" v="Hall\x00x"/>') + "</osm>\n").encode())
    before = info(runner, area_store.url)
    refused(run(runner, area_store.url, "import", "osm", path), path, "row 4",
            "field 'tag name'", "NUL byte in tag 'name' of node 1")
    assert info(runner, area_store.url) == before


def test_a_pbf_that_is_not_a_pbf(area_store, tmp_path, runner):
    pytest.importorskip("osmium")
    before = info(runner, area_store.url)
    for name, data in (("junk.osm.pbf", b"not a pbf at all"),
                       ("header.osm.pbf", b"\x00\x00\x00\x0dOSMHeader" + b"\xff" * 200),
                       ("xml.osm.pbf", (HEAD + _node() + "</osm>\n").encode())):
        path = tmp_path / name
        path.write_bytes(data)
        refused(run(runner, area_store.url, "import", "osm", path), path,
                "not a readable OSM PBF file")
    assert info(runner, area_store.url) == before


def test_damaged_compressed_osm(area_store, tmp_path, runner):
    import bz2
    import gzip
    data = (HEAD + _node() + "</osm>\n").encode() * 1
    before = info(runner, area_store.url)
    for name, blob in (("cut.osm.bz2", bz2.compress(data)[:-20]),
                       ("cut.osm.gz", gzip.compress(data)[:-12])):
        path = tmp_path / name
        path.write_bytes(blob)
        refused(run(runner, area_store.url, "import", "osm", path), path,
                "damaged or truncated")
    assert info(runner, area_store.url) == before


# --- JSON ------------------------------------------------------------------------------------
def _feature_collection(props: str, depth: int = 0) -> str:
    return ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
            + props + ', "geometry": ' + "[" * depth + '{"type": "Point", "coordinates": '
            '[-2.3, 53.4]}' + "]" * depth + "}]}")


JSON_CASES = {
    "deep-properties": (_feature_collection('{"name": "x", "tags": ' + "[" * 5000 + "]" * 5000
                                            + "}"), ["MAX_JSON_DEPTH", 'inside "tags"']),
    "deep-geometry": (_feature_collection('{"name": "x"}', 3000), ["MAX_JSON_DEPTH",
                                                                    'inside "geometry"']),
    "truncated": (_feature_collection('{"name": "x"}')[:-10], ["not a readable"]),
    "nul-escape": (_feature_collection('{"name": "Ha\\u0000ll"}'), ["field 'name'", "NUL"]),
    "not-json": ("this is not json {", ["not a readable"]),
}


@pytest.mark.parametrize("command", ["assets", "boundaries"])
@pytest.mark.parametrize("case", list(JSON_CASES))
def test_malformed_geojson(area_store, tmp_path, runner, command, case):
    text, words = JSON_CASES[case]
    path = tmp_path / f"{case}.geojson"
    path.write_text(text)
    before = info(runner, area_store.url)
    extra = ["--category", "library"] if command == "assets" else []
    refused(run(runner, area_store.url, "import", command, *extra, path), path, *words)
    assert info(runner, area_store.url) == before


@pytest.mark.xfail(strict=True, reason="io/openreferral.py (not this helper's file) should "
                   "read JSON with io.limits.load_json")
def test_deeply_nested_open_referral_json(area_store, tmp_path, runner):
    path = tmp_path / "services.json"
    path.write_text('{"contents": [{"id": "s1", "name": "x", "taxonomy": '
                    + "[" * 100_000 + "]" * 100_000 + "}]}")
    before = info(runner, area_store.url)
    refused(run(runner, area_store.url, "import", "openreferral", path), path, "MAX_JSON_DEPTH")
    assert info(runner, area_store.url) == before


# --- tables: NUL bytes, names, capacity, home-based ------------------------------------------
def _assets_csv(tmp_path, rows, name="assets.csv", extra=()):
    lon, lat = centre(0)
    header = ["name", "category", "lat", "lon", *extra]
    return write_csv(tmp_path / name, header, [[*r[:2], lat, lon, *r[2:]] for r in rows])


@pytest.mark.parametrize("field", ["name", "category"])
def test_nul_bytes_in_a_csv(area_store, tmp_path, runner, field):
    rows = [["Hall", "library"], ["Hall\x00Two", "library"] if field == "name"
            else ["Hall Two", "libr\x00ary"]]
    path = _assets_csv(tmp_path, rows)
    before = info(runner, area_store.url)
    refused(run(runner, area_store.url, "import", "assets", path), path, "row 2",
            f"field '{field}'", "NUL")
    assert info(runner, area_store.url) == before


def test_nul_bytes_in_xlsx_geojson_postcodes_and_indicators(area_store, tmp_path, runner):
    before = info(runner, area_store.url)
    row = (b'<row r="3"><c r="A3" t="inlineStr"><is><t>Ha\x00ll</t></is></c>'
           b'<c r="B3" t="inlineStr"><is><t>library</t></is></c></row>')
    book = xlsx(tmp_path / "nul.xlsx", _cell_row("Hall", "library") + row)
    refused(run(runner, area_store.url, "import", "assets", book), book, "row 2",
            "field 'column A'", "NUL byte in cell A3")
    gj = tmp_path / "nul.geojson"
    gj.write_text(_feature_collection('{"name": "Ha\\u0000ll"}'))
    refused(run(runner, area_store.url, "import", "assets", "--category", "library", gj), gj,
            "field 'name'", "NUL")
    pc = write_csv(tmp_path / "postcodes.csv", ["postcode", "lat", "long"],
                   [["M1 1AA", "53.4", "-2.3"], ["M1 1AB\x00", "53.4", "-2.3"]])
    refused(run(runner, area_store.url, "import", "postcodes", pc), pc, "row 2",
            "field 'postcode'", "NUL")
    ind = write_csv(tmp_path / "ind.csv", ["area_code", "living_alone_65"],
                    [["E01900001", "10"], ["E01900002", "1\x002"]])
    refused(run(runner, area_store.url, "import", "indicators", ind), ind, "row 2",
            "field 'living_alone_65'", "NUL")
    assert info(runner, area_store.url) == before


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_nan_and_none_are_names(area_store, tmp_path, runner, suffix):
    names = ["NaN", "None", "null", "N/A"]
    if suffix == "csv":
        path = _assets_csv(tmp_path, [[n, "library"] for n in names])
    else:
        lon, lat = centre(0)
        rows = b"".join(_cell_row(n, "library", lat, lon) for n in names)
        path = xlsx(tmp_path / "assets.xlsx", rows, header=("name", "category", "lat", "lon"))
    r = run(runner, area_store.url, "import", "assets", path)
    assert r.exit_code == 0, r.output
    assert sorted(area_store.read_assets()["name"]) == sorted(names)


@pytest.mark.parametrize("name", ["\u200b", "\u200b\u200c\u200d", "\ufeff", " \u2060 ",
                                  "\u200b \u200b"])
def test_invisible_names_refused_by_importers(area_store, tmp_path, runner, name):
    path = _assets_csv(tmp_path, [["Hall", "library"], [name, "library"]])
    before = info(runner, area_store.url)
    refused(run(runner, area_store.url, "import", "assets", path), path, "row 2",
            "field 'name'", "invisible")
    assert info(runner, area_store.url) == before


def test_blank_names_still_blank(area_store, tmp_path, runner):
    path = _assets_csv(tmp_path, [["Hall", "library"], ["   ", "library"]])
    refused(run(runner, area_store.url, "import", "assets", path), path, "row 2",
            "field 'name'", "the name is blank")


def test_vacancies_need_capacity_in_imports(area_store, tmp_path, runner):
    path = _assets_csv(tmp_path, [["Helpers", "micro_provider", "older_people", "3", ""]],
                       extra=["client_groups", "vacancies", "capacity_hours"])
    before = info(runner, area_store.url)
    refused(run(runner, area_store.url, "import", "assets", path), path, "row 1",
            "field 'vacancies'", "capacity_hours")
    assert info(runner, area_store.url) == before
    ok = _assets_csv(tmp_path, [["Helpers", "micro_provider", "older_people", "3", "20"]],
                     name="ok.csv", extra=["client_groups", "vacancies", "capacity_hours"])
    assert run(runner, area_store.url, "import", "assets", ok).exit_code == 0


def test_home_based_only_for_categories_that_can_be_a_home(area_store, tmp_path, runner):
    path = _assets_csv(tmp_path, [["Hall", "library", "yes"]], extra=["home_based"])
    before = info(runner, area_store.url)
    out = refused(run(runner, area_store.url, "import", "assets", path), path, "row 1",
                  "field 'home_based'", "micro-providers and neighbourhood network hubs")
    assert "library" in out
    assert info(runner, area_store.url) == before
    ok = _assets_csv(tmp_path, [["Helpers", "micro_provider", "yes", "older_people"],
                                ["Hub", "neighbourhood_hub", "yes", ""]],
                     name="ok.csv", extra=["home_based", "client_groups"])
    r = run(runner, area_store.url, "import", "assets", ok)
    assert r.exit_code == 0, r.output
    assert area_store.read_assets(statuses=None)["home_based"].all()


# --- the contribution form -----------------------------------------------------------------
def _post(contrib_app, form_client, **change):
    store = store_of(contrib_app)
    anon = form_client()
    lon, lat = inside_point(store)
    anon.get("/contribute")
    r = anon.post("/contribute", provider_form(lon, lat, **change))
    return r, r.get_data(as_text=True).replace("&#39;", "'"), store


FORM_CASES = [
    ({"name": "\u200b\u200b"}, "name", "only invisible characters"),
    ({"name": "\ufeff\u2060 \u200d"}, "name", "only invisible characters"),
    ({"vacancies": "4", "capacity_hours": ""}, "vacancies", "give the weekly capacity too"),
    ({"category": "library", "home_based": "on", "service_types": None},
     "home_based", "Only micro-providers and neighbourhood network hubs can be home-based"),
]


@pytest.mark.parametrize("change,field,message", FORM_CASES,
                         ids=[c[1] + "-" + str(i) for i, c in enumerate(FORM_CASES)])
def test_the_form_refuses(contrib_app, form_client, change, field, message):
    r, text, store = _post(contrib_app, form_client, **change)
    assert r.status_code == 400
    assert message in text and f'id="{field}-error"' in text
    assert store.list_submissions(statuses=None) == []


def test_the_form_accepts_home_based_micro_providers_and_says_who_may(contrib_app, form_client):
    text = form_client().get("/contribute").get_data(as_text=True)
    assert "micro-providers and neighbourhood network hubs only" in text
    assert "part of the weekly capacity" in text
    r, _, store = _post(contrib_app, form_client, home_based="on")
    assert r.status_code == 303
    r, _, store = _post(contrib_app, form_client, home_based="on", name="Nan",
                        category="neighbourhood_hub")
    assert r.status_code == 303 and len(store.list_submissions(statuses=None)) == 2
