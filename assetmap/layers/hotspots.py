"""Isolation hotspots: Getis-Ord Gi* hot and cold spots and local Moran's I (LISA) classes,
significant after the false discovery rate correction; red/blue diverging (colour-blind
safe), non-significant areas pale. The legend states the inference the run used when given
its ``method`` (the run summary's ``hotspot_method``)."""
from __future__ import annotations

from . import areadata
from ._legend import swatch_rows
from ._style import esc, fmt

GI_COLOURS = {"hot": "#b2182b", "cold": "#2166ac", "ns": "#f7f7f7"}
GI_LABELS = {"hot": "Hot spot (high isolation cluster)",
             "cold": "Cold spot (low isolation cluster)", "ns": "Not significant"}
LISA_COLOURS = {"HH": "#b2182b", "LL": "#2166ac", "HL": "#f4a582", "LH": "#92c5de",
                "ns": "#f7f7f7"}
LISA_LABELS = {"HH": "High among high (HH)", "LL": "Low among low (LL)",
               "HL": "High among low (HL)", "LH": "Low among high (LH)", "ns": "Not significant"}


def gi_class(value) -> str:
    v = str(value or "ns")
    low = v.lower()
    if low.startswith("hot"):
        return "hot"
    if low.startswith("cold"):
        return "cold"
    return "ns"


def lisa_class(value) -> str:
    v = str(value or "ns").upper()
    return v if v in LISA_COLOURS else "ns"


def _p(value) -> str:
    """'= 0.012', '< 0.001' or '–' (not tested)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "–"
    if v != v:
        return "–"
    return "< 0.001" if v < 0.001 else f"= {fmt(v, 3)}"


def legend_note(alpha: float, method: dict | None = None) -> str:
    """The legend's last line: the significance level and, when known, the method."""
    method = method or {}
    if method.get("guard"):
        why = str(method["guard"])
        return f"Not tested: {why}."
    alpha = float(method.get("fdr_alpha", alpha))
    text = f"Significant at FDR {alpha:g}"
    if method.get("inference") == "permutation" and method.get("permutations"):
        text += f" ({int(method['permutations']):,} permutations"
        text += ", capped)." if method.get("capped") else ")."
    elif method.get("inference") == "analytical":
        text += " (analytical normal p-values)."
    else:
        text += " (Benjamini-Hochberg)."
    return text


def _cell(r, kind: str) -> tuple[str, str, str, str]:
    """(tip, extra, fill, class) of one joined area row."""
    if kind == "gi":
        c = gi_class(r.get("gi_class"))
        label, col = GI_LABELS[c], GI_COLOURS[c]
        stats = (f"Gi* z = {fmt(r.get('gi_z'), 2)}, p {_p(r.get('gi_p'))}, "
                 f"FDR q {_p(r.get('gi_q'))}")
    else:
        c = lisa_class(r.get("lisa_class"))
        label, col = LISA_LABELS[c], LISA_COLOURS[c]
        stats = (f"Local Moran's I = {fmt(r.get('lisa_i'), 2)}, p {_p(r.get('lisa_p'))}, "
                 f"FDR q {_p(r.get('lisa_q'))}")
    return label, f"Isolation score {fmt(r.get('isolation'), 2)}\n{stats}", col, c


def _style(p) -> dict:
    sig = p["cls"] != "ns"
    return {"fillColor": p["fill"], "fillOpacity": 0.8 if sig else 0.35,
            "color": "#333333", "weight": 1.5 if sig else 0.4}


def layer(areas, hotspots, *, kind: str = "gi", name: str | None = None, show: bool = True,
          alpha: float = 0.05, method: dict | None = None) -> areadata.AreaLayer:
    """The hotspot layer's data (``kind`` "gi" or "lisa") for ``areas``."""
    name = name or default_name(kind)
    h = hotspots.drop_duplicates("area_code").set_index("area_code")
    d = areas[["code"]].join(h, on="code")
    cells = [_cell(r, kind) for r in d.to_dict("records")]
    colours, labels = (GI_COLOURS, GI_LABELS) if kind == "gi" else (LISA_COLOURS, LISA_LABELS)
    leg = (swatch_rows([(colours[k], labels[k]) for k in colours]) +
           f'<div class="am-legend-note">{esc(legend_note(alpha, method))}</div>')
    return areadata.make_layer(kind, _style, tips=[c[0] for c in cells],
                               extras=[c[1] for c in cells],
                               props={"fill": [c[2] for c in cells], "cls": [c[3] for c in cells]},
                               legend_title=name, legend=leg, open_=show, method="hotspots")


def default_name(kind: str) -> str:
    return "Isolation hotspots (Gi*)" if kind == "gi" else "Isolation clusters (LISA)"


def add_to(m, areas, hotspots, *, kind: str = "gi", name: str | None = None, show: bool = True,
           link_template: str | None = "/areas/{code}", legend: bool = True, alpha: float = 0.05,
           method: dict | None = None, url: str | None = None):
    """``kind`` "gi" (Getis-Ord Gi*) or "lisa" (local Moran's I); ``method`` the run
    summary's ``hotspot_method`` (the legend then names the inference used)."""
    name = name or default_name(kind)
    lay = layer(areas, hotspots, kind=kind, name=name, show=show, alpha=alpha, method=method)
    return areadata.draw(m, areas, lay, name=name, show=show, link_template=link_template,
                         legend=legend, url=url)
