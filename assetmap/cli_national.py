"""``assetmap national``: the analysis of a whole country (or any set of local authorities)
in tiles on Dask (:mod:`assetmap.pipeline.national`), and ``assetmap import
england-benchmarks FILE``: the England values of such a run into a borough's store.

    assetmap [--db URL] national [--synthetic NODES [--realdata DIR] [--la CODE ...]]
        [--osm FILE] [--scheduler tcp://host:port | --workers N] [--benchmarks-out PATH]
        [--param NAME=JSON ...] [--json]

``--synthetic`` first replaces the store's contents with a synthetic England of about NODES
street nodes (:mod:`assetmap.demo.synthetic_england`; ``--la`` keeps only those local
authorities); ``--osm`` replaces only its street network. Then the run: a progress bar of
tiles on a terminal (a line per tile otherwise), the summary, and England's value of each
indicator written to ``--benchmarks-out`` for boroughs to import.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import click

from .cli import Progress, _store, import_group, main, parse_params
from .errors import InputError


def _build_synthetic(store, nodes: int, realdata: str, las, seed: int) -> dict:
    from .demo import synthetic_england as se
    if not se.available(realdata):
        raise InputError("the real LSOA centroids and IoD files are not there (see "
                         "synthetic_england's notes)", file=realdata, field="realdata")
    click.echo(f"Synthetic England: about {nodes:,} street nodes", err=True)
    eng = se.generate(realdata, nodes, seed, las=list(las) or None)
    from .pipeline import graph_cache_dir
    pbf = graph_cache_dir(store) / f"synthetic-england-{nodes}-{seed}.osm.pbf"
    return se.build_into(store, eng, pbf, lambda m: click.echo(f"  {m}", err=True))


def _put_osm(store, path: str) -> None:
    p = Path(path)
    if not p.exists():
        raise InputError("no such file", file=path, field="osm")
    store.put_blob("osm", p.read_bytes())
    store.set_meta("osm_name", p.name)


class _TileBars:
    """A progress bar per round of tiles."""

    def __init__(self):
        self.bar: Progress | None = None

    def round(self, rnd: int, n: int, buffer_m: float) -> None:
        if self.bar:
            self.bar.close()
        label = "Tiles" if rnd == 0 else f"Widened tiles (round {rnd + 1})"
        self.bar = Progress(f"{label}, buffer {buffer_m / 1000:.1f} km", n)

    def tile(self, rep) -> None:
        if self.bar:
            self.bar.step(f"{rep.key}: {rep.proven}/{rep.origins} origins proven, "
                          f"{rep.nodes:,} nodes, {rep.seconds:.2f} s")

    def close(self) -> None:
        if self.bar:
            self.bar.close()


@main.command("national")
@click.option("--synthetic", "synthetic", type=int, default=None, metavar="NODES",
              help="First build a synthetic England of about NODES street nodes.")
@click.option("--realdata", default=lambda: os.environ.get("ASSETMAP_REALDATA",
                                                           "/work/shared/realdata"),
              show_default="$ASSETMAP_REALDATA or /work/shared/realdata",
              help="Folder of the real LSOA centroids and IoD files (--synthetic).")
@click.option("--la", "las", multiple=True, help="With --synthetic: only this local "
              "authority (repeatable).")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--osm", type=click.Path(), help="Use this OSM file as the street network.")
@click.option("--scheduler", help="A Dask scheduler address (tcp://host:port).")
@click.option("--workers", type=int, default=None,
              help="LocalCluster worker processes (default: settings.NATIONAL_WORKERS).")
@click.option("--nearest", type=click.Choice(["whole", "tiles"]), default=None,
              help="Nearest assets by one search a category over the whole graph, a task "
              "each on the workers (whole), or in widened tiles (tiles). Default: "
              "settings.NATIONAL_NEAREST.")
@click.option("--benchmarks-out", type=click.Path(dir_okay=False),
              help="Write England's value of each indicator here (JSON).")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=JSON")
@click.option("--json", "as_json", is_flag=True, help="Print the run's summary as JSON.")
@click.pass_context
def national_cmd(ctx, synthetic, realdata, las, seed, osm, scheduler, workers, nearest,
                 benchmarks_out, params, as_json):
    """Run the analysis of a whole country in tiles on Dask."""
    from . import pipeline
    from .pipeline import england, national
    overrides = parse_params(params)
    store = _store(ctx, create=synthetic is not None)
    if synthetic is not None:
        click.echo(json.dumps(_build_synthetic(store, synthetic, realdata, las, seed)),
                   err=True)
    if osm:
        _put_osm(store, osm)
    bars, steps = _TileBars(), Progress("National run", pipeline.STEPS)
    try:
        result, reports = national.run(store, overrides, scheduler=scheduler, workers=workers,
                                       progress=steps.step, on_tile=bars.tile,
                                       on_round=bars.round, nearest=nearest)
    finally:
        bars.close()
        steps.close()
    s = dict(result.summary, run_id=result.run_id, tiles=national.tile_summary(reports))
    if benchmarks_out:
        england.write_benchmarks_file(benchmarks_out, england.england_benchmarks(result))
        s["benchmarks_out"] = benchmarks_out
    if as_json:
        click.echo(json.dumps(s, indent=2, default=str))
        return
    t = s["tiles"]
    click.echo(f"National run {result.run_id}: {s['areas']:,} areas, {s['origins']:,} origins, "
               f"{s['assets']:,} assets in {s['seconds']:.1f} s; {t['tiles']} tiles in "
               f"{t['rounds']} round(s), {t['median_s']:.2f} s median and {t['max_s']:.2f} s "
               f"max a tile")
    if benchmarks_out:
        click.echo(f"  England values written to {benchmarks_out}")


@import_group.command("england-benchmarks")
@click.argument("path", type=click.Path())
@click.pass_context
def import_england_benchmarks(ctx, path):
    """England's value of each indicator (JSON {indicator_id: value}, as `assetmap national
    --benchmarks-out` writes) as the benchmark the area profiles compare with."""
    from .pipeline import england
    got = england.import_benchmarks(_store(ctx, create=False), path)
    click.echo(f"England values kept as benchmarks for {len(got)} indicator(s)")
