"""Isolation hotspots: Getis-Ord Gi* hot and cold spots and local Moran's I (LISA) classes,
significant after the false discovery rate correction; red/blue diverging (colour-blind
safe), non-significant areas pale. The legend states the inference the run used when given
its ``method`` (the run summary's ``hotspot_method``)."""
from __future__ import annotations

from ._geo import polygon_layer
from ._legend import add_legend, swatch_rows
from ._style import area_title, esc, fmt

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


def _layer(m, areas, hot, *, kind, name, show, link_template, legend, alpha, method):
    h = hot.drop_duplicates("area_code").set_index("area_code")
    d = areas[[c for c in ("code", "name", "parent_name") if c in areas]].join(h, on="code")
    tips, pops, fills, cls = [], [], [], []
    for r in d.to_dict("records"):
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
        t = f"{area_title(r['name'], r.get('parent_name'))}<br>{esc(label)}"
        tips.append(t)
        p = t + f"<br>Isolation score {fmt(r.get('isolation'), 2)}<br>{esc(stats)}"
        if link_template:
            p += f'<br><a href="{esc(link_template.format(code=r["code"]))}">Area profile</a>'
        pops.append(p)
        fills.append(col)
        cls.append(c)

    def style(p):
        sig = p["cls"] != "ns"
        return {"fillColor": p["fill"], "fillOpacity": 0.8 if sig else 0.35,
                "color": "#333333", "weight": 1.5 if sig else 0.4}

    group = polygon_layer(areas, m=m, name=name, style=style, tips=tips, popups=pops, show=show,
                          extra={"fill": fills, "cls": cls})
    group.add_to(m)
    if legend:
        colours, labels = (GI_COLOURS, GI_LABELS) if kind == "gi" else (LISA_COLOURS, LISA_LABELS)
        add_legend(m, group, name, swatch_rows([(colours[k], labels[k]) for k in colours]) +
                   f'<div class="am-legend-note">{esc(legend_note(alpha, method))}</div>',
                   open_=show, method="hotspots")
    return group


def add_to(m, areas, hotspots, *, kind: str = "gi", name: str | None = None, show: bool = True,
           link_template: str | None = "/areas/{code}", legend: bool = True, alpha: float = 0.05,
           method: dict | None = None):
    """``kind`` "gi" (Getis-Ord Gi*) or "lisa" (local Moran's I); ``method`` the run
    summary's ``hotspot_method`` (the legend then names the inference used)."""
    name = name or ("Isolation hotspots (Gi*)" if kind == "gi" else "Isolation clusters (LISA)")
    return _layer(m, areas, hotspots, kind=kind, name=name, show=show,
                  link_template=link_template, legend=legend, alpha=alpha, method=method)
