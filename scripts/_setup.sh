# Shared by scripts/run and scripts/test: create or reuse .venv and install the project.
# Re-installs only when setup.cfg changes (a stamp file records its hash).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "Creating virtualenv in .venv ..."
  "$PY" -m venv .venv
fi
STAMP=.venv/.assetmap-installed
WANT="$(sha256sum setup.cfg pyproject.toml | sha256sum | cut -c1-16)-${ASSETMAP_EXTRAS:-test}"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  echo "Installing AssetMap and its dependencies into .venv ..."
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[${ASSETMAP_EXTRAS:-test}]"
  echo "$WANT" > "$STAMP"
fi
export PATH="$ROOT/.venv/bin:$PATH"
# Browser libraries for the maps (Leaflet and plugins) from the npm registry, served locally
# so maps work offline; reinstalled when the lock file changes.
VENDOR=web/static/vendor
if command -v npm >/dev/null 2>&1; then
  VSTAMP="$VENDOR/node_modules/.assetmap-stamp"
  VWANT="$(sha256sum "$VENDOR/package-lock.json" | cut -c1-16)"
  if [ ! -f "$VSTAMP" ] || [ "$(cat "$VSTAMP")" != "$VWANT" ]; then
    echo "Installing map libraries (npm) ..."
    (cd "$VENDOR" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
    echo "$VWANT" > "$VSTAMP"
  fi
else
  echo "warning: npm not found; maps will load Leaflet from public CDNs" >&2
fi
