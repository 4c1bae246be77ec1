"""The shape DESIGN.md asks for, checked on the source: imports point one way (settings,
errors -> model -> store, io -> analysis -> pipeline -> layers -> maps -> app/views/cli), no
SQL outside ``store/``, no Flask outside the app and views, no folium outside the layers and
maps, views use no analysis internals, the Store's methods live inside its classes, broad
``except Exception`` only with a comment saying why, and modules and functions of a size a
newcomer can read (longer ones say why in a comment)."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "assetmap"
ALL = sorted(PKG.rglob("*.py"))

#: Each room's rank: a module may import only rooms of its own rank or lower.
RANKS = {
    "settings": 0, "errors": 0, "__init__": 0,
    "model": 1, "results": 1, "privacy": 1, "catalogue": 0, "referrals": 1,
    "focus": 0, "trust": 1, "projection": 0,
    "store": 2, "io": 2, "accounts": 2,
    "analysis": 3,
    "pipeline": 4, "demo": 4, "scale": 4, "method": 4,
    "community": 5, "outreach": 5,
    "layers": 6, "maps": 7, "gapview": 6, "mapdata": 6,
    "app": 8, "views": 8, "cli": 8, "cli_db": 8, "cli_errors": 8, "cli_national": 8,
    "__main__": 8,
}
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60


def _room(path: Path) -> str:
    rel = path.relative_to(PKG)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _imported(path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports (relative imports resolved)."""
    pkg = ["assetmap", *path.relative_to(PKG).parts[:-1]]
    out = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg[:len(pkg) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.add(mod)
            out |= {f"{mod}.{a.name}" for a in node.names}
    return out


def _top(names) -> set[str]:
    return {n.split(".")[0] for n in names}


def _rooms(names) -> set[str]:
    """The rooms (top-level modules or packages of assetmap) that ``names`` come from; a
    name defined in assetmap/__init__.py (``__version__``) is the package's own."""
    rooms = {n.split(".")[1] for n in names if n.startswith("assetmap.")}
    return {r if (PKG / r).is_dir() or (PKG / f"{r}.py").exists() else "__init__"
            for r in rooms}


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(PKG)))
def test_imports_point_one_way(path):
    room = _room(path)
    assert room in RANKS, f"{room}: give this new room a rank in RANKS"
    higher = {r for r in _rooms(_imported(path)) if RANKS.get(r, 99) > RANKS[room]}
    assert not higher, f"{path.relative_to(PKG)} ({room}) imports from later rooms {higher}"


def test_no_sql_outside_the_store():
    bad = [str(p.relative_to(PKG)) for p in ALL if _room(p) != "store"
           and _top(_imported(p)) & {"sqlalchemy", "psycopg", "sqlite3", "alembic"}]
    assert not bad, f"SQL outside assetmap/store/: {bad}"


def test_flask_only_in_the_app_and_views():
    bad = [str(p.relative_to(PKG)) for p in ALL if _room(p) not in ("app", "views")
           and _top(_imported(p)) & {"flask", "flask_wtf", "werkzeug"}]
    assert not bad, f"Flask outside app/views: {bad}"


def test_folium_only_in_layers_and_maps():
    bad = [str(p.relative_to(PKG)) for p in ALL if _room(p) not in ("layers", "maps")
           and _top(_imported(p)) & {"folium", "branca"}]
    assert not bad, f"folium outside layers/maps: {bad}"


def test_views_use_no_analysis_internals():
    bad = {str(p.relative_to(PKG)): sorted(n for n in _imported(p)
                                           if n.startswith("assetmap.analysis"))
           for p in ALL if _room(p) in ("views", "app")}
    assert not {k: v for k, v in bad.items() if v}, bad


def test_store_methods_live_inside_their_classes():
    for p in (PKG / "store").rglob("*.py"):
        for node in ast.walk(_tree(p)):
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    assert not (isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
                                and t.value.id == "Store"), f"{p.name}:{node.lineno}"


def test_broad_excepts_say_why():
    """``except Exception`` says why in a comment on its line (a re-raise included: a narrower
    except would usually do)."""
    bad = []
    for p in ALL:
        lines = p.read_text().splitlines()
        for node in ast.walk(_tree(p)):
            if isinstance(node, ast.ExceptHandler) and isinstance(node.type, ast.Name) \
                    and node.type.id in ("Exception", "BaseException"):
                if "#" not in lines[node.lineno - 1]:
                    bad.append(f"{p.relative_to(PKG)}:{node.lineno}")
    assert not bad, bad


def _says_why(lines: list[str], start: int, end: int) -> bool:
    return any("long because" in ln or "size:" in ln for ln in lines[start - 1:end])


def test_modules_and_functions_a_newcomer_can_read():
    bad = []
    for p in ALL:
        lines = p.read_text().splitlines()
        if len(lines) > MAX_MODULE_LINES and not _says_why(lines, 1, 40):
            bad.append(f"{p.relative_to(PKG)}: {len(lines)} lines")
        for node in ast.walk(_tree(p)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES and not _says_why(lines, node.lineno,
                                                            node.lineno + 3):
                    bad.append(f"{p.relative_to(PKG)}:{node.lineno} {node.name}: {n} lines")
    assert not bad, "\n".join(bad)


def test_pipeline_imports_no_web_stack():
    code = ("import sys, assetmap.pipeline; "
            "bad = [m for m in ('flask', 'folium', 'branca') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
