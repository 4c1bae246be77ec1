"""Needs choropleth: one indicator (or the need index) per area, classed with mapclassify
(quantiles, Fisher-Jenks, natural breaks or equal intervals) in a colour-blind-safe
sequential palette; tooltips escaped; a click opens the area profile link."""
from __future__ import annotations

import mapclassify
import numpy as np

from ._geo import polygon_layer
from ._legend import add_legend
from ._style import NO_DATA, SEQUENTIAL, area_title, esc, fmt

SCHEMES = {
    "quantiles": ("Quantiles", mapclassify.Quantiles),
    "fisher_jenks": ("Fisher-Jenks", mapclassify.FisherJenks),
    "natural_breaks": ("Natural breaks", mapclassify.NaturalBreaks),
    "equal_interval": ("Equal intervals", mapclassify.EqualInterval),
}


def classify(values, scheme: str = "quantiles", k: int = 5):
    """(class per value with -1 for missing, upper bounds of the classes)."""
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v)
    cls = np.full(len(v), -1, dtype=int)
    if not ok.any():
        return cls, []
    uniq = np.unique(v[ok])
    k = int(max(1, min(k, len(uniq), max(SEQUENTIAL))))
    if k < 2:
        cls[ok] = 0
        return cls, [float(uniq[-1])]
    klass = SCHEMES.get(scheme, SCHEMES["quantiles"])[1]
    try:
        if klass is mapclassify.NaturalBreaks:
            c = klass(v[ok], k=k, initial=5)
        else:
            c = klass(v[ok], k=k)
    except Exception:                 # degenerate data: fall back to quantiles
        c = mapclassify.Quantiles(v[ok], k=k)
    cls[ok] = c.yb
    return cls, [float(b) for b in c.bins]


def palette(n: int) -> list[str]:
    n = max(1, n)
    if n in SEQUENTIAL:
        return SEQUENTIAL[n]
    if n < 3:
        return SEQUENTIAL[3][-n:] if n == 2 else [SEQUENTIAL[3][-1]]
    return SEQUENTIAL[max(SEQUENTIAL)]


def legend_html(bins, colours, unit: str, lowest: float | None, scheme_label: str,
                note: str = "") -> str:
    rows, lo = [], lowest
    for b, col in zip(bins, colours):
        label = (f"{fmt(lo, 1, unit)} – {fmt(b, 1, unit)}" if lo is not None
                 else f"up to {fmt(b, 1, unit)}")
        rows.append(f'<div class="am-legend-row"><span class="am-swatch" '
                    f'style="background:{col}"></span>{esc(label)}</div>')
        lo = b
    rows.append(f'<div class="am-legend-row"><span class="am-swatch" '
                f'style="background:{NO_DATA}"></span>No data</div>')
    rows.append(f'<div class="am-legend-note">{esc(scheme_label)} classes.'
                f'{(" " + esc(note)) if note else ""}</div>')
    return "".join(rows)


def add_to(m, areas, column: str, *, title: str, unit: str = "", scheme: str = "quantiles",
           k: int = 5, name: str | None = None, show: bool = True,
           link_template: str | None = "/areas/{code}", legend: bool = True, note: str = ""):
    """Choropleth of ``areas[column]``; ``areas`` has code, name and display geometry."""
    values = areas[column].to_numpy(dtype=float) if column in areas else np.full(len(areas), np.nan)
    cls, bins = classify(values, scheme, k)
    cols = palette(len(bins))
    wards = areas["parent_name"] if "parent_name" in areas else [None] * len(areas)
    heads = [area_title(n, w) for n, w in zip(areas["name"], wards)]
    tips = [f"{h}<br>{esc(title)}: {fmt(v, 1, unit)}" for h, v in zip(heads, values)]
    pops = None
    if link_template:
        pops = [f"{h}<br>{esc(title)}: {fmt(v, 1, unit)}<br>"
                f'<a href="{esc(link_template.format(code=c))}">Area profile</a>'
                for h, v, c in zip(heads, values, areas["code"])]
    fills = [cols[c] if c >= 0 else NO_DATA for c in cls]

    def style(p):
        return {"fillColor": p["fill"], "color": "#555555", "weight": 0.6, "fillOpacity": 0.75}

    name = name or f"Need: {esc(title)}"   # LayerControl labels are HTML
    group = polygon_layer(areas, m=m, name=name, style=style, tips=tips, popups=pops, show=show,
                          extra={"fill": fills})
    group.add_to(m)
    if legend:
        finite = values[np.isfinite(values)]
        lowest = float(finite.min()) if len(finite) else None
        add_legend(m, group, title, legend_html(bins, cols, unit, lowest,
                                                SCHEMES.get(scheme, SCHEMES["quantiles"])[0], note),
                   method="need")
    return group
