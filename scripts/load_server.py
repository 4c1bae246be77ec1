#!/usr/bin/env python
"""One AssetMap server process for ``scripts/load_contribute.py --processes N``.

What ``assetmap serve`` does (the app under waitress, the walking graph prepared first), with
the run's config given the way ``load_contribute.py`` gives it to its in-process app (the
same ``create_app`` keys), taken from the environment so no secret is on a command line:

    ASSETMAP_DB                     the store's SQLAlchemy URL (shared by every process)
    ASSETMAP_INSTANCE               the instance folder
    ASSETMAP_LOAD_SECRET_KEY        SECRET_KEY (the same in every process, so a session or
                                    CSRF token from one process holds on the others)
    ASSETMAP_LOAD_SUBMISSION_LIMIT  SUBMISSION_LIMIT (every contributor is 127.0.0.1)
    ASSETMAP_ANALYSIS_REFRESH       ANALYSIS_REFRESH (background | sync | off)

    python scripts/load_server.py --port P [--threads 16] [--connection-limit 150]
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def config_from_env() -> dict:
    """The create_app config of one load-test server process, from the environment."""
    from assetmap import settings
    env = os.environ
    cfg = {"DATABASE": env["ASSETMAP_DB"],
           "INSTANCE_PATH": env.get("ASSETMAP_INSTANCE") or str(settings.INSTANCE_DIR),
           "ANALYSIS_REFRESH": env.get("ASSETMAP_ANALYSIS_REFRESH", settings.ANALYSIS_REFRESH)}
    if env.get("ASSETMAP_LOAD_SECRET_KEY"):
        cfg["SECRET_KEY"] = env["ASSETMAP_LOAD_SECRET_KEY"]
    if env.get("ASSETMAP_LOAD_SUBMISSION_LIMIT"):
        cfg["SUBMISSION_LIMIT"] = int(env["ASSETMAP_LOAD_SUBMISSION_LIMIT"])
    return cfg


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--connection-limit", type=int, default=150)
    args = ap.parse_args(argv)

    import logging

    import waitress

    from assetmap.app import create_app
    from assetmap.cli import prepare_walk_graph
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s "
                                                   "%(message)s")
    app = create_app(config_from_env())
    prepare_walk_graph(app)
    print(f"load server pid {os.getpid()} at http://{args.host}:{args.port}/", flush=True)
    waitress.serve(app, host=args.host, port=args.port, threads=args.threads,
                   connection_limit=args.connection_limit, ident="AssetMap")
    return 0


if __name__ == "__main__":
    sys.exit(main())
