"""The parameters a run accepts: every default from ``settings`` (the upper-case name of
each parameter), overridable per run; ``{"slow_walk": True}`` is a shortcut for
``settings.SLOW_WALK_SPEED_KMH``."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import settings
from ..errors import InputError

PARAM_NAMES = (
    "need_weights", "ci_level", "walk_speed_kmh", "access_thresholds_min",
    "max_snap_distance_m", "origins_per_area", "origin_seed", "access_max_minutes",
    "access_aggregate", "min_component_nodes", "crow_fly_detour", "non_walkable_highways",
    "catchment_minutes", "decay", "gaussian_beta_min", "stepped_weights", "supply",
    "demand_need_weight_range", "gap_classes", "gap_reach_minutes", "permutations",
    "hotspot_seed", "fdr_alpha", "isolation_loneliness_weight", "social_categories",
    "isochrone_categories", "isochrone_minutes", "isochrone_buffer_m", "graph_cache_dir",
    "england_benchmarks", "hotspot_inference", "hotspot_max_permutations", "hotspot_min_areas",
    "hotspot_min_mean_neighbours", "isolation_social_weight", "isolation_essential_weight",
    "essential_categories", "essential_combine",
    "reach_default_radius_km",
)


def _jsonable(v):
    if isinstance(v, (tuple, list)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, Path):
        return str(v)
    if isinstance(v, np.generic):
        return v.item()
    return v


def default_params() -> dict:
    out = {name: _jsonable(getattr(settings, name.upper())) for name in PARAM_NAMES}
    out["slow_walk"] = False
    return out


def _kind(v) -> str:
    if isinstance(v, bool):
        return "true or false"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "a mapping"
    return "text"


def _check_kind(name: str, value, default) -> None:
    """An override must be of its default's kind (a number for a number...): ``-p
    permutations=abc`` is an InputError naming the parameter, not a failure deep in a step."""
    if default is None or value is None:
        return
    want, got = _kind(default), _kind(value)
    if want == "a number" and isinstance(default, int) and got == want and value != int(value):
        raise InputError(f"must be a whole number, not {value!r}", field=name)
    if want != got:
        raise InputError(f"must be {want}, not {value!r}", field=name)


def resolve_params(params: dict | None = None) -> dict:
    """Defaults from settings overridden by ``params``; unknown names and values of the wrong
    kind are an InputError."""
    out = default_params()
    for k, v in (params or {}).items():
        if k not in out:
            raise InputError(f"unknown analysis parameter '{k}' (known: {', '.join(sorted(out))})",
                             field=k)
        _check_kind(k, _jsonable(v), out[k])
        out[k] = _jsonable(v)
    if out["slow_walk"]:
        out["walk_speed_kmh"] = settings.SLOW_WALK_SPEED_KMH
    if not float(out["walk_speed_kmh"]) > 0:
        raise InputError("walk_speed_kmh must be positive", field="walk_speed_kmh")
    if out["access_aggregate"] not in ("mean", "min"):
        raise InputError("access_aggregate must be 'mean' or 'min'", field="access_aggregate")
    if out["supply"] not in ("capacity", "count"):
        raise InputError("supply must be 'capacity' or 'count'", field="supply")
    if out["essential_combine"] not in ("mean", "max"):
        raise InputError("essential_combine must be 'mean' or 'max'", field="essential_combine")
    if out["decay"] not in ("gaussian", "stepped", "none"):
        raise InputError("decay must be 'gaussian', 'stepped' or 'none'", field="decay")
    return out
