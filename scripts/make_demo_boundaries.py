#!/usr/bin/env python
"""Regenerate data/boundaries/demo_borough.geojson from assetmap.demo.

Run after any change to assetmap/demo/ that moves the demo's areas; tests/test_demo.py
fails while the shipped file and ``demo.generate(settings.DEMO_SEED)`` disagree.

    python scripts/make_demo_boundaries.py [PATH]
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assetmap import demo  # noqa: E402


def main(argv: list[str]) -> int:
    path = demo.write_boundaries(argv[0] if argv else None)
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
