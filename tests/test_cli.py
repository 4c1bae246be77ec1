import json

from assetmap.cli import main


def test_info_on_empty_store(runner, tmp_path):
    r = runner.invoke(main, ["--db", f"sqlite:///{tmp_path/'s.sqlite'}", "info", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["counts"]["areas"] == 0 and data["data_version"] == 0


def test_db_from_environment(runner, tmp_path):
    url = f"sqlite:///{tmp_path/'env.sqlite'}"
    r = runner.invoke(main, ["info"], env={"ASSETMAP_DB": url})
    assert r.exit_code == 0 and str(tmp_path) in r.output


def test_info_on_demo_nonzero_counts(runner, demo_store):
    r = runner.invoke(main, ["--db", demo_store.url, "info", "--json"])
    assert r.exit_code == 0, r.output
    counts = json.loads(r.output)["counts"]
    for table in ("areas", "indicators", "indicator_values", "assets", "providers",
                  "asset_versions", "networks", "blobs"):
        assert counts[table] > 0, table


def test_demo_refuses_to_overwrite_without_force(runner, demo_store_copy):
    r = runner.invoke(main, ["--db", demo_store_copy.url, "demo"])
    assert r.exit_code == 1 and "--force" in r.output


def test_nothing_to_analyse_or_export_exits_2(runner, tmp_path):
    """Exit status 2 for every 'bad input or nothing to work on' case (issue 17)."""
    db = ["--db", f"sqlite:///{tmp_path/'e.sqlite'}"]
    r = runner.invoke(main, db + ["analyse"])
    assert r.exit_code == 2 and "no LSOA areas" in r.output
    r = runner.invoke(main, db + ["export", "areas", "-o", str(tmp_path / "a.csv")])
    assert r.exit_code == 2 and "no areas" in r.output
    r = runner.invoke(main, db + ["area", "E06000017", str(tmp_path / "nothing-here")])
    assert r.exit_code == 2 and "no such file" in r.output
