"""Shared fixtures: stores, the demo borough (built and analysed once, cached across sessions
in pytest's cache folder), the app, a client, a CLI runner, and where the real data lives."""
from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import time
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


# --- the demo borough, built and analysed once, cached across sessions ------------------------
#: Bump to throw away every cached demo store (e.g. after changing how they are made).
DEMO_CACHE_FORMAT = 1
#: What the built demo depends on, below assetmap/ (the analysed one: all of assetmap/).
DEMO_BUILD_SOURCES = ("demo", "store", "store.py", "model.py", "settings.py", "errors.py",
                      "focus.py")
#: Libraries whose versions change the demo or the analysis (part of every cache key).
DEMO_LIBRARIES = ("numpy", "scipy", "pandas", "shapely", "pyproj", "geopandas", "sqlalchemy",
                  "pyarrow", "networkx", "osmium")


def _sources_digest(parts) -> str:
    """sha256 of the .py files (relative path and content) of ``parts`` of the imported
    assetmap package (files or folders; missing ones are skipped)."""
    import assetmap
    pkg = Path(assetmap.__file__).resolve().parent
    h = hashlib.sha256()
    for part in parts:
        p = pkg / part
        files = sorted(p.rglob("*.py")) if p.is_dir() else [p] if p.is_file() else []
        for f in files:
            h.update(f.relative_to(pkg).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def _environment() -> str:
    """Python, library, GEOS and PROJ versions (and the cache format), one a line."""
    from importlib import metadata
    out = [sys.version, f"format {DEMO_CACHE_FORMAT}"]
    for name in DEMO_LIBRARIES:
        try:
            out.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(f"{name} -")
    import pyproj
    import shapely
    out += [f"geos {shapely.geos_version_string}", f"proj {pyproj.proj_version_str}"]
    return "\n".join(out)


def _demo_keys(seed: int) -> dict[str, str]:
    env = _environment()
    # the build day too: the demo's vacancy dates count back from it (assetmap.demo.reach)
    day = time.strftime("%Y-%m-%d", time.gmtime())
    built = hashlib.sha256(f"{seed}\n{day}\n{env}\n{_sources_digest(DEMO_BUILD_SOURCES)}"
                           .encode())
    analysed = hashlib.sha256(f"{built.hexdigest()}\n{_sources_digest(['.'])}".encode())
    return {"built": built.hexdigest()[:20], "analysed": analysed.hexdigest()[:20]}


class DemoCache:
    """The demo borough as built (``built``) and built then analysed with ``pipeline.run``
    (``analysed``), each a folder holding ``demo.sqlite`` (and the analysed one the compiled
    walking graph in ``cache/``, where the pipeline puts it).

    The folders live in pytest's cache (``.pytest_cache/d/assetmap-demo``), so a second
    session reuses them; with ``-p no:cacheprovider`` in a session temporary folder. Keys:
    the demo seed, the build day, the library versions and the sources (``built``: the demo
    package and what it writes through, see :data:`DEMO_BUILD_SOURCES`; ``analysed``: all of
    assetmap/), so a change to any of them makes a new folder (old ones are deleted). Each
    folder is made in a temporary folder and renamed into place, so an interrupted session
    leaves nothing half made. Tests never open these files: :meth:`copy` hands out copies."""

    def __init__(self, root: Path, seed: int):
        self.root, self.seed = root, seed
        self.keys = _demo_keys(seed)
        for tmp in root.glob("tmp-*"):         # left by sessions killed an hour ago or more
            if time.time() - tmp.stat().st_mtime > 3600:
                shutil.rmtree(tmp, ignore_errors=True)

    def folder(self, kind: str) -> Path:
        """The folder of ``kind`` ('built' or 'analysed'), made first if missing."""
        final = self.root / f"{kind}-{self.keys[kind]}"
        if not (final / "demo.sqlite").exists():
            self._make(kind, final)
        return final

    def _make(self, kind: str, final: Path) -> None:
        from assetmap.store import Store
        tmp = Path(tempfile.mkdtemp(prefix=f"tmp-{kind}-", dir=self.root))
        try:
            if kind == "built":
                from assetmap import demo
                s = Store(f"sqlite:///{tmp / 'demo.sqlite'}")
                demo.build_into(s, seed=self.seed)
            else:
                from assetmap import pipeline
                shutil.copy(self.folder("built") / "demo.sqlite", tmp / "demo.sqlite")
                s = Store(f"sqlite:///{tmp / 'demo.sqlite'}")
                pipeline.run(s)                 # the graph cache goes to tmp / "cache"
            s.dispose()
            for old in self.root.glob(f"{kind}-*"):    # other keys, or this one half gone
                shutil.rmtree(old, ignore_errors=True)
            try:
                os.replace(tmp, final)
            except OSError:                     # another session got there first
                if not (final / "demo.sqlite").exists():
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def copy(self, dst: Path, *, analysed: bool = True, graph_cache: bool = False):
        """A Store on a private copy (at ``dst``) of the analysed (or only built) demo; with
        ``graph_cache`` also a copy of its compiled walking graph next to it."""
        from assetmap.store import Store
        src = self.folder("analysed" if analysed else "built")
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src / "demo.sqlite", dst)
        if graph_cache and (src / "cache").is_dir():
            shutil.copytree(src / "cache", dst.parent / "cache", dirs_exist_ok=True)
        return Store(f"sqlite:///{dst}")


