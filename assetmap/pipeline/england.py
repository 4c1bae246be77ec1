"""England's values for boroughs: a national run's value of each indicator over every area
(:func:`england_benchmarks`), written as JSON (``{indicator_id: value}``) and read back
into a borough's store (``assetmap import england-benchmarks FILE``), whose profiles'
England column compares with them."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import InputError


def england_benchmarks(result) -> dict:
    """{indicator_id: England's value} from a national run: each indicator's value over
    every area (pooled counts where given, else the population-weighted mean: the
    ``benchmarks`` frame's ``borough`` column of a run over all England)."""
    b = result.benchmarks
    return {str(i): float(v) for i, v in zip(b["indicator_id"], b["borough"]) if np.isfinite(v)}


def write_benchmarks_file(path, england: dict) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(england, sort_keys=True, indent=1) + "\n")
    return path


def read_benchmarks_file(path) -> dict:
    """{indicator_id: value} from a JSON file; InputError naming the file and the entry."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise InputError(f"cannot read England benchmarks: {e}", file=str(path)) from None
    if not isinstance(data, dict):
        raise InputError("England benchmarks must be a JSON object {indicator_id: value}",
                         file=str(path))
    out = {}
    for k, v in data.items():
        try:
            out[str(k)] = float(v)
        except (TypeError, ValueError):
            raise InputError(f"the value of '{k}' is not a number", file=str(path),
                             field=str(k)) from None
        if not np.isfinite(out[str(k)]):
            raise InputError(f"the value of '{k}' is not finite", file=str(path), field=str(k))
    return out


def import_benchmarks(store, path) -> dict:
    """England's values from a national run's JSON file into the store meta
    ``england_benchmarks`` a borough run compares with (merged with what is there)."""
    england = read_benchmarks_file(path)
    try:
        have = json.loads(store.get_meta("england_benchmarks") or "{}")
    except ValueError:
        have = {}
    have.update(england)
    store.set_meta("england_benchmarks", json.dumps(have, sort_keys=True))
    return england
