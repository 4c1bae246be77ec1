"""Needs choropleth: one indicator (or the need index) per area, classed with mapclassify
(quantiles, Fisher-Jenks, natural breaks or equal intervals) in a colour-blind-safe
sequential palette; tooltips escaped; a click opens the area profile link."""
from __future__ import annotations

import numpy as np

from . import areadata
from ._style import NO_DATA, SEQUENTIAL, esc, fmt
from .classes import SCHEMES, classify  # noqa: F401 - pages read them as needs.<name>


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


def layer(areas, column: str, *, title: str, unit: str = "", scheme: str = "quantiles",
          k: int = 5, note: str = "", classes=None) -> areadata.AreaLayer:
    """The choropleth's data for ``areas[column]``: per area a tooltip line ("Title:
    value"), a fill from its class, and the legend. ``classes`` (class per area, bins) is
    used when given (``classes.cached``), else computed here."""
    values = areas[column].to_numpy(dtype=float) if column in areas else np.full(len(areas), np.nan)
    cls, bins = classes if classes is not None else classify(values, scheme, k)
    cols = palette(len(bins))
    tips = [f"{title}: {fmt(v, 1, unit)}" for v in values]
    fills = [cols[c] if c >= 0 else NO_DATA for c in cls]
    finite = values[np.isfinite(values)]
    lowest = float(finite.min()) if len(finite) else None
    leg = legend_html(bins, cols, unit, lowest, SCHEMES.get(scheme, SCHEMES["quantiles"])[0], note)
    return areadata.make_layer(
        "needs", lambda p: {"fillColor": p["fill"], "color": "#555555", "weight": 0.6,
                            "fillOpacity": 0.75},
        tips=tips, props={"fill": fills}, legend_title=title, legend=leg, method="need")


def add_to(m, areas, column: str, *, title: str, unit: str = "", scheme: str = "quantiles",
           k: int = 5, name: str | None = None, show: bool = True,
           link_template: str | None = "/areas/{code}", legend: bool = True, note: str = "",
           classes=None, url: str | None = None):
    """Choropleth of ``areas[column]``; ``areas`` has code, name (parent_name) and display
    geometry."""
    lay = layer(areas, column, title=title, unit=unit, scheme=scheme, k=k, note=note,
                classes=classes)
    name = name or f"Need: {esc(title)}"   # LayerControl labels are HTML
    return areadata.draw(m, areas, lay, name=name, show=show, link_template=link_template,
                         legend=legend, url=url)
