"""Gaps: need against supply as a 3x3 bivariate choropleth (Stevens' colour-blind-friendly
teal/purple scheme) with its 3x3 legend; gap areas (high need, no or low supply) also get a
thick outline so colour is not the only cue. Areas with no supply at all (supply class 0)
take the low-supply colour of their need row and a dashed outline (legend row "no
supply")."""
from __future__ import annotations

from ..analysis import capacity
from . import areadata
from ._style import NO_DATA, esc, fmt

#: BIVARIATE[need_class][supply_class], classes 1 (low) .. 3 (high); supply class 0 (no
#: supply) is drawn in the supply class 1 colour with :data:`NO_SUPPLY_DASH`. Stevens' pink
#: and teal scheme, adjusted so that it holds for colour-blind readers: under simulated
#: protanopia, deuteranopia and tritanopia (Machado et al. 2009) every two classes differ
#: by CIEDE2000 >= 6, and the gap class (high need, low supply: orange) by >= 26 from every
#: other (tests/test_layers_gaps.py checks it).
BIVARIATE = {
    1: {1: "#eae8e3", 2: "#b0eaeb", 3: "#50c4c5"},
    2: {1: "#e1b2d7", 2: "#a0a8d6", 3: "#5698b9"},
    3: {1: "#e66101", 2: "#8c62aa", 3: "#3b4994"},
}
LEVEL = {0: "no", 1: "low", 2: "medium", 3: "high"}
#: Outline of areas with no supply (Leaflet dashArray), thin grey; gaps keep their black.
NO_SUPPLY_DASH = "4 3"
NO_SUPPLY_LEGEND = "No supply: no provider reaches the area (low-supply colour, dashed)"


def colour(need_class, supply_class) -> str:
    try:
        return BIVARIATE[int(need_class)][max(int(supply_class), 1)]
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
            f'<div class="am-legend-row"><span class="am-swatch am-nosupply" style="background:'
            f'{BIVARIATE[1][1]};border:2px dashed #555555"></span>{esc(NO_SUPPLY_LEGEND)}</div>'
            '<div class="am-legend-note">Outlined: gap (high need, no or low supply).</div>')


def method_text(k: int = 3) -> str:
    """How the areas were classed (``assetmap.analysis.gaps``), in plain words for a page."""
    part = {2: "halves", 3: "thirds", 4: "quarters", 5: "fifths"}.get(int(k), f"{int(k)} groups")
    return (f"Need is split into {part} of the areas. Areas no provider reaches have a class "
            f"of their own (no supply); the others are split into {part} of the areas with "
            "some supply, tied values always in the same class. A gap is an area in the top "
            "need class with no supply or supply in the lowest class.")


def _style(p) -> dict:
    out = {"fillColor": p["fill"], "fillOpacity": 0.85,
           "color": "#000000" if p["gap"] else "#777777", "weight": 3 if p["gap"] else 0.5}
    if p["none"]:
        out["dashArray"] = NO_SUPPLY_DASH
        if not p["gap"]:
            out.update(color="#555555", weight=1.5)
    return out


def _cell(r) -> tuple[str, str, str, bool, bool]:
    """(tip, extra, fill, is gap, no supply) of one joined area row."""
    nc, sc = r.get("need_class"), r.get("supply_class")
    known = nc == nc and sc == sc and nc is not None and sc is not None and int(nc) > 0
    desc = (f"{LEVEL.get(int(nc), '?')} need, {LEVEL.get(int(sc), '?')} supply"
            if known else "no data")
    is_gap = bool(r.get("is_gap")) if r.get("is_gap") == r.get("is_gap") else False
    tip = desc + (" – GAP" if is_gap else "")
    extra = f"Need {fmt(r.get('need'), 2)}" + (("\n" + capacity.gap_words(r)) if known else "")
    return tip, extra, colour(nc, sc) if known else NO_DATA, is_gap, bool(known and int(sc) == 0)


def layer(areas, gaps, *, name: str = "Gaps: need vs supply",
          subtitle: str = "") -> areadata.AreaLayer:
    """The gap layer's data: ``areas`` joined with ``gaps`` rows for one service type,
    client group and unit (area_code, need, supply, supply_per_100, unit, population,
    population_label, shortfall, need_class, supply_class, is_gap, gap_rank); popups and the
    legend say the supply's unit ("hours a week per 100 people in need")."""
    g = gaps.drop_duplicates("area_code").set_index("area_code")
    d = areas[["code"]].join(g, on="code")
    tips, extras, fills, gapflag, nosupply = [], [], [], [], []
    for r in d.to_dict("records"):
        t, e, f, is_gap, none = _cell(r)
        tips.append(t)
        extras.append(e)
        fills.append(f)
        gapflag.append(is_gap)
        nosupply.append(none)
    units = [u for u in ("hours", "places") if "unit" in gaps and (gaps["unit"] == u).any()]
    if units:
        subtitle = (subtitle + "; " if subtitle else "") + "supply in " + \
            capacity.per_100_words(units[0])
    note = f'<div class="am-legend-note">{esc(subtitle)}</div>' if subtitle else ""
    return areadata.make_layer("gaps", _style, tips=tips, extras=extras,
                               props={"fill": fills, "gap": gapflag, "none": nosupply},
                               legend_title=name, legend=note + legend_html(), method="gaps")


def add_to(m, areas, gaps, *, name: str = "Gaps: need vs supply", show: bool = True,
           link_template: str | None = "/areas/{code}", legend: bool = True, subtitle: str = "",
           url: str | None = None):
    """The 3x3 gap layer on map ``m`` (see :func:`layer`)."""
    return areadata.draw(m, areas, layer(areas, gaps, name=name, subtitle=subtitle), name=name,
                         show=show, link_template=link_template, legend=legend, url=url)
