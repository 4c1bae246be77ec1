"""Build AssetMap's wheel, with its templates, static files, vendored map libraries and demo
boundaries inside (setup.py maps ``web/`` and ``data/boundaries/`` in), and check it.

    python scripts/build_wheel.py [-o DIST] [--isolated]

The map libraries are npm packages (git-ignored): ``scripts/_setup.sh`` installs them with
``npm ci`` in ``web/static/vendor``; without them the build stops and says so. The build
runs on a clean copy of the source in a temporary folder, so nothing stale from an earlier
``build/`` folder gets in and the checkout is left as it was. By default it uses the
setuptools and wheel of the running Python (no download; ``--isolated`` lets pip fetch the
build requirements of pyproject.toml instead). Prints the wheel's path.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = Path("web/static/vendor/node_modules")
#: Left out of the copy the wheel is built from.
IGNORE = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "instance", ".venv",
                                ".pytest_cache", "__pycache__", "node_modules", "*.sqlite*")
#: What a working wheel must hold (a check after the build).
REQUIRED = ("assetmap/_web/templates/base.html", "assetmap/_web/static/assetmap.css",
            "assetmap/_web/static/openapi.json",
            "assetmap/_web/static/vendor/node_modules/leaflet/dist/leaflet.js",
            "assetmap/_data/boundaries/demo_borough.geojson",
            "assetmap/store/migrations/env.py")


def source_copy(dest: Path) -> Path:
    """The source tree copied to ``dest/src`` with the vendored libraries linked in."""
    src = dest / "src"
    shutil.copytree(ROOT, src, ignore=IGNORE)
    vendor = (ROOT / VENDOR).resolve()
    if not vendor.is_dir():
        raise SystemExit(f"error: {ROOT / VENDOR} is missing: run `npm ci` in "
                         "web/static/vendor (scripts/_setup.sh does) before building a wheel")
    (src / VENDOR).symlink_to(vendor, target_is_directory=True)
    return src


def build(out: Path, *, isolated: bool = False) -> Path:
    """Build the wheel into ``out``; returns its path."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="assetmap-wheel-") as tmp:
        src = source_copy(Path(tmp))
        cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out)]
        if not isolated:
            cmd.append("--no-build-isolation")
        subprocess.run([*cmd, str(src)], check=True, cwd=tmp)
    wheels = sorted(out.glob("assetmap-*.whl"), key=lambda p: p.stat().st_mtime)
    if not wheels:
        raise SystemExit("error: pip made no wheel")
    check(wheels[-1])
    return wheels[-1]


def check(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [n for n in REQUIRED if n not in names]
    if missing:
        raise SystemExit(f"error: {wheel.name} lacks {', '.join(missing)}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--out", default=str(ROOT / "dist"), help="folder for the wheel")
    ap.add_argument("--isolated", action="store_true",
                    help="let pip install the build requirements in an isolated environment")
    args = ap.parse_args(argv)
    print(build(Path(args.out), isolated=args.isolated))


if __name__ == "__main__":
    main()
