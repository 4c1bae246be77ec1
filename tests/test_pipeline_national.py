"""The national run: tiles on Dask give exactly the single-process run's results; a
scheduler address works like the LocalCluster; the CLI shows tiles; England's values go to
a JSON file a borough imports and compares with."""
import json

import numpy as np
import pandas as pd
import pytest

from assetmap import pipeline, settings
from assetmap.cli import main
from assetmap.pipeline import national

from pghelp import PG_OK, PG_URL

P = {"isochrone_categories": [], "permutations": 99}


@pytest.fixture(scope="module")
def cluster():
    from dask.distributed import LocalCluster
    c = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp",
                     dashboard_address=None)
    yield c
    c.close()


def same_frames(a, b):
    for name in pipeline.FRAMES:
        fa, fb = a.frame(name), b.frame(name)
        if "geometry" in fa:
            fa, fb = pd.DataFrame(fa.drop(columns="geometry")), \
                pd.DataFrame(fb.drop(columns="geometry"))
        pd.testing.assert_frame_equal(fa.reset_index(drop=True), fb.reset_index(drop=True),
                                      check_exact=False, rtol=1e-12, atol=1e-9, obj=name)


@pytest.mark.parametrize("nearest", ["whole", "tiles"])
def test_national_on_dask_equals_the_single_process_run(synthetic_store, cluster, nearest):
    from dask.distributed import Client
    with Client(cluster) as client:
        res, reports = national.run(synthetic_store, P, client=client, save=True,
                                    nearest=nearest)
    one = pipeline.run(synthetic_store, P, save=False)
    same_frames(res, one)
    assert len({r.key for r in reports if r.round == 0}) == 3          # one tile per LA
    assert {r.key for r in reports} == {"E06000017", "E07000131", "E07000133"}
    assert res.run_id is not None and pipeline.load(synthetic_store).run_id == res.run_id
    assert res.summary["areas"] == len(res.areas) > 50


def test_the_scheduler_address_and_the_progress_bar(synthetic_store, cluster, runner, tmp_path):
    out, out2 = tmp_path / "england.json", tmp_path / "england-tiles.json"
    url = synthetic_store.url
    r = runner.invoke(main, ["--db", url, "national", "--scheduler", cluster.scheduler_address,
                             "--benchmarks-out", str(out), "-p", "permutations=99"])
    assert r.exit_code == 0, r.output
    assert "Tiles, buffer 1.5 km" in r.output and "E06000017:" in r.output
    assert "National run" in r.output and "3 tiles" in r.output
    england = json.loads(out.read_text())
    assert set(england) >= {"imd_decile", "pop_65_plus"}
    assert 0 < england["pop_65_plus"] < 40
    r = runner.invoke(main, ["--db", url, "national", "--scheduler", cluster.scheduler_address,
                             "--nearest", "tiles", "--benchmarks-out", str(out2), "-p",
                             "permutations=99"])
    assert r.exit_code == 0 and "Tiles, buffer 4.0 km" in r.output, r.output
    tiled = json.loads(out2.read_text())
    assert tiled.keys() == england.keys()
    assert all(abs(tiled[k] - england[k]) <= 1e-9 * max(1.0, abs(england[k])) for k in england)


def test_a_borough_compares_with_the_england_values(demo_store_copy, runner, tmp_path):
    path = tmp_path / "england.json"
    path.write_text(json.dumps({"pop_65_plus": 18.4, "imd_decile": 5.5}))
    r = runner.invoke(main, ["--db", demo_store_copy.url, "import", "england-benchmarks",
                             str(path)])
    assert r.exit_code == 0, r.output
    res = pipeline.run(demo_store_copy, {"isochrone_categories": []}, save=False)
    b = res.benchmarks.set_index("indicator_id")["england"]
    assert b["pop_65_plus"] == pytest.approx(18.4) and b["imd_decile"] == pytest.approx(5.5)
    eng = res.indicators[res.indicators["benchmark_name"] == "England"]
    assert set(eng["indicator_id"]) >= {"pop_65_plus"}


def test_bad_benchmark_files_are_input_errors(demo_store_copy, runner, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"pop_65_plus": "lots"}))
    r = runner.invoke(main, ["--db", demo_store_copy.url, "import", "england-benchmarks",
                             str(path)])
    assert r.exit_code == 2 and "pop_65_plus" in r.output


def test_no_scheduler_there_is_an_input_error(monkeypatch):
    from assetmap.errors import InputError
    monkeypatch.setattr(settings, "NATIONAL_SCHEDULER_TIMEOUT_S", 1)
    with pytest.raises(InputError, match="no Dask scheduler"):
        national.client_for("tcp://127.0.0.1:9")


@pytest.mark.skipif(not PG_OK, reason="no PostgreSQL+PostGIS server (set ASSETMAP_TEST_PG_URL)")
def test_national_run_on_postgis(synthetic_england, cluster):
    from dask.distributed import Client

    from assetmap.demo import synthetic_england as se
    from assetmap.store import Store
    eng, d = synthetic_england
    s = Store(PG_URL)
    try:
        se.build_into(s, eng, d / "pg.osm.pbf")
        with Client(cluster) as client:
            res, _ = national.run(s, P, client=client)
        back = pipeline.load(s)
        assert back.run_id == res.run_id and len(back.areas) == len(res.areas)
        assert np.isfinite(back.areas["social_min"]).all()
    finally:
        s.drop_all()
        s.dispose()


def test_synthetic_from_the_command_line(cluster, runner, tmp_path):
    from conftest import REALDATA

    from assetmap.demo import synthetic_england as se
    if not se.available(REALDATA):
        pytest.skip("no real LSOA files")
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    r = runner.invoke(main, ["--db", url, "national", "--synthetic", "20000", "--la",
                             "E06000017", "--realdata", str(REALDATA), "--scheduler",
                             cluster.scheduler_address, "--json", "-p", "permutations=99"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.output[r.output.index("{\n"):])
    assert s["areas"] == 23 and s["tiles"]["tiles"] == 1 and s["router"] == "network"
