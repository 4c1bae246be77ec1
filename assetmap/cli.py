"""The ``assetmap`` command line (the contract in DESIGN.md).

Exit status: 0 success; 2 bad input or nothing to work on (a bad option value, file, URL,
a store this version cannot use, an empty store to analyse, no analysis run to export),
message on stderr; 1 anything else (``backup`` and ``restore`` document theirs). Every error
is one message on stderr, never a traceback (``-v`` adds the traceback of an unexpected one).
Store: ``--db URL`` or ``ASSETMAP_DB``; default a SQLite file in the instance folder.

size: over 500 lines because the whole command-line contract is one click group in one
module (DESIGN.md: ``cli.py``); each command is a thin call into the room that does the work.
"""
from __future__ import annotations

import gc
import json
import logging
import sys

import click

from . import __version__, settings
from .cli_errors import ErrorsToExitStatus
from .errors import AssetMapError, InputError

log = logging.getLogger("assetmap")


class Progress:
    """A progress bar on a terminal, plain log lines otherwise."""

    def __init__(self, label: str, total: int):
        self.label, self.total, self.done = label, total, 0
        self.tty = sys.stderr.isatty()
        self._bar = (click.progressbar(length=total, label=label, file=sys.stderr)
                     if self.tty else None)
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


def _store(ctx, *, create: bool = True):
    """The store named by ``--db`` (opened once per command). ``create`` False: commands that
    only read refuse a missing store instead of making an empty one."""
    from .store import Store
    obj = ctx.ensure_object(dict)
    if "store" not in obj:
        obj["store"] = Store(obj.get("db") or settings.default_db_url(), create=create)
    return obj["store"]


@click.group(cls=ErrorsToExitStatus)
@click.version_option(__version__, "--version", prog_name="assetmap",
                      message="%(prog)s %(version)s")
@click.option("--db", envvar="ASSETMAP_DB", default=None,
              help="SQLAlchemy URL of the store (default: SQLite file in the instance folder).")
@click.option("-v", "--verbose", is_flag=True, help="Log more.")
@click.pass_context
def main(ctx, db, verbose):
    """AssetMap: community assets and micro-providers over JSNA needs data."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(levelname)s %(message)s")
    ctx.ensure_object(dict).update(db=db, verbose=verbose)


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
    """What the store holds: counts per table and the data version (never creates one)."""
    store = _store(ctx, create=False)
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
    db = ctx.obj.get("db")
    app = create_app({"DATABASE": db} if db else None)
    prepare_walk_graph(app)
    click.echo(f"AssetMap is running at http://{host}:{port}/  (Ctrl+C to stop)")
    waitress.serve(app, host=host, port=port, threads=threads, ident="AssetMap")


def prepare_walk_graph(app) -> str | None:
    """Compile (or load from the cache) the walking graph before serving, so no request
    pays for it. A stored network that cannot be used (damaged, a bomb stored before the
    import limits, no walkable street) must not stop the app: it is logged as a warning,
    kept in ``app.config["STREET_NETWORK_WARNING"]`` for the pages, and returned."""
    from . import pipeline
    store = app.extensions["assetmap_store"]
    if not store.blob_hash("osm"):
        return None
    click.echo("Preparing the walking graph ...", err=True)
    try:
        pipeline.load_graph(store)
        return None
    except Exception as e:  # noqa: BLE001 - whatever the failure, the app must start
        msg = (f"the stored street network cannot be used ({e}); walking times are "
               "straight-line estimates until a valid OSM extract is imported "
               "(assetmap import osm FILE)")
    log.warning(msg)
    click.echo(f"Warning: {msg}", err=True)
    app.config["STREET_NETWORK_WARNING"] = msg
    return msg


def parse_params(params) -> dict:
    """``--param NAME=JSON`` options as a dict (a value that is not JSON kept as text)."""
    overrides = {}
    for item in params:
        name, sep, raw = item.partition("=")
        if not sep:
            raise InputError(f"--param wants NAME=VALUE, not '{item}'", field="param")
        try:
            overrides[name.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            overrides[name.strip()] = raw
    return overrides


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the run's summary as JSON.")
@click.option("--slow", is_flag=True, help=f"Walk at {settings.SLOW_WALK_SPEED_KMH} km/h.")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=JSON",
              help="Override an analysis default, e.g. -p permutations=99 (repeatable).")
@click.pass_context
def analyse(ctx, as_json, slow, params):
    """Run the analysis on the store's data and store the results as a new run."""
    from . import pipeline
    overrides = parse_params(params)
    if slow:
        overrides["slow_walk"] = True
    store = _store(ctx, create=False)
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
    cov = s.get("network_coverage") or {}
    click.echo(f"Analysis run {result.run_id} (data version {result.data_version}) in "
               f"{s['seconds']:.1f} s: {s['areas']} areas, {s['assets']} assets, "
               f"{s['providers']} providers, "
               + (f"walking over the street network, which covers {cov.get('covered')} of "
                  f"{cov.get('areas')} areas" + (" (the rest: straight-line estimates)."
                                                 if cov.get("covered") != cov.get("areas")
                                                 else ".")
                  if s["router"] == "network" else
                  "walking times as straight-line estimates (no street network)."))
    click.echo(f"  gaps (high need, low supply): {s['gaps']}; top: {', '.join(s['top_gaps'][:5])}")
    click.echo(f"  isolation hotspots: {hs['hot']} hot, {hs['cold']} cold; local Moran HH "
               f"{hs['HH']}, LL {hs['LL']}, HL {hs['HL']}, LH {hs['LH']}")
    if s["missing_indicators"]:
        click.echo("  default indicators not in the data (weights re-normalised): "
                   + ", ".join(s["missing_indicators"]))
    for note in s.get("notes") or []:
        if note.startswith("The need index uses"):
            click.echo(f"  {note}")
    click.echo("  need index from: " + ", ".join(f"{k} {w:g}" for k, w in
                                                 (s.get("indicators_used") or {}).items())
               if s.get("indicators_used") else "  need index: no indicator to build it from")
    if s.get("loneliness_assumed_inputs"):
        click.echo("  loneliness model inputs not in the data (held at a reference value): "
                   + ", ".join(s["loneliness_assumed_inputs"]))


