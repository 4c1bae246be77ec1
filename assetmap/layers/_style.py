"""Colour-blind-safe palettes and small formatting helpers shared by the layers."""
from __future__ import annotations

import html
import json
import math
import re

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


#: Characters that mean something to a template engine or a JS template literal, and the
#: HTML character references that show the same character but are inert there.
_INERT = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;", "{": "&#123;", "}": "&#125;",
                        "\0": "\ufffd"})


def esc(value) -> str:
    """HTML-escaped text for anything that came from users or imported files.

    Safe inside HTML and also in the places folium and branca put map text: backticks,
    ``$``, backslashes and braces become character references (they show the same in HTML
    but are inert in a JavaScript template literal and can never open a Jinja ``{{ }}`` or
    ``{% %}`` block), and NUL becomes U+FFFD. ``maps.render_parts`` also renders every
    map element once only, so user text is never read as a template even where it is not
    escaped (a DOM property such as a marker's title)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True).translate(_INERT)


#: A ``{`` that would open a Jinja block. In JSON text a ``{`` that starts an object is
#: always followed by ``"`` or ``}``, so every match is inside a string.
_OPENER = re.compile(r"\{(?=[{%#])")


def js_json(obj) -> str:
    """``obj`` as JSON text to write into a folium or branca template (``{{ this.x_js }}``):
    like Jinja's ``tojson`` (``<``, ``>``, ``&`` and ``'`` as ``\\u`` escapes, so it cannot
    close a script element) and, beyond it, no ``{`` that could open a template block:
    branca compiles a map element's output as a template once more, so raw user text there
    would be a syntax error at best. The browser reads the same strings."""
    text = json.dumps(obj, ensure_ascii=True).replace("<", "\\u003c").replace(
        ">", "\\u003e").replace("&", "\\u0026").replace("'", "\\u0027")
    return _OPENER.sub(lambda _m: "\\u007b", text)


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
    body = "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in rows
                   if v not in ("", None))
    return f'<table class="am-pop">{body}</table>'


def area_title(name, ward=None) -> str:
    """An area's name in bold, then its ward (both escaped): the head of every area
    tooltip and popup, so a reader always knows which ward an area is in."""
    ward_s = "" if ward is None or ward != ward or not str(ward).strip() else str(ward)
    return f"<strong>{esc(name)}</strong>" + (f" <span class=\"am-ward\">({esc(ward_s)})</span>"
                                              if ward_s else "")
