"""The ``assetmap`` command line (the contract in DESIGN.md).

Exit status: 0 success, 2 bad input (message on stderr), 1 anything else.
Store: ``--db URL`` or ``ASSETMAP_DB``; default a SQLite file in the instance folder.
"""
from __future__ import annotations

import json
import logging
import sys

import click

from . import settings
from .errors import AssetMapError, InputError

log = logging.getLogger("assetmap")


class Progress:
    """A progress bar on a terminal, plain log lines otherwise."""

    def __init__(self, label: str, total: int):
        self.label, self.total, self.done = label, total, 0
        self.tty = sys.stderr.isatty()
        self._bar = click.progressbar(length=total, label=label, file=sys.stderr) if self.tty else None
        if self._bar:
            self._bar.__enter__()

    def step(self, message: str, n: int = 1) -> None:
        self.done += n
        if self._bar:
            self._bar.update(n)
        else:
            click.echo(f"[{self.done}/{self.total}] {self.label}: {message}", err=True)

    def close(self) -> None:
        if self._bar:
            self._bar.__exit__(None, None, None)


def _store(ctx):
    from .store import Store
    obj = ctx.ensure_object(dict)
    if "store" not in obj:
        obj["store"] = Store(obj.get("db") or settings.default_db_url())
    return obj["store"]


class _Group(click.Group):
    """Turns AssetMap errors into the documented exit codes."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except InputError as e:
            click.echo(f"Error: {e}", err=True)
            ctx.exit(2)
        except AssetMapError as e:
            click.echo(f"Error: {e}", err=True)
            ctx.exit(1)


@click.group(cls=_Group)
@click.option("--db", envvar="ASSETMAP_DB", default=None,
              help="SQLAlchemy URL of the store (default: SQLite file in the instance folder).")
@click.option("-v", "--verbose", is_flag=True, help="Log more.")
@click.pass_context
def main(ctx, db, verbose):
    """AssetMap: community assets and micro-providers over JSNA needs data."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(levelname)s %(message)s")
    ctx.ensure_object(dict)["db"] = db


@main.command()
@click.option("--seed", type=int, default=settings.DEMO_SEED, show_default=True)
@click.option("--force", is_flag=True, help="Replace whatever the store holds.")
@click.pass_context
def demo(ctx, seed, force):
    """Build the embedded demo borough into the store."""
    from . import demo as demo_mod
    store = _store(ctx)
    if store.counts()["areas"] and not force:
        raise AssetMapError("the store already holds data; use --force to replace it")
    progress = Progress("Building demo borough", demo_mod.STEPS)
    try:
        summary = demo_mod.build_into(store, seed=seed, progress=progress.step)
    finally:
        progress.close()
    click.echo(f"Demo borough '{settings.DEMO_LA_NAME}' (seed {seed}) built: "
               + ", ".join(f"{k} {v}" for k, v in summary.items()))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def info(ctx, as_json):
    """What the store holds: counts per table and the data version."""
    store = _store(ctx)
    counts = store.counts()
    run = store.latest_run()
    data = {"db": _redact(store.url), "data_version": store.data_version(), "counts": counts,
            "latest_run": None if run is None else {k: run[k] for k in ("id", "created_at",
                                                                        "data_version")}}
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(f"Store: {data['db']}")
    click.echo(f"Data version: {data['data_version']}")
    for k, v in counts.items():
        click.echo(f"  {k:<18}{v:>8}")
    if run:
        click.echo(f"Latest analysis run: {run['id']} at {run['created_at']} "
                   f"(data version {run['data_version']})")


@main.command()
@click.option("--host", default=settings.HOST, show_default=True)
@click.option("--port", default=settings.PORT, type=int, show_default=True)
@click.option("--threads", default=8, type=int, show_default=True)
@click.pass_context
def serve(ctx, host, port, threads):
    """Serve the web app with waitress (a production WSGI server)."""
    import waitress
    from .app import create_app
    app = create_app({"DATABASE": ctx.obj.get("db") or settings.default_db_url()})
    click.echo(f"AssetMap is running at http://{host}:{port}/  (Ctrl+C to stop)")
    waitress.serve(app, host=host, port=port, threads=threads, ident="AssetMap")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the run's summary as JSON.")
@click.option("--slow", is_flag=True, help=f"Walk at {settings.SLOW_WALK_SPEED_KMH} km/h.")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=JSON",
              help="Override an analysis default, e.g. -p permutations=99 (repeatable).")
@click.pass_context
def analyse(ctx, as_json, slow, params):
    """Run the analysis on the store's data and store the results as a new run."""
    from . import pipeline
    overrides = {}
    for item in params:
        name, sep, raw = item.partition("=")
        if not sep:
            raise InputError(f"--param wants NAME=VALUE, not '{item}'", field="param")
        try:
            overrides[name.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            overrides[name.strip()] = raw
    if slow:
        overrides["slow_walk"] = True
    store = _store(ctx)
    progress = Progress("Analysing", pipeline.STEPS)
    try:
        result = pipeline.run(store, overrides, progress=progress.step)
    finally:
        progress.close()
    s = dict(result.summary, run_id=result.run_id, data_version=result.data_version)
    if as_json:
        click.echo(json.dumps(s, indent=2, default=str))
        return
    hs = s["hotspots"]
    click.echo(f"Analysis run {result.run_id} (data version {result.data_version}) in "
               f"{s['seconds']:.1f} s: {s['areas']} areas, {s['assets']} assets, "
               f"{s['providers']} providers, walking over the {s['router']}.")
    click.echo(f"  gaps (high need, low supply): {s['gaps']}; top: {', '.join(s['top_gaps'][:5])}")
    click.echo(f"  isolation hotspots: {hs['hot']} hot, {hs['cold']} cold; local Moran HH "
               f"{hs['HH']}, LL {hs['LL']}, HL {hs['HL']}, LH {hs['LH']}")
    if s["missing_indicators"]:
        click.echo("  default indicators not in the data (weights re-normalised): "
                   + ", ".join(s["missing_indicators"]))


@main.group("import")
def import_group():
    """Load a real area: boundaries, indicators, OSM, assets, postcodes, CQC, Open Referral."""


@main.group()
def users():
    """Manage user accounts."""


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


if __name__ == "__main__":  # pragma: no cover
    main()
