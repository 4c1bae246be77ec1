"""Areas aggregated to their parent (the local authority of a national store, the ward of a
borough): what a national map draws when more areas are in view than
``settings.MAP_AREAS_MAX`` (``/map/areas.json``), so England's first view shows data.

Rules (said on /method, ``assetmap.method``):

* rates and indices (need index, loneliness risk, isolation, indicators, walking minutes):
  the population-weighted mean of the areas with a value (weights: the areas' population,
  all ages; equal weights where no area of the group has one); counts (an indicator whose
  unit is in ``COUNT_UNITS``): the sum;
* gaps: the share of areas in the gap class; hotspots: how many areas are significant hot
  (and cold) spots; each aggregate is drawn in the class most of its areas have;
* shapes: the areas' polygons dissolved per parent, once per data version (cached).

An aggregate's row is ``[parent code, parent name, '']``; its cells say how many areas it
holds and how it was worked out, and a click zooms to it (web/static/assetmap.js).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from .. import model
from . import areadata
from ._legend import Legend

#: What the parent of a store's areas is called (``level`` of the parent), for the page.
LEVEL_WORDS = {"la": "local authority", "ward": "ward"}


@dataclass
class Groups:
    """Which parent each area belongs to: ``inv[i]`` indexes ``frame`` (code, name, n,
    population, geometry: the dissolved shapes in the areas' CRS)."""
    inv: np.ndarray
    frame: gpd.GeoDataFrame
    level: str


def population(areas) -> np.ndarray:
    """Each area's population, all ages (NaN where unknown)."""
    cols = [c for c in model.AGE_BANDS if c in areas]
    if not cols:
        return np.full(len(areas), np.nan)
    return areas[cols].astype(float).sum(axis=1, min_count=1).to_numpy(dtype=float)


def groups(areas) -> Groups | None:
    """The areas grouped by ``parent_code`` (None when no area has a parent, or when
    grouping would not make fewer shapes)."""
    if "parent_code" not in areas or not len(areas):
        return None
    codes = areas["parent_code"].astype(object).where(areas["parent_code"].notna(), None)
    codes = np.array([str(c).strip() if c is not None and str(c).strip() else
                      f"~{a}" for c, a in zip(codes, areas["code"])], dtype=object)
    uniq, first, inv = np.unique(codes, return_index=True, return_inverse=True)
    if len(uniq) >= len(areas):
        return None
    names = areas["parent_name"].to_numpy(dtype=object) if "parent_name" in areas \
        else uniq
    pop = population(areas)
    frame = gpd.GeoDataFrame({
        "code": [str(u).lstrip("~") for u in uniq],
        "name": [str(names[f]) if names[f] == names[f] and names[f] else str(u).lstrip("~")
                 for u, f in zip(uniq, first)],
        "parent_name": "",
        "n": np.bincount(inv, minlength=len(uniq)),
        "population": np.bincount(inv, np.nan_to_num(pop), minlength=len(uniq)),
    }, geometry=_dissolve(areas.geometry.values, inv, len(uniq)), crs=areas.crs)
    return Groups(inv, frame, _level(codes))


def _level(codes) -> str:
    """'local authority' for LAD codes (E06-E09, W06), else 'ward'."""
    lad = [c for c in codes if str(c)[:3] in ("E06", "E07", "E08", "E09", "W06")]
    return LEVEL_WORDS["la"] if len(lad) * 2 >= len(codes) else LEVEL_WORDS["ward"]


def _dissolve(geoms, inv, n: int) -> np.ndarray:
    """One polygon per group: its areas' polygons unioned (snapped to 1e-6 degrees first
    so shared edges meet)."""
    snapped = shapely.set_precision(shapely.make_valid(geoms), 1e-6)
    out = np.empty(n, dtype=object)
    order = np.argsort(inv, kind="stable")
    bounds = np.searchsorted(inv[order], np.arange(n + 1))
    for g in range(n):
        out[g] = shapely.union_all(snapped[order[bounds[g]:bounds[g + 1]]])
    return out


def weighted_mean(values, weights, inv, n: int) -> np.ndarray:
    """Per group, the mean of ``values`` weighted by ``weights`` over the areas with a
    value (equal weights in a group where no area with a value has a weight); NaN where
    no area has a value."""
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    ok = np.isfinite(v)
    wok = ok & np.isfinite(w) & (w > 0)
    num = np.bincount(inv[wok], v[wok] * w[wok], minlength=n)
    den = np.bincount(inv[wok], w[wok], minlength=n)
    plain_num = np.bincount(inv[ok], v[ok], minlength=n)
    plain_den = np.bincount(inv[ok], minlength=n).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1),
                        np.where(plain_den > 0, plain_num / np.where(plain_den > 0,
                                                                    plain_den, 1), np.nan))