@main.group("import")
def import_group():
    """Load a real area: boundaries, indicators, OSM, assets, postcodes, CQC, Open Referral."""


# --- import commands (io/) ---------------------------------------------------------------------
_skip_bad = click.option("--skip-bad", is_flag=True,
                         help="Skip bad rows (listed in the report) instead of stopping.")
_as_json = click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")


def _report(report, as_json):
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, default=str))
    else:
        click.echo(report.summary())


def _import_command(name: str, importer: str, doc: str, *options) -> None:
    """Register ``assetmap import NAME PATH [options] [--skip-bad] [--json]``: it calls
    ``assetmap.io.<module>.<function>(store, path, skip_bad=..., **options)`` (``importer``
    is "module.function", imported only when the command runs) and prints the report."""
    def command(ctx, path, skip_bad, as_json, **kw):
        import importlib
        module, func = importer.rsplit(".", 1)
        run = getattr(importlib.import_module(f"assetmap.io.{module}"), func)
        _report(run(_store(ctx), path, skip_bad=skip_bad, **kw), as_json)
    command.__doc__ = doc
    command.__name__ = f"import_{name}_cmd"
    f = _skip_bad(_as_json(click.pass_context(command)))
    for option in reversed(options):
        f = option(f)
    import_group.command(name)(click.argument("path", type=click.Path())(f))


_import_command(
    "boundaries", "boundaries.import_boundaries",
    """LSOA/MSOA/ward/LA polygons: GeoJSON, Shapefile (.shp/.zip) or GeoPackage, any CRS;
    or centroids (a CSV with LONG/LAT or BNG_E/BNG_N, a point file): approximate shapes.""",
    click.option("--code-column", help="Column holding the ONS area code (detected otherwise)."),
    click.option("--name-column", help="Column holding the area name (detected otherwise)."),
    click.option("--la", help="Keep one local authority: its code (E08000009) or name "
                              "(Trafford)."),
    click.option("--level", type=click.Choice(["lsoa", "msoa", "ward", "la"]),
                 help="Area level (detected from the code prefix otherwise)."),
    click.option("--replace", is_flag=True,
                 help="Remove stored areas of the same level (and their indicator values) "
                      "first."),
    click.option("--clip", type=click.Path(),
                 help="For a file of centroids: the boundary (GeoJSON, Shapefile, "
                      "GeoPackage) their area shapes are clipped to."))
