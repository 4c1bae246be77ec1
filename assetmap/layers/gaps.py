"""Gaps: need against supply as a 3x3 bivariate choropleth (Stevens' colour-blind-friendly
teal/purple scheme) with its 3x3 legend; gap areas (high need, low supply) also get a thick
outline so colour is not the only cue."""
from __future__ import annotations

from ._geo import polygon_layer
from ._legend import add_legend
from ._style import NO_DATA, esc, fmt

#: BIVARIATE[need_class][supply_class], classes 1 (low) .. 3 (high).
BIVARIATE = {
    1: {1: "#e8e8e8", 2: "#ace4e4", 3: "#5ac8c8"},
    2: {1: "#dfb0d6", 2: "#a5add3", 3: "#5698b9"},
    3: {1: "#be64ac", 2: "#8c62aa", 3: "#3b4994"},
}
LEVEL = {1: "low", 2: "medium", 3: "high"}


def colour(need_class, supply_class) -> str:
    try:
        return BIVARIATE[int(need_class)][int(supply_class)]
    except (KeyError, TypeError, ValueError):
        return NO_DATA


def legend_html() -> str:
    """The 3x3 legend: need up the side, supply along the bottom."""
    cells = []
    for n in (3, 2, 1):
        for s in (1, 2, 3):
            mark = " am-bv-gap" if (n, s) == (3, 1) else ""
            cells.append(f'<span class="am-bv-cell{mark}" style="background:{BIVARIATE[n][s]}" '
                         f'title="{LEVEL[n]} need, {LEVEL[s]} supply"></span>')
    return ('<div class="am-bv" role="img" aria-label="3 by 3 legend: need increases upwards, '
            'supply increases to the right; top left is a gap">'
            '<div class="am-bv-y">Need &uarr;</div><div class="am-bv-grid">' + "".join(cells) +
            '</div><div class="am-bv-x">Supply &rarr;</div></div>'
            '<div class="am-legend-note">Outlined: gap (high need, low supply).</div>')


def add_to(m, areas, gaps, *, name: str = "Gaps: need vs supply", show: bool = True,
           link_template: str | None = "/areas/{code}", legend: bool = True, subtitle: str = ""):
    """``areas`` (code, name, display geometry) joined with ``gaps`` rows for one service type
    and client group (area_code, need, supply, need_class, supply_class, is_gap, gap_rank)."""
    g = gaps.drop_duplicates("area_code").set_index("area_code")
    d = areas[["code", "name", areas.geometry.name]].join(g, on="code")
    tips, pops, fills, gapflag = [], [], [], []
    for r in d.to_dict("records"):
        nc, sc = r.get("need_class"), r.get("supply_class")
        desc = (f"{LEVEL.get(int(nc), '?')} need, {LEVEL.get(int(sc), '?')} supply"
                if nc == nc and sc == sc and nc is not None and sc is not None else "no data")
        is_gap = bool(r.get("is_gap")) if r.get("is_gap") == r.get("is_gap") else False
        t = f"<strong>{esc(r['name'])}</strong><br>{esc(desc)}{' – GAP' if is_gap else ''}"
        tips.append(t)
        p = (t + f"<br>Need {fmt(r.get('need'), 2)}, supply {fmt(r.get('supply'), 3)}")
        if link_template:
            p += f'<br><a href="{esc(link_template.format(code=r["code"]))}">Area profile</a>'
        pops.append(p)
        fills.append(colour(nc, sc) if desc != "no data" else NO_DATA)
        gapflag.append(is_gap)

    def style(p):
        return {"fillColor": p["fill"], "fillOpacity": 0.85,
                "color": "#000000" if p["gap"] else "#777777", "weight": 3 if p["gap"] else 0.5}

    group = polygon_layer(areas, m=m, name=name, style=style, tips=tips, popups=pops, show=show,
                          extra={"fill": fills, "gap": gapflag})
    group.add_to(m)
    if legend:
        note = f'<div class="am-legend-note">{esc(subtitle)}</div>' if subtitle else ""
        add_legend(m, group, name, note + legend_html())
    return group
