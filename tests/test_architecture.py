"""Imports point one way (DESIGN.md): analysis never imports Flask or folium, layers never
touch the database, only the app and views import Flask."""
import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "assetmap"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:  # relative: keep the first component inside the package
                names.add("." + mod.split(".")[0] if mod else ".")
                names |= {"." + a.name for a in node.names} if not mod else set()
            else:
                names.add(mod.split(".")[0])
    return names


def _modules(*parts):
    for part in parts:
        p = PKG / part
        yield from (sorted(p.rglob("*.py")) if p.is_dir() else [p] if p.exists() else [])


@pytest.mark.parametrize("path", list(_modules("analysis", "pipeline.py", "model.py",
                                               "store.py", "settings.py", "errors.py", "io",
                                               "outreach.py")), ids=str)
def test_no_web_imports_below_rendering(path):
    bad = _imports(path) & {"flask", "folium", "branca"}
    assert not bad, f"{path.name} imports {bad}"


@pytest.mark.parametrize("path", list(_modules("layers", "maps.py")), ids=str)
def test_layers_do_not_touch_database_or_flask(path):
    names = _imports(path)
    assert not names & {"flask", "sqlalchemy", ".store", "psycopg"}, f"{path.name}: {names}"


def test_only_app_and_views_import_flask():
    allowed = {PKG / "app.py", PKG / "auth.py"} | set((PKG / "views").rglob("*.py"))
    offenders = [p.name for p in PKG.rglob("*.py") if p not in allowed and "flask" in _imports(p)
                 and p.name != "cli.py"]
    assert not offenders