_import_command(
    "indicators", "indicators.import_indicators",
    """Wide or long CSV/XLSX keyed by area code (Census 2021, IoD 2019, Fingertips...), or
    the ONS LSOA 2011->2021 lookup.""",
    click.option("--mapping", type=click.Path(), help="YAML or CSV file saying which column "
                                                      "or category is which indicator."))
_import_command("osm", "osm.import_osm",
                ".osm / .osm.bz2 / .osm.pbf: the walking network and community assets from "
                "tags (venues, GPs, dentists, hospitals, post offices, food banks, stops); "
                "those within settings.CROSS_BORDER_BUFFER_KM outside the stored areas are "
                "kept as cross-border supply.")
_import_command(
    "assets", "assets_csv.import_assets",
    """CSV/XLSX/GeoJSON/GeoPackage/Shapefile of assets or micro-providers, placed by lat/lon,
    easting/northing, postcode or geometry (polygons and lines: a point on them, the outline
    kept for the maps). CSV encodings and delimiters are detected. Places within
    settings.CROSS_BORDER_BUFFER_KM outside the stored areas are kept as cross-border supply.""",
    click.option("--category", help="Category for every row (when the file has no category "
                                    "column), e.g. library, gp_practice, micro_provider."),
    click.option("--category-column", help="Column holding each row's category (or the "
                                           "source values a --category-map maps)."),
    click.option("--category-map", type=click.Path(),
                 help="YAML or CSV file mapping source values to AssetMap categories "
                      "(e.g. 'Place Of Worship: faith_venue')."),
    click.option("--name-column", help="Column holding the names; rows where it is empty "
                                       "(and files with no name column) are named by category "
                                       "and street, postcode or position."),
    click.option("--council-verified-marks", "council_verified_marks", is_flag=True,
                 help="The council's own file: record its quality marks as verified by the "
                      "council (rows whose quality_mark_by says 'self' excepted). Without "
                      "it every imported quality mark is self-declared."))
_import_command("postcodes", "postcodes.import_postcodes",
                "Postcode -> point lookup (ONS Postcode Directory, Code-Point Open, ...).")
_import_command("cqc", "cqc.import_cqc",
                "CQC care directory CSV -> providers (de-duplicated by CQC location id).")
_import_command(
    "openreferral", "openreferral.import_openreferral",
    "Open Referral UK (HSDS 3.0): a JSON feed/page or a folder of CSV tables.",
    click.option("--category", help="Category for services without an AssetMap category "
                                    "(default: other)."),
    click.option("--council-verified-marks", "council_verified_marks", is_flag=True,
                 help="The council's own feed: believe its 'verified by the council' quality "
                      "marks. Without it every imported quality mark is self-declared."))


@main.command("area")
@click.argument("la_code")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--boundary", type=click.Path(),
              help="The authority's boundary (any polygon file holding it), to clip the "
                   "area shapes drawn from centroids.")
@click.option("--replace", is_flag=True,
              help="Replace the areas (and their values) of another authority in the store.")
@_as_json
@click.pass_context
def area_cmd(ctx, la_code, paths, boundary, replace, as_json):
    """Build local authority LA_CODE (e.g. E06000017, or its ONS name) from national open
    files: PATHS are files or folders holding the ONS LSOA 2011->2021->LAD lookup, IoD 2019
    files (File 2, 6 or 7), LSOA centroids and/or boundaries, the authority's boundary, and
    any other indicator tables. Sets the store's place name and code; reports what each
    file gave and what the place still lacks."""
    from .io.authority import build_area
    _report(build_area(_store(ctx), la_code, list(paths), boundary=boundary,
                       replace=replace), as_json)


@main.command("export")
@click.argument("layer")
@click.option("-f", "--format", "fmt", type=click.Choice(["geojson", "gpkg", "csv"]),
              help="Output format (default: from the file name).")
@click.option("-o", "--output", "output", required=True, type=click.Path(),
              help="Output file (a folder for openreferral).")
@click.option("--crs", default="4326", show_default=True,
              help="4326 (WGS84 lon/lat) or 27700 (British National Grid) for GeoPackage and "
                   "CSV; GeoJSON is always 4326 (RFC 7946).")
