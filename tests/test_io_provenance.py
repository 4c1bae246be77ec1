"""What every download says about itself (assetmap.io.provenance, issue 12)."""
from __future__ import annotations

import io
import zipfile

import pandas as pd

from assetmap import settings
from assetmap.io.provenance import (
    Provenance,
    ascii_text,
    bundle,
    columns_only,
    geojson_metadata,
    with_provenance,
)

RUN = {"id": 7, "created_at": "2026-11-30T10:00:00+00:00", "data_version": 4}


def test_from_the_stores_run_and_data_version():
    p = Provenance.of("Gaps", RUN, 5, {"service_type": "home_support", "unit": ""})
    assert (p.run_id, p.run_made, p.run_data_version, p.data_version) == \
        (7, "2026-11-30T10:00:00+00:00", 4, 5)
    assert p.filters == {"service_type": "home_support"}          # empty ones dropped
    assert p.licence == settings.DATA_LICENCE
    assert "analysis run 7 of 2026-11-30T10:00:00+00:00 on data version 4" in p.citation()
    assert Provenance.of("Gaps", None, 1).run_text() == "no analysis run yet"


def test_the_default_licence_names_what_the_inputs_need():
    for part in ("Open Government Licence v3.0", "\u00a9 OpenStreetMap contributors, ODbL 1.0",
                 "Contains OS data \u00a9 Crown copyright and database right"):
        assert part in settings.DATA_LICENCE


def test_dictionary_rows_headers_and_geojson_member():
    p = Provenance.of("Gaps", RUN, 5, {"area": "E01000001"})
    dic = pd.DataFrame([{"column": "need", "type": "real", "unit": "z-score",
                         "meaning": "need index"}])
    full = with_provenance(dic, p)
    about = full[full["type"] == "provenance"].set_index("column")["meaning"]
    assert about["file.run_id"] == "7" and about["file.data_version"] == "5"
    assert about["file.filters"] == "area=E01000001"
    assert columns_only(full).equals(dic)
    h = p.headers()
    assert h["X-AssetMap-Run"] == "7" and all(v.isascii() for v in h.values())
    assert "(c) OpenStreetMap" in h["X-AssetMap-Licence"]
    meta = geojson_metadata(p, full)
    assert meta["run_id"] == 7 and meta["columns"] == [{"column": "need", "type": "real",
                                                        "unit": "z-score",
                                                        "meaning": "need index"}]
    assert ascii_text("\u00a9 Ynys Môn") == "(c) Ynys Mon"


def test_bundle_has_the_files_and_a_readme():
    p = Provenance.of("Gaps", RUN, 5)
    z = zipfile.ZipFile(io.BytesIO(bundle({"a.csv": b"x\n1\n"}, p, {"a.csv": "the gaps"})))
    assert set(z.namelist()) == {"a.csv", "README.txt"}
    readme = z.read("README.txt").decode()
    assert settings.DATA_LICENCE in readme and "a.csv: the gaps" in readme
    assert "Data version:    5" in readme
