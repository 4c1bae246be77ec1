"""Build hook: the metadata lives in setup.cfg; this file only maps the repository's
top-level ``web/`` (templates, static files, the vendored map libraries) and
``data/boundaries/`` into the wheel as package data, at build time.

In the repository they stay where the project's layout puts them (``web/``,
``data/boundaries/``); in a built wheel they are ``assetmap/_web/`` and
``assetmap/_data/boundaries/``, which ``assetmap.settings`` reads when it does not run from a
source checkout.

The map libraries (Leaflet and plugins) are npm packages, git-ignored, installed into
``web/static/vendor/node_modules`` by ``scripts/_setup.sh`` (``npm ci``). A wheel needs
them: building one without them stops with a message saying so (``scripts/wheel`` installs
them first, then builds). Only the files the pages use are shipped (:data:`VENDOR_FILES`),
about 3 MB instead of the 47 MB of the npm packages.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
VENDOR = "web/static/vendor/node_modules"
#: The vendored files the pages load (assetmap.maps.LOCAL_ASSETS), the files their
#: stylesheets point at (images, web fonts) and the licences, as globs under VENDOR.
VENDOR_FILES = (
    "leaflet/dist/leaflet.js", "leaflet/dist/leaflet.css", "leaflet/dist/images/*",
    "leaflet/LICENSE",
    "jquery/dist/jquery.min.js", "jquery/LICENSE.txt",
    "bootstrap/dist/js/bootstrap.bundle.min.js", "bootstrap/dist/css/bootstrap.min.css",
    "bootstrap/LICENSE",
    "@fortawesome/fontawesome-free/css/all.min.css", "@fortawesome/fontawesome-free/webfonts/*",
    "@fortawesome/fontawesome-free/LICENSE.txt",
    "drmonty-leaflet-awesome-markers/js/leaflet.awesome-markers.min.js",
    "drmonty-leaflet-awesome-markers/css/leaflet.awesome-markers.css",
    "drmonty-leaflet-awesome-markers/css/images/*",
    "leaflet.markercluster/dist/leaflet.markercluster.js",
    "leaflet.markercluster/dist/MarkerCluster.css",
    "leaflet.markercluster/dist/MarkerCluster.Default.css",
    "leaflet.markercluster/MIT-LICENCE.txt",
    "leaflet-draw/dist/leaflet.draw.js", "leaflet-draw/dist/leaflet.draw.css",
    "leaflet-draw/dist/images/*",
)
#: Source folder -> folder inside the package (every file below it, vendor files aside).
MAPPED = {"web/templates": "_web/templates", "web/static": "_web/static",
          "data/boundaries": "_data/boundaries"}


def _files(src: str) -> list[Path]:
    """Every file below ROOT/src, leaving out the npm folder (shipped by VENDOR_FILES)."""
    base = ROOT / src
    return sorted(p for p in base.rglob("*") if p.is_file()
                  and not p.relative_to(ROOT).as_posix().startswith(VENDOR))


def _vendor_files() -> list[Path]:
    """The shipped vendor files; every pattern must match (else the wheel's maps break)."""
    found, missing = [], []
    for pattern in VENDOR_FILES:
        hits = sorted(p for p in (ROOT / VENDOR).glob(pattern) if p.is_file())
        (found.extend(hits) if hits else missing.append(pattern))
    if missing:
        raise SystemExit(
            "error: the map libraries are not installed in " + VENDOR + " (missing: "
            + ", ".join(missing[:3]) + "). Run `npm ci` in web/static/vendor first, or "
            "build with scripts/wheel, which does.")
    return found


class build_py_with_web(build_py):
    """build_py, then copy web/ and data/boundaries/ into the built package."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return           # an editable install reads web/ and data/ from the checkout
        target = Path(self.build_lib) / "assetmap"
        for src, dst in MAPPED.items():
            for f in _files(src):
                self._copy(f, target / dst / f.relative_to(ROOT / src))
        for f in _vendor_files():
            self._copy(f, target / "_web/static/vendor/node_modules"
                       / f.relative_to(ROOT / VENDOR))

    @staticmethod
    def _copy(src: Path, dst: Path) -> None:
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)


setup(cmdclass={"build_py": build_py_with_web})
