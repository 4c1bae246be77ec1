"""Layer exports: GeoJSON, GeoPackage, CSV; privacy; result layers; the CLI contract."""
from __future__ import annotations

import types

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from test_io_common import CODES, area_store, centre, io_store  # noqa: F401

from assetmap import results
from assetmap.cli import main
from assetmap.errors import InputError
from assetmap.io import export


def _providers(store):
    pts = [centre(0), centre(1, 123, 321)]
    a = gpd.GeoDataFrame({"id": ["lib", "home"], "name": ["Library", "Home Helper"],
                          "category": ["library", "micro_provider"],
                          "address": ["1 High St", "4 Secret Close"],
                          "contact": ["0161", "07700 900123"], "contact_public": [True, False],
                          "home_based": [False, True]},
                         geometry=gpd.points_from_xy([p[0] for p in pts], [p[1] for p in pts]),
                         crs=4326)
    p = pd.DataFrame({"asset_id": ["home"], "service_types": ["home_support"],
                      "client_groups": ["older_people"]})
    store.write_assets(a, p)
    return pts


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "csv"])
def test_store_layers_each_format(area_store, tmp_path, fmt):
    pts = _providers(area_store)
    for layer, n in (("areas", 4), ("assets", 1), ("providers", 1)):
        out = tmp_path / f"{layer}.{fmt}"
        assert export.export_layer(area_store, layer, out, fmt) == n
        back = pd.read_csv(out) if fmt == "csv" else \
            gpd.read_file(out, layer=layer) if fmt == "gpkg" else gpd.read_file(out)
        assert len(back) == n
    prov = pd.read_csv(tmp_path / "providers.csv") if fmt == "csv" else \
        gpd.read_file(tmp_path / f"providers.{fmt}",
                      **({"layer": "providers"} if fmt == "gpkg" else {}))
    row = prov.iloc[0]
    x = row["lon"] if fmt == "csv" else row.geometry.x
    assert x != pytest.approx(pts[1][0], abs=1e-5)        # home: not the exact point
    assert pd.isna(row["address"]) and pd.isna(row["contact"])


def test_need_layer_without_a_run(area_store, tmp_path):
    area_store.write_indicators(pd.DataFrame([{"id": "llti", "title": "LLTI", "unit": "%"}]))
    area_store.write_values(pd.DataFrame({"indicator_id": "llti", "area_code": CODES,
                                          "value": [1.0, 2.0, 3.0, 4.0]}))
    assert export.export_layer(area_store, "need", tmp_path / "need.geojson") == 4
    need = gpd.read_file(tmp_path / "need.geojson")
    assert need["indicator_llti"].tolist() == [1.0, 2.0, 3.0, 4.0]     # issue 14: prefixed
    assert need["area_code"].tolist() == CODES


def test_result_layers_from_the_latest_run(area_store, tmp_path, monkeypatch):
    fake = types.SimpleNamespace(
        areas=results.conform("areas", pd.DataFrame({"code": CODES,
                                                     "need_index": [0.1, 0.2, 0.3, 0.4]}),
                              partial=True),
        gaps=pd.DataFrame({"area_code": CODES, "group_kind": "all", "group": "all",
                           "is_gap": [True, False, False, True]}),
        access=pd.DataFrame({"area_code": CODES * 2, "category": ["library"] * 4 + ["park"] * 4,
                             "minutes": range(8)}),
        hotspots=pd.DataFrame(), indicators=pd.DataFrame(), e2sfca=pd.DataFrame(),
        isochrones=gpd.GeoDataFrame())
    def load(store):
        return fake
    assert export.export_layer(area_store, "gaps", tmp_path / "g.gpkg", load_run=load) == 4
    assert export.export_layer(area_store, "access", tmp_path / "a.csv", load_run=load) == 4
    acc = pd.read_csv(tmp_path / "a.csv")
    assert acc.set_index("area_code").loc[CODES[1], "minutes_park"] == 5
    need = export.layer_frame(area_store, "need", load)
    assert need["need_index"].tolist() == [0.1, 0.2, 0.3, 0.4]
    from assetmap.errors import NoData
    with pytest.raises(NoData):
        export.export_layer(area_store, "hotspots", tmp_path / "h.csv", load_run=load)


def test_bad_layer_and_format(area_store, tmp_path):
    with pytest.raises(InputError):
        export.export_layer(area_store, "spaceships", tmp_path / "x.csv")
    with pytest.raises(InputError):
        export.export_layer(area_store, "areas", tmp_path / "x.txt")


def test_cli_export_contract(area_store, tmp_path):
    db = area_store.url
    r = CliRunner().invoke(main, ["--db", db, "export", "areas", "-o", str(tmp_path / "a.geojson")])
    assert r.exit_code == 0 and "Exported 4 areas" in r.output
    r = CliRunner().invoke(main, ["--db", db, "export", "gaps", "-f", "csv", "-o",
                                  str(tmp_path / "g.csv")])
    assert r.exit_code == 2 and "analys" in r.output      # nothing to export yet (issue 17)
    r = CliRunner().invoke(main, ["--db", db, "export", "nonsense", "-f", "csv", "-o",
                                  str(tmp_path / "g.csv")])
    assert r.exit_code == 2
    r = CliRunner().invoke(main, ["--db", db, "import", "boundaries",
                                  str(tmp_path / "nope.geojson")])
    assert r.exit_code == 2 and "nope.geojson" in r.output
