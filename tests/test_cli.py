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


def test_nothing_to_analyse_or_export_exits_2(runner, tmp_path):
    """Exit status 2 for every 'bad input or nothing to work on' case (issue 17)."""
    from assetmap.store import Store
    Store(f"sqlite:///{tmp_path/'e.sqlite'}").dispose()     # an empty store: nothing in it
    db = ["--db", f"sqlite:///{tmp_path/'e.sqlite'}"]
    r = runner.invoke(main, db + ["analyse"])
    assert r.exit_code == 2 and "no LSOA areas" in r.output
    r = runner.invoke(main, db + ["export", "areas", "-o", str(tmp_path / "a.csv")])
    assert r.exit_code == 2 and "no areas" in r.output
    r = runner.invoke(main, db + ["area", "E06000017", str(tmp_path / "nothing-here")])
    assert r.exit_code == 2 and "no such file" in r.output

# --- every error a message with the documented exit status (issue 14) ----------------------------
def test_version(runner):
    from assetmap import __version__
    r = runner.invoke(main, ["--version"])
    assert r.exit_code == 0 and r.output.strip() == f"assetmap {__version__}"


def _no_traceback(r, status):
    assert r.exit_code == status, (r.exit_code, r.output)
    assert "Traceback" not in r.output and r.output.startswith("Error: "), r.output
    assert not isinstance(r.exception, Exception) or isinstance(r.exception, SystemExit)


def test_bad_db_urls_are_exit_2(runner, tmp_path):
    for url in ("nonsense", "nonsense://", "mysql://u@h/db"):
        r = runner.invoke(main, ["--db", url, "info"])
        _no_traceback(r, 2)
    _no_traceback(runner.invoke(main, ["--db", "postgresql+psycopg://u@127.0.0.1:1/db",
                                       "info"]), 1)


def test_bad_analysis_parameters_are_exit_2(runner, store):
    for item, word in (("permutations=abc", "must be a number"),
                       ("permutations=2.5", "whole number"),
                       ("need_weights=3", "must be a mapping"),
                       ("nosuch=1", "unknown analysis parameter"), ("permutations", "NAME=")):
        r = runner.invoke(main, ["--db", store.url, "analyse", "-p", item])
        _no_traceback(r, 2)
        assert word in r.output, (item, r.output)


def test_an_unexpected_error_is_one_line_exit_1(runner, store, monkeypatch):
    from assetmap.store import Store
    def boom(self):
        raise ZeroDivisionError("division by zero")
    monkeypatch.setattr(Store, "counts", boom)
    r = runner.invoke(main, ["--db", store.url, "info"])
    _no_traceback(r, 1)
    assert "unexpected ZeroDivisionError" in r.output


def test_export_of_a_missing_store_makes_nothing(runner, tmp_path):
    r = runner.invoke(main, ["--db", f"sqlite:///{tmp_path / 'x.sqlite'}", "export", "areas",
                             "-o", str(tmp_path / "a.csv")])
    _no_traceback(r, 2)
    assert not (tmp_path / "x.sqlite").exists() and not (tmp_path / "a.csv").exists()


def test_console_script_keeps_exit_status_and_skips_the_last_collection(tmp_path):
    """``run`` (the console script) exits as ``main`` does and leaves the objects frozen,
    so the interpreter's last collection does not walk them."""
    import subprocess
    import sys
    code = ("import atexit, gc, sys; atexit.register(lambda: print('frozen', "
            "gc.get_freeze_count() > 0)); sys.argv = ['assetmap', '--db', sys.argv[1], "
            "'info']; from assetmap.cli import run; run()")
    r = subprocess.run([sys.executable, "-c", code, f"sqlite:///{tmp_path / 'none.sqlite'}"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "no AssetMap store at" in r.stderr, r.stderr
    assert r.stdout.strip() == "frozen True"
