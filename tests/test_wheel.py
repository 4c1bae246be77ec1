"""The wheel works anywhere (issue 14): built by scripts/build_wheel.py, installed with
``pip install --no-deps`` into a fresh virtualenv whose only other packages are the test
environment's own site-packages (added by a .pth file, so nothing is downloaded, and the
editable checkout is not on the path), run from a folder outside the repository with no
ASSETMAP_* settings: ``assetmap demo`` then ``assetmap serve``; every public HTML page, every
static file those pages load and every file their stylesheets point at answers 200; the
instance folder (store, secret key) is the per-user data folder, not site-packages.

About a minute (the demo build is most of it); skipped where the vendored map libraries
are not installed (scripts/_setup.sh installs them with npm)."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urljoin

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import build_wheel  # noqa: E402

pytestmark = [
    pytest.mark.wheel,
    pytest.mark.skipif(not (ROOT / build_wheel.VENDOR / "leaflet").is_dir(),
                       reason="map libraries not installed (npm ci in web/static/vendor)"),
]

#: Pages anyone may open (an area profile and its summary are added from the API).
PAGES = ["/", "/gaps", "/hotspots", "/areas", "/directory", "/referral", "/downloads",
         "/login", "/contribute", "/api/v1/", "/api/v1/openapi.json", "/healthz"]
STATIC_RE = re.compile(r'(?:src|href)="(/static/[^"?#]+)')
CSS_URL_RE = re.compile(r"url\((['\"]?)(?!data:)([^)'\"]+)\1\)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _venv(tmp: Path, wheel: Path, env: dict) -> Path:
    """A fresh virtualenv with the wheel installed; returns its ``bin`` folder."""
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q",
                    "--no-deps", "--no-index", str(wheel)], check=True, env=env, cwd=tmp)
    site = Path(subprocess.check_output(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        text=True).strip())
    # the test environment's libraries (geopandas...), after the venv's own site-packages
    (site / "zz_test_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin"


def _env(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("ASSETMAP_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(HOME=str(tmp / "home"), XDG_DATA_HOME=str(tmp / "xdg"),
               ASSETMAP_TILES="none", ASSETMAP_ANALYSIS_REFRESH="off")
    return env


def _get(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=120) as r:
            return r.status, r.read(), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers.get("Content-Type", "")


def _wait(base: str, proc: subprocess.Popen) -> None:
    for _ in range(600):
        if proc.poll() is not None:
            raise AssertionError(f"assetmap serve stopped: {proc.stdout.read()}")
        try:
            if _get(base + "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("assetmap serve did not answer")


def _statics(base: str, html: bytes) -> set[str]:
    return {urljoin(base, p) for p in STATIC_RE.findall(html.decode("utf-8", "replace"))}


def _css_refs(url: str, css: bytes) -> set[str]:
    return {urljoin(url, m[1]).split("?")[0].split("#")[0]
            for m in CSS_URL_RE.findall(css.decode("utf-8", "replace"))}


def _check_pages(base: str) -> tuple[set[str], list[str]]:
    import json
    code = json.loads(_get(base + "/api/v1/areas")[1])["features"][0]["properties"]["code"]
    statics, bad = set(), []
    for path in PAGES + [f"/areas/{code}", f"/areas/{code}/summary"]:
        status, body, kind = _get(base + path)
        if status != 200:
            bad.append(f"{path}: {status}")
        if kind.startswith("text/html"):
            statics |= _statics(base, body)
    return statics, bad


def _check_statics(statics: set[str]) -> tuple[int, list[str]]:
    seen, bad, todo = set(), [], sorted(statics)
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        status, body, _ = _get(url)
        if status != 200:
            bad.append(f"{url}: {status}")
        elif url.endswith(".css"):
            todo += sorted(_css_refs(url, body) - seen)
    return len(seen), bad


def test_the_wheel_serves_every_page_from_outside_the_repository(tmp_path):
    wheel = build_wheel.build(tmp_path / "dist")
    env, elsewhere = _env(tmp_path), tmp_path / "elsewhere"
    bin_dir = _venv(tmp_path, wheel, env)
    elsewhere.mkdir()
    where = subprocess.check_output(
        [str(bin_dir / "python"), "-c", "import assetmap, assetmap.settings as s; "
         "print(assetmap.__file__); print(s.INSTANCE_DIR); print(s.IN_CHECKOUT)"],
        text=True, env=env, cwd=elsewhere).split()
    assert where[0].startswith(str(tmp_path / "venv")), where
    assert where[1] == str(tmp_path / "xdg" / "assetmap") and where[2] == "False", where
    version = subprocess.run([str(bin_dir / "assetmap"), "--version"], env=env, cwd=elsewhere,
                             capture_output=True, text=True, check=True).stdout
    assert version.strip() == "assetmap 0.1.0"
    subprocess.run([str(bin_dir / "assetmap"), "demo"], env=env, cwd=elsewhere, check=True,
                   capture_output=True)
    port = _free_port()
    proc = subprocess.Popen([str(bin_dir / "assetmap"), "serve", "--port", str(port)],
                            env=env, cwd=elsewhere, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait(base, proc)
        statics, bad_pages = _check_pages(base)
        n, bad_statics = _check_statics(statics)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert not bad_pages and not bad_statics, bad_pages + bad_statics
    assert n >= 20 and any("/vendor/node_modules/leaflet/" in u for u in statics)
    instance = tmp_path / "xdg" / "assetmap"
    assert (instance / "assetmap.sqlite").is_file() and (instance / "secret_key").is_file()
    site = Path(where[0]).parents[1]
    assert not list(site.rglob("secret_key")) and not list(site.rglob("*.sqlite"))
