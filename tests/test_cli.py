import json

from assetmap.cli import main


def test_info_on_empty_store(runner, store):
    r = runner.invoke(main, ["--db", store.url, "info", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["counts"]["areas"] == 0 and data["data_version"] == 0


def test_info_never_makes_a_store(runner, tmp_path):
    """(issue 14: it used to create an empty store, and the folder, and exit 0)"""
    for path in (tmp_path / "s.sqlite", tmp_path / "no" / "such" / "s.sqlite"):
        r = runner.invoke(main, ["--db", f"sqlite:///{path}", "info"])
        assert r.exit_code == 2 and "no AssetMap store at" in r.output, r.output
        assert not path.exists() and not (tmp_path / "no").exists()


def test_db_from_environment(runner, store):
    r = runner.invoke(main, ["info"], env={"ASSETMAP_DB": store.url})
    assert r.exit_code == 0 and store.url.split("///")[1] in r.output


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
