"""Shared fixtures: stores, the demo borough (built once per session), the app, a client,
a CLI runner, and where the real data lives."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REALDATA = Path(os.environ.get("ASSETMAP_REALDATA", ROOT.parent / "shared" / "realdata"))
PG_URL = os.environ.get("ASSETMAP_TEST_PG_URL")

needs_realdata = pytest.mark.skipif(not REALDATA.exists(), reason="../shared/realdata absent")


@pytest.fixture
def store(tmp_path):
    """An empty SQLite store in a temporary folder."""
    from assetmap.store import Store
    s = Store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    yield s
    s.dispose()


@pytest.fixture(scope="session")
def demo_db_file(tmp_path_factory):
    """A SQLite file holding the demo borough (seed from settings), built once per session.
    Tests that change data copy it first (see ``demo_store_copy``)."""
    demo = pytest.importorskip("assetmap.demo")
    from assetmap.store import Store
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    s = Store(f"sqlite:///{path}")
    demo.build_into(s)
    try:
        from assetmap import pipeline
        pipeline.run(s, cache_dir=str(path.parent / "cache")) if "cache_dir" in \
            pipeline.run.__code__.co_varnames else pipeline.run(s)
    except ImportError:
        pass
    s.dispose()
    return path


@pytest.fixture(scope="session")
def demo_store(demo_db_file):
    """The demo borough, read-only by convention (session-wide)."""
    from assetmap.store import Store
    s = Store(f"sqlite:///{demo_db_file}")
    yield s
    s.dispose()


@pytest.fixture
def demo_store_copy(demo_db_file, tmp_path):
    """A private, writable copy of the demo store."""
    from assetmap.store import Store
    dst = tmp_path / "demo.sqlite"
    shutil.copy(demo_db_file, dst)
    s = Store(f"sqlite:///{dst}")
    yield s
    s.dispose()


def _make_app(url, tmp_path, **extra):
    from assetmap.app import create_app
    cfg = {"TESTING": True, "DATABASE": url, "INSTANCE_PATH": str(tmp_path / "instance"),
           "SECRET_KEY": "test-secret"}
    cfg.update(extra)
    return create_app(cfg)


@pytest.fixture
def app(demo_store_copy, tmp_path):
    """The app on a private copy of the demo borough."""
    return _make_app(demo_store_copy.url, tmp_path)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def empty_app(store, tmp_path):
    return _make_app(store.url, tmp_path)


@pytest.fixture
def runner():
    from click.testing import CliRunner
    return CliRunner()