@pytest.fixture(scope="session")
def demo_cache(request, tmp_path_factory) -> DemoCache:
    """The session's :class:`DemoCache` (skips if there is no assetmap.demo)."""
    pytest.importorskip("assetmap.demo")
    from assetmap import settings
    cache = getattr(request.config, "cache", None)       # None with -p no:cacheprovider
    root = cache.mkdir("assetmap-demo") if cache is not None else \
        tmp_path_factory.mktemp("assetmap-demo")
    return DemoCache(Path(root), settings.DEMO_SEED)


@pytest.fixture(scope="session")
def demo_copy(demo_cache, tmp_path_factory):
    """Factory: ``demo_copy(analysed=True)`` -> a Store on a fresh private copy of the cached
    demo (analysed, or only built), in its own temporary folder. The caller disposes it."""
    def make(analysed: bool = True, graph_cache: bool = False):
        d = tmp_path_factory.mktemp("demo")
        return demo_cache.copy(d / "demo.sqlite", analysed=analysed, graph_cache=graph_cache)
    return make


@pytest.fixture(scope="session")
def demo_db_file(demo_cache, tmp_path_factory):
    """A SQLite file holding the analysed demo borough (seed from settings), a session copy
    of the cached one with its compiled walking graph next to it (so ``demo_store`` reads
    the graph as it did when the session built it). Tests that change data copy it first
    (see ``demo_store_copy``)."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    s = demo_cache.copy(path, graph_cache=True)
    try:
        from assetmap import pipeline
        pipeline.load_graph(s)        # into this process's memory, as a session build did
    finally:
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
    from browserhelp import offline_page
    pg = offline_page(browser)
    pg.screenshot_dir = tmp_path
    yield pg
    pg.context.close()


# --- web app on a tiny synthetic borough (tests/webmini.py; issue 5) ------------------------
@pytest.fixture(scope="session")
def web_db_file(tmp_path_factory):
    """A SQLite file holding the tiny web-test borough (with a script-like name in it)."""
    from assetmap.store import Store

    import webmini
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


@pytest.fixture(scope="module")
def ctx(demo_store):
    """The outreach context of the analysed demo borough."""
    from assetmap import outreach
    return outreach.context(demo_store)


# --- street networks against osmnx (the reference reader) -------------------------------------
@pytest.fixture(scope="session")
def osmnx_streets(demo_copy, tmp_path_factory):
    """Factory: ``osmnx_streets(name, mode)`` -> (the OSM file the reader reads, osmnx's
    ``mode`` graph of it, see ``netref.osmnx_mode``) for "demo" (the demo borough's stored
    file) and "rutland" (``../shared/realdata/osm-rutland``; skips where absent). osmnx
    parses each file once a session (Rutland's highway ways only: all either mode keeps)."""
    import netref
    folder = tmp_path_factory.mktemp("osm-reference")
    parsed: dict = {}

    def get(name: str, mode: str):
        if name not in parsed:
            if name == "demo":
                s = demo_copy(analysed=False)
                path = folder / "demo.osm"
                path.write_bytes(s.get_blob("osm")[0])
                s.dispose()
                xml = str(path)
            else:
                base = REALDATA / "osm-rutland"
                if not (base / "rutland-latest.osm.pbf").exists():
                    pytest.skip("../shared/realdata/osm-rutland absent")
                path = base / "rutland-latest.osm.bz2"
                xml = netref.highway_extract(base / "rutland-latest.osm.pbf",
                                             folder / "rutland-highways.osm")
            parsed[name] = (path, netref.osmnx_parse(xml), {})
        path, raw, modes = parsed[name]
        if mode not in modes:
            modes[mode] = netref.osmnx_mode(raw, mode)
        return path, modes[mode]
    return get


# --- referrals (issue 11) -----------------------------------------------------------------------
class _Inbox:
    """Messages a local SMTP server received: a list of email.message.EmailMessage."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        import email
        from email import policy
        self.messages.append(email.message_from_bytes(envelope.original_content,
                                                      policy=policy.default))
        return "250 OK"

    def wait(self, n: int, timeout: float = 10.0):
        import time
        end = time.monotonic() + timeout
        while len(self.messages) < n and time.monotonic() < end:
            time.sleep(0.05)
        return self.messages


@pytest.fixture
def smtp_server():
    """A local SMTP server (aiosmtpd) on a loopback port: yields (host, port, inbox)."""
    controller_mod = pytest.importorskip("aiosmtpd.controller")
    inbox = _Inbox()
    port = _free_port()
    controller = controller_mod.Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield "127.0.0.1", port, inbox
    controller.stop()


#: Referrers in the referral tests' store (besides CONTRIB_USERS): name -> password. One
#: has an email address as user name (answers are emailed to it when SMTP is set up).
REFERRERS = {"rita": "referrer-pass-4471", "rob": "referrer-pass-8823",
             "sam@council.example": "referrer-pass-6154"}


@pytest.fixture(scope="session")
def referral_db_file(contrib_db_file, tmp_path_factory):
    """The contribution tests' store plus three referrers."""
    from assetmap import accounts
    from assetmap.store import Store
    path = tmp_path_factory.mktemp("referrals") / "referrals.sqlite"
    shutil.copy(contrib_db_file, path)
    s = Store(f"sqlite:///{path}")
    for name, password in REFERRERS.items():
        s.add_user(name, "referrer", accounts.hash_password(password))
    s.dispose()
    return path


@pytest.fixture
def referral_app(referral_db_file, tmp_path):
    """The app on a private copy of ``referral_db_file`` (CSRF on, refresh off, notices sent
    in the request so tests can wait for them)."""
    import webmini
    dst = tmp_path / "referrals.sqlite"
    shutil.copy(referral_db_file, dst)
    return _make_app(f"sqlite:///{dst}", tmp_path, ANALYSIS_LOADER=webmini.analysis_frames,
                     ANALYSIS_REFRESH="off", NOTICES_BACKGROUND=False)


@pytest.fixture
def referral_client(referral_app):
    """Factory: ``referral_client()`` anonymous, ``referral_client("rita")`` signed in (any
    referrer or contribution-test user)."""
    def make(name=None):
        fc = FormClient(referral_app)
        if name is None:
            return fc
        return fc.login(name, REFERRERS.get(name) or CONTRIB_USERS[name][1])
    return make


# --- synthetic England (issue 15): a few real local authorities, small ----------------------
REALDATA = Path(os.environ.get("ASSETMAP_REALDATA", "/work/shared/realdata"))
#: Rutland, Melton and Harborough: 3 local authorities (tiles), about 100 LSOAs.
SYNTHETIC_LAS = ("E06000017", "E07000133", "E07000131")


@pytest.fixture(scope="session")
def synthetic_england(tmp_path_factory):
    """(the generated England of three local authorities, about 60k street nodes; the
    folder holding its store ``england.sqlite`` and its ``.osm.pbf``)."""
    from assetmap.demo import synthetic_england as se
    if not se.available(REALDATA):
        pytest.skip(f"the real LSOA files are not in {REALDATA}")
    d = tmp_path_factory.mktemp("synthetic-england")
    eng = se.generate(REALDATA, 60_000, 1, las=SYNTHETIC_LAS)
    from assetmap.store import Store
    s = Store(f"sqlite:///{d / 'england.sqlite'}")
    se.build_into(s, eng, d / "england.osm.pbf")
    s.dispose()
    return eng, d


@pytest.fixture
def synthetic_store(synthetic_england, tmp_path):
    """A private, writable copy of the synthetic England store."""
    from assetmap.store import Store
    dst = tmp_path / "england.sqlite"
    shutil.copy(synthetic_england[1] / "england.sqlite", dst)
    s = Store(f"sqlite:///{dst}")
    yield s
    s.dispose()