#: Indicator units that are counts of people or things: aggregated as sums, not means.
COUNT_UNITS = frozenset({"count", "number", "people", "persons", "households"})


def total(values, inv, n: int) -> np.ndarray:
    """Per group, the sum of ``values`` over the areas with one (NaN where none has)."""
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v)
    got = np.bincount(inv[ok], minlength=n)
    return np.where(got > 0, np.bincount(inv[ok], v[ok], minlength=n), np.nan)


def share_text(n_in: int, n: int, what: str) -> str:
    return f"{round(100 * n_in / n) if n else 0}% of areas {what} ({n_in:,} of {n:,})"


def categorical(layer: areadata.AreaLayer, g: Groups) -> areadata.AreaLayer:
    """A class layer (gaps, hotspots, plain areas) per group: drawn in the style most of
    its areas have; the tip counts the classes that matter (gap, hot and cold spots)."""
    n = len(g.frame)
    members: list[list[int]] = [[] for _ in range(n)]
    for i, gi in enumerate(g.inv):
        members[gi].append(i)
    cells = []
    for gi in range(n):
        rows = [layer.cells[i] for i in members[gi]]
        style = Counter(c[0] for c in rows).most_common(1)[0][0] if rows else 0
        cells.append([style, _class_words(layer.id, [str(c[1]) for c in rows]), ""])
    return areadata.AreaLayer(layer.id, layer.styles, cells, legend_title=layer.legend_title,
                              legend=layer.legend, method=layer.method, open_=layer.open_,
                              popup=False)


def _class_words(layer_id: str, tips: list[str]) -> str:
    n = len(tips)
    if layer_id == "gaps":
        return share_text(sum(t.endswith("GAP") for t in tips), n, "in the gap class")
    if layer_id in ("gi", "lisa"):
        firsts = Counter(t.split("\n")[0] for t in tips)
        hot = sum(v for k, v in firsts.items() if k.startswith(("Hot spot", "High among high")))
        cold = sum(v for k, v in firsts.items() if k.startswith(("Cold spot", "Low among low")))
        return (f"{hot:,} significant hot spot{'' if hot == 1 else 's'}, {cold:,} cold "
                f"spot{'' if cold == 1 else 's'} among {n:,} areas")
    return ""


def headed(layer: areadata.AreaLayer, g: Groups, how: str) -> areadata.AreaLayer:
    """``layer`` (one cell per group) with each tip saying what the aggregate is: "482
    areas; <tip> (<how>)" and "click to zoom in to the areas"."""
    for cell, n in zip(layer.cells, g.frame["n"]):
        tip = str(cell[1]) + (f" ({how})" if how and cell[1] else "")
        cell[1] = f"{int(n):,} area{'' if n == 1 else 's'}\n{tip}".rstrip("\n") + \
            "\nClick to zoom in to the areas"
        cell[2] = ""
    layer.popup = False
    layer.legend = Legend(None, f"{layer.legend_title} ({g.level} aggregates)", layer.legend,
                          open_=layer.open_, method="aggregates").html
    return layer


def view(g: Groups, layers, bbox, zoom: float, *, cache: dict, limit: int | None = None,
         areas_total: int = 0) -> dict:
    """The aggregates meeting ``bbox`` as a :func:`areadata.view_payload` (only the count
    when even they are too many), marked ``aggregate`` with the parent level, how many
    areas are in view, and each layer's legend and styles for the aggregates."""
    out = areadata.view_payload(g.frame, layers, bbox, zoom, cache=cache, limit=limit)
    out["aggregate"] = {"level": g.level, "areas": areas_total}
    out["legends"] = {lay.id: lay.legend for lay in layers}
    out["styles"] = {lay.id: lay.styles for lay in layers}
    return out
