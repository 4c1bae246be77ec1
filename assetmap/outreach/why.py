"""Why an area comes where it does in an outreach plan, in words: its hotspot or cluster, its
isolation rank, its strongest indicators against the borough (polarity-aware z-scores) and
its walk to the nearest community venue; and the patch's indicators beside the borough's."""
from __future__ import annotations

import numpy as np

from .context import Context
from .params import PlanParams


def _fmt_unit(unit: str):
    if unit == "%":
        return lambda t: f"{t:.1f}%"
    if unit == "decile":
        return lambda t: f"{t:.1f}".removesuffix(".0")
    return lambda t: f"{t:.3g}"


def _patch_indicators(ctx: Context, idx: np.ndarray) -> list[dict]:
    """Each indicator in the patch (population-weighted mean of its areas) beside the
    borough's, most elevated first."""
    if ctx.values.empty or not len(ctx.indicators):
        return []
    codes = ctx.areas["code"].iloc[idx].to_numpy()
    pop = ctx.areas["population"].iloc[idx].to_numpy(float)
    meta = ctx.indicators.set_index("id")
    out = []
    for ind in ctx.values.columns:
        if ind not in meta.index:
            continue
        v = ctx.values.loc[codes, ind].to_numpy(float)
        ok = np.isfinite(v)
        if not ok.any():
            continue
        w = pop[ok] if pop[ok].sum() > 0 else None
        val = float(np.average(v[ok], weights=w))
        b = ctx.borough.get(ind, float("nan"))
        z = ctx.zscores.loc[codes, ind].to_numpy(float)
        zm = float(np.nanmean(z)) if np.isfinite(z).any() else 0.0
        fmt = _fmt_unit(meta.loc[ind, "unit"])
        out.append({"id": ind, "title": str(meta.loc[ind, "title"]), "unit": meta.loc[ind, "unit"],
                    "polarity": meta.loc[ind, "polarity"], "patch": round(val, 3),
                    "borough": round(b, 3) if np.isfinite(b) else None,
                    "patch_text": fmt(val), "borough_text": fmt(b) if np.isfinite(b) else "",
                    "z": round(zm, 2)})
    out.sort(key=lambda r: (r["polarity"] == "neutral", -r["z"]))
    return out


def _why(ctx: Context, code: str, row, pct_iso: float, nearest_social: float | None,
         params: PlanParams) -> tuple[list[str], list[str]]:
    """Why an area comes where it does: (sentences, short phrases for paper)."""
    out, short = [], []
    if row.get("gi_class") == "hot":
        out.append("In an isolation hotspot (Getis-Ord Gi*, significant after the false "
                   "discovery rate correction)")
        short.append("isolation hotspot")
    elif row.get("lisa_class") == "HH":
        out.append("In a cluster of high isolation (local Moran's I, high-high)")
        short.append("high-isolation cluster")
    if np.isfinite(pct_iso):
        top = max(1, int(round(100 * (1 - pct_iso))))
        if top <= 50:
            out.append(f"Isolation score among the highest {top}% of {ctx.area_name}'s areas")
            short.append(f"isolation top {top}%")
    if code in ctx.zscores.index:
        z = ctx.zscores.loc[code].dropna()
        meta = ctx.indicators.set_index("id") if len(ctx.indicators) else None
        z = z[[c for c in z.index if meta is None or c not in meta.index
               or meta.loc[c, "polarity"] != "neutral"]]
        n = 0
        for ind, zv in z.sort_values(ascending=False).items():
            if zv < 0.5 or n >= 3:
                break
            n += 1
            title, unit = ind, ""
            if meta is not None and ind in meta.index:
                title, unit = meta.loc[ind, "title"], meta.loc[ind, "unit"]
            v = ctx.values.loc[code, ind]
            b = ctx.borough.get(ind, float("nan"))
            fmt = _fmt_unit(unit)
            bit = f"{title}: {fmt(v)}"
            if np.isfinite(b):
                bit += f" against {fmt(b)} across the borough"
            out.append(f"{bit} (z = {zv:+.1f})")
            brief = str(title).split(" (")[0]
            short.append(f"{brief} {fmt(v)}" + (f" (borough {fmt(b)})" if np.isfinite(b) else ""))
    if nearest_social is not None:
        if np.isfinite(nearest_social):
            if nearest_social > params.walk_minutes:
                out.append(f"The nearest community venue is {nearest_social:.0f} minutes' walk")
                short.append(f"nearest venue {nearest_social:.0f} min")
        else:
            out.append("No community venue within an hour's walk")
            short.append("no venue within an hour")
    if not out:
        out.append("No indicator well above the borough average; in the patch for coverage")
        short.append("no indicator well above average")
    return out, short
