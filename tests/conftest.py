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


# --- browser tests ------------------------------------------------------------------------
CHROMIUM = os.environ.get("ASSETMAP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(app):
    """The app served by waitress on a loopback port in a background thread; yields base URL."""
    import threading
    from waitress.server import create_server
    port = _free_port()
    server = create_server(app, host="127.0.0.1", port=port, threads=4)
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{port}"
    server.close()


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, tmp_path):
    """A fresh browser page that records JavaScript errors in ``page.js_errors``; tiles are
    blocked (tests run offline)."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    pg = context.new_page()
    pg.js_errors = []
    pg.on("pageerror", lambda e: pg.js_errors.append(str(e)))
    pg.route("**/*", lambda route: route.abort()
             if not route.request.url.startswith("http://127.0.0.1") else route.continue_())
    pg.screenshot_dir = tmp_path
    yield pg
    context.close()


# --- web app on a tiny synthetic borough (tests/webmini.py; issue 5) ------------------------
@pytest.fixture(scope="session")
def web_db_file(tmp_path_factory):
    """A SQLite file holding the tiny web-test borough (with a script-like name in it)."""
    import webmini
    from assetmap.store import Store
    path = tmp_path_factory.mktemp("webmini") / "mini.sqlite"
    s = Store(f"sqlite:///{path}")
    webmini.build(s)
    s.dispose()
    return path


@pytest.fixture(scope="session")
def web_app(web_db_file, tmp_path_factory):
    """The app on the tiny borough (read-only by convention, session-wide so page and map
    caches are shared), with analysis-like results injected (no analysis is run)."""
    import webmini
    return _make_app(f"sqlite:///{web_db_file}", tmp_path_factory.mktemp("webapp"),
                     ANALYSIS_LOADER=webmini.analysis_frames)


@pytest.fixture
def web_client(web_app):
    return web_app.test_client()


@pytest.fixture
def web_live_server(web_app):
    """``web_app`` served by waitress on a loopback port; yields the base URL."""
    import threading
    from waitress.server import create_server
    server = create_server(web_app, host="127.0.0.1", port=_free_port(), threads=4)
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


# --- contributions, moderation and accounts (issue 6) ------------------------------------------
#: Users in the contribution tests' store: name -> (role, password).
CONTRIB_USERS = {"pat": ("planner", "planner-pass-9183"), "pia": ("planner", "planner-pass-2277"),
                 "cora": ("coordinator", "coord-pass-5521"),
                 "connie": ("contributor", "contrib-pass-7402")}


@pytest.fixture(scope="session")
def contrib_db_file(web_db_file, tmp_path_factory):
    """The tiny web borough plus planner, coordinator and contributor accounts."""
    from assetmap import accounts
    from assetmap.store import Store
    path = tmp_path_factory.mktemp("contrib") / "contrib.sqlite"
    shutil.copy(web_db_file, path)
    s = Store(f"sqlite:///{path}")
    for name, (role, password) in CONTRIB_USERS.items():
        s.add_user(name, role, accounts.hash_password(password))
    s.dispose()
    return path


@pytest.fixture
def contrib_app(contrib_db_file, tmp_path):
    """The app on a private copy of ``contrib_db_file``; CSRF on (the default); the analysis
    refresh after approvals off unless a test turns it on (``ANALYSIS_REFRESH``)."""
    import webmini
    dst = tmp_path / "contrib.sqlite"
    shutil.copy(contrib_db_file, dst)
    return _make_app(f"sqlite:///{dst}", tmp_path, ANALYSIS_LOADER=webmini.analysis_frames,
                     ANALYSIS_REFRESH="off")


class FormClient:
    """A Flask test client that fills in the CSRF token the way a browser form does."""

    TOKEN_RE = __import__("re").compile(r'name="csrf_token" value="([^"]+)"')

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self.token = None

    def get(self, url, **kw):
        r = self.client.get(url, **kw)
        m = self.TOKEN_RE.search(r.get_data(as_text=True))
        if m:
            self.token = m.group(1)
        return r

    def post(self, url, data=None, *, csrf=True, **kw):
        data = dict(data or {})
        if csrf:
            if self.token is None:
                self.get("/login")
            data.setdefault("csrf_token", self.token)
        return self.client.post(url, data=data, **kw)

    def login(self, name, password=None):
        password = password or CONTRIB_USERS[name][1]
        self.get("/login")
        r = self.post("/login", {"name": name, "password": password})
        assert r.status_code == 302, r.get_data(as_text=True)[:500]
        self.get("/account")
        return self


@pytest.fixture
def form_client(contrib_app):
    """Factory: ``form_client()`` anonymous, ``form_client("pat")`` signed in as pat."""
    def make(name=None):
        fc = FormClient(contrib_app)
        return fc.login(name) if name else fc
    return make


@pytest.fixture
def contrib_live_server(contrib_app):
    """``contrib_app`` served by waitress on a loopback port; yields the base URL."""
    import threading
    from waitress.server import create_server
    server = create_server(contrib_app, host="127.0.0.1", port=_free_port(), threads=6)
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