@click.pass_context
def export_cmd(ctx, layer, fmt, output, crs):
    """Export LAYER (areas assets providers networks need access gaps hotspots indicators
    e2sfca isochrones) as GeoJSON, GeoPackage or CSV, with its data dictionary beside it
    (NAME.dictionary.csv); `export openreferral -o DIR` writes an Open Referral UK feed
    (services.json + HSDS CSV tables)."""
    store = _store(ctx, create=False)
    if layer == "openreferral":
        from .io.openreferral import export_openreferral
        counts = export_openreferral(store, output)
        click.echo(f"Open Referral UK feed written to {output}: "
                   + ", ".join(f"{k} {v}" for k, v in counts.items() if v))
        return
    from . import pipeline
    from .io.export import export_layer
    n = export_layer(store, layer, output, fmt, load_run=pipeline.load, crs=crs)
    click.echo(f"Exported {n} {layer} to {output} (data dictionary beside it)")


@main.group()
def users():
    """Manage user accounts."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["planner", "coordinator", "contributor", "referrer"]),
              required=True, help="planner: approves and manages users; coordinator: sees "
              "pending and private fields; contributor: their own submissions; referrer: "
              "refers people to providers and sees their own referrals.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from standard input (for scripts).")
@click.pass_context
def users_add(ctx, name, role, password_stdin):
    """Add a user. The password is asked for twice, or read from standard input
    (--password-stdin) or the ASSETMAP_PASSWORD environment variable."""
    from . import accounts
    name = accounts.check_user_name(name)
    password = _read_password(password_stdin)
    accounts.check_password_strength(password, name)
    _store(ctx).add_user(name, role, accounts.hash_password(password))
    click.echo(f"Added {role} '{name}'.")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def users_list(ctx, as_json):
    """List user accounts (never their password hashes)."""
    df = _store(ctx, create=False).list_users()
    rows = df.to_dict("records")
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    for r in rows:
        click.echo(f"{r['name']:<30}{r['role']:<13}{'active' if r['active'] else 'inactive'}")


def _existing_user(ctx, name: str) -> dict:
    user = _store(ctx, create=False).get_user(name=name)
    if user is None:
        raise InputError(f"no user called '{name}'", field="name")
    return user


@users.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
def users_passwd(ctx, name, password_stdin):
    """Set a new password for NAME (signs out their sessions)."""
    from . import accounts
    store, user = _store(ctx), _existing_user(ctx, name)
    password = _read_password(password_stdin)
    accounts.check_password_strength(password, name)
    store.update_user(user["id"], password_hash=accounts.hash_password(password))
    click.echo(f"New password set for '{name}'.")


@users.command("deactivate")
@click.argument("name")
@click.option("--activate", is_flag=True, help="Let the user sign in again instead.")
@click.pass_context
def users_deactivate(ctx, name, activate):
    """Stop NAME signing in (accounts are kept for the audit trail)."""
    store, user = _store(ctx), _existing_user(ctx, name)
    store.update_user(user["id"], active=bool(activate))
    click.echo(f"'{name}' {'can sign in again' if activate else 'can no longer sign in'}.")


# --- backup and restore (store/backup.py) -------------------------------------------------------
@main.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
@click.pass_context
def backup_cmd(ctx, path, force):
    """Write a consistent copy of the whole store to PATH while the app may be running (a
    SQLite file, or a pg_dump archive for PostgreSQL).

    Exit status: 0 done; 2 a bad path (a folder, a missing folder, the store's own file);
    1 anything else (PATH exists and no --force, pg_dump failed)."""
    done = _store(ctx, create=False).backup(path, force=force)
    click.echo(f"Backed up the store (data version {done['data_version']}) to {done['path']} "
               f"({done['format']}, {done['bytes'] / 1e6:.1f} MB).")


@main.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace what the store holds.")
@click.pass_context
def restore_cmd(ctx, path, force):
    """Replace the store's content with the backup at PATH (refused while the store holds
    data, unless --force). Stop the web app first, or restart it after.

    Exit status: 0 done; 2 a bad path or a file that is not an AssetMap backup of this
    store's kind (nothing changed); 1 anything else (the store holds data and no --force,
    pg_restore failed)."""
    done = _store(ctx).restore(path, force=force)
    click.echo(f"Restored {done['path']} ({done['format']}): "
               + ", ".join(f"{k} {v}" for k, v in done["counts"].items() if v)
               + f"; data version now {done['data_version']}.")


@main.command("outreach")
@click.option("--ward", "wards", multiple=True, help="Ward code or name (repeatable).")
@click.option("--area", "areas", multiple=True, help="Area code (repeatable).")
@click.option("--network", help="Neighbourhood network id.")
@click.option("--polygon", type=click.Path(exists=True, dir_okay=False),
              help="A GeoJSON file holding the patch (longitude/latitude).")
@click.option("--client-group", default="older_people", show_default=True)
@click.option("--service-type", default="", help="A service type (default: any).")
@click.option("--walk-minutes", type=float, default=settings.OUTREACH_WALK_MINUTES,
              show_default=True)
@click.option("--stops", type=int, default=settings.OUTREACH_ROUTE_STOPS, show_default=True)
@click.option("-f", "--format", "fmt", default="text", show_default=True,
              type=click.Choice(["text", "json", "csv", "gpx", "geojson"]))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here, not stdout.")
@click.option("--save", "save_name", help="Also save the plan under this name.")
@click.pass_context
def outreach_cmd(ctx, wards, areas, network, polygon, client_group, service_type, walk_minutes,
                 stops, fmt, output, save_name):
    """An outreach plan for a patch: ranked areas, suggestions, route, commissioning gaps."""
    from . import outreach
    if polygon:
        patch, ids = "polygon", []
        with open(polygon, encoding="utf-8") as fh:
            poly = fh.read()
    elif network:
        patch, ids, poly = "network", [network], None
    elif areas:
        patch, ids, poly = "areas", list(areas), None
    else:
        patch, ids, poly = "wards", list(wards), None
    store = _store(ctx, create=False)
    plan = outreach.make_plan(store, {
        "patch": patch, "ids": ids, "polygon": poly, "client_group": client_group,
        "service_type": service_type, "walk_minutes": walk_minutes, "stops": stops})
    if save_name:
        pid = outreach.save(store, plan, name=save_name)
        click.echo(f"Saved as plan {pid}", err=True)
    if fmt == "json":
        text = json.dumps(plan, indent=1)
    elif fmt == "csv":
        text = outreach.to_csv(plan)
    elif fmt == "gpx":
        text = outreach.route_gpx(plan)
    elif fmt == "geojson":
        text = json.dumps(outreach.route_geojson(plan))
    else:
        lines = [f"Outreach plan: {plan['patch']['label']} ({len(plan['patch']['area_codes'])} "
                 f"areas, {plan['patch']['pop_65_plus']:,} aged 65+)", "", "Where to go first:"]
        for a in plan["areas"]:
            lines.append(f"{a['rank']:>3}. {a['name']} ({a['code']}, {a['ward']}): "
                         + "; ".join(a["why_short"]))
        r = plan["route"]
        lines += ["", f"Walking route: {r['total_minutes']:g} minutes"]
        lines += [f"{s['n']:>3}. {s['label']}" for s in r["stops"]]
        lines += ["", "Gaps to commission:"] + [
            f"  - {g['sentence']}" + (f" Observed: {g['observed']['sentence']}."
                                      if g.get("observed") else "") for g in plan["gaps"][:10]]
        text = "\n".join(lines) + "\n"
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        click.echo(text, nl=False)


def _read_password(from_stdin: bool) -> str:
    import os
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    env = os.environ.get("ASSETMAP_PASSWORD")
    if env:
        return env
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


from .cli_db import db as _db_group  # noqa: E402 - registered once main exists

main.add_command(_db_group)

from . import cli_national  # noqa: E402,F401 - registers `national` and its import once main exists


def run() -> None:
    """The ``assetmap`` console script: :func:`main`, then the objects it made frozen out of
    the interpreter's last garbage collection, which would otherwise walk every object of
    pandas, numba and the analysis on the way out (about a second of a demo ``analyse``);
    the operating system frees the memory at exit. Only the console script does this: a
    process that calls :func:`main` again (the tests) keeps its collector."""
    try:
        main()
    finally:
        gc.freeze()


if __name__ == "__main__":  # pragma: no cover
    run()
