"""Compiling the street graph of an OSM file: read with pyosmium (:mod:`assetmap.io.osm_graph`),
costed (metres walking; seconds driving, from speeds by road type and ``maxspeed``,
:mod:`assetmap.io.osm_speeds`), degree-2 chains contracted (:mod:`.contract`), cached on
disk by the file's SHA-256 and the mode."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from .. import settings
from ..errors import InputError


def osm_sha256(osm) -> tuple[bytes, str]:
    data = Path(osm).read_bytes() if isinstance(osm, (str, Path)) else bytes(osm)
    return data, hashlib.sha256(data).hexdigest()


def variant(mode: str) -> str:
    """What besides the file makes a compiled graph: the mode and, driving, a fingerprint
    of the drive settings (filter and speeds), so a changed table is never served stale."""
    if mode != "drive":
        return mode
    keys = ("DRIVE_EXCLUDED", "DRIVE_HIGHWAY_SPEEDS_KMH", "DRIVE_FALLBACK_SPEED_KMH",
            "DRIVE_NO_DATA_SPEED_KMH", "DRIVE_IMPLICIT_MAXSPEEDS_KMH")
    blob = json.dumps({k: getattr(settings, k) for k in keys}, sort_keys=True, default=str)
    return f"drive-{hashlib.sha256(blob.encode()).hexdigest()[:10]}"


def cache_path(cache_dir, sha256: str, mode: str = "walk") -> Path:
    """Where the compiled ``mode`` graph of the file with this SHA-256 is kept."""
    from .network import FORMAT
    return Path(cache_dir) / f"{variant(mode)}-v{FORMAT}-{sha256}.npz"


#: Street networks found unusable in this process (sha256, mode and highway set -> the
#: error), so a page asking again gets the same answer at once instead of reading the file.
_UNUSABLE: dict[tuple, InputError] = {}


def graph_from_osm(osm, cache_dir=None, *, non_walkable=None, mode: str = "walk"):
    """The compiled ``mode`` ("walk" or "drive") graph of an OSM file (bytes or a path;
    ``.osm.pbf``, ``.osm``, ``.osm.bz2``).

    With ``cache_dir``, a graph compiled before from the same file (same sha256) is loaded
    instead of being rebuilt, and a new one is saved there. A file that cannot be used (not
    OSM, a bomb past the import limits, no usable street) raises InputError, and the same
    InputError again, at once, every later time in this process.
    """
    from .network import WalkGraph
    data, digest = osm_sha256(osm)
    if cache_dir is not None:
        p = cache_path(cache_dir, digest, mode)
        if p.exists():
            try:
                return WalkGraph.load(p)
            except (OSError, ValueError, KeyError):
                pass                        # a damaged cache file: rebuild it
    nw = settings.NON_WALKABLE_HIGHWAYS if non_walkable is None else non_walkable
    key = (digest, variant(mode), tuple(sorted(nw)))
    if key in _UNUSABLE:
        e = _UNUSABLE[key]
        raise InputError(e.message, file=e.file, row=e.row, field=e.field)
    try:
        g = build(data, mode, non_walkable=non_walkable, sha256=digest)
    except InputError as e:     # kept without its traceback (whose frames hold the file)
        _UNUSABLE[key] = InputError(e.message, file=e.file, row=e.row, field=e.field)
        raise
    if cache_dir is not None:
        g.save(cache_path(cache_dir, digest, mode))
    return g


def segment_costs(streets) -> np.ndarray:
    """Each segment's cost: its length (m) walking, its travel time (s) driving."""
    length = streets.length
    if streets.mode != "drive":
        return length
    from ..io.osm_speeds import way_speeds
    per_way = np.bincount(streets.way, weights=streets.fwd.astype(float) +
                          streets.bwd.astype(float), minlength=len(streets.highway))
    kmh = way_speeds(streets.highway, streets.maxspeed, per_way)[streets.way]
    return length / (kmh / 3.6)


def build(osm, mode: str = "walk", *, non_walkable=None, sha256: str = ""):
    """Read, cost and contract (no cache)."""
    from ..io.osm_graph import read_streets
    from .contract import contract, dedupe
    from .network import from_chains
    st = read_streets(osm, mode, non_walkable=non_walkable)
    a, b, cost, fwd, bwd = dedupe(st.a, st.b, segment_costs(st), st.fwd, st.bwd)
    chains = contract(len(st.osmid), a, b, cost, fwd, bwd)
    return from_chains(chains, st.x, st.y, st.osmid, sha256=sha256, mode=mode)
