"""Colour-blind-safe palettes and small formatting helpers shared by the layers."""
from __future__ import annotations

import html
import math

#: Sequential, colour-blind safe (ColorBrewer YlGnBu), light = low, dark = high.
SEQUENTIAL = {
    3: ["#edf8b1", "#7fcdbb", "#2c7fb8"],
    4: ["#ffffcc", "#a1dab4", "#41b6c4", "#225ea8"],
    5: ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"],
    6: ["#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"],
    7: ["#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"],
}
#: Okabe-Ito, the reference colour-blind-safe qualitative palette.
OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
             "#000000"]
NO_DATA = "#d9d9d9"


def esc(value) -> str:
    """HTML-escaped text for anything that came from users or imported files.

    Safe inside HTML and also inside the JavaScript template literals folium writes popups
    and tooltips into: backticks, ``$`` and backslashes become entities too (they show the
    same in HTML but are inert in a template literal)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True).replace("`", "&#96;").replace(
        "$", "&#36;").replace("\\", "&#92;")


def fmt(value, digits: int = 1, unit: str = "") -> str:
    if value is None:
        return "–"
    try:
        f = float(value)
    except (TypeError, ValueError):
        return esc(value)
    if math.isnan(f):
        return "–"
    s = f"{f:,.{digits}f}"
    if s.startswith("-") and float(s.replace(",", "")) == 0:
        s = s[1:]
    if unit == "%":
        return s + "%"
    return s + (f" {unit}" if unit and unit not in ("score", "count") else "")


def table_html(rows) -> str:
    """A two-column popup table from (label, trusted value html) pairs, skipping blanks."""
    body = "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in rows if v not in ("", None))
    return f'<table class="am-pop">{body}</table>'
