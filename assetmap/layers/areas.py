"""Area boundaries (LSOAs) with escaped name tooltips."""
from __future__ import annotations

from ._geo import display_frame, polygon_layer
from ._style import esc


def add_to(m, areas, *, name: str = "Areas", color: str = "#555555", show: bool = True,
           link_template: str | None = None):
    data = display_frame(areas, ["code", "name", "parent_name"])
    tips = [f"<strong>{esc(n)}</strong><br>{esc(c)}" for n, c in zip(data["name"], data["code"])]
    pops = None
    if link_template:
        pops = [f'{t}<br><a href="{esc(link_template.format(code=c))}">Area profile</a>'
                for t, c in zip(tips, data["code"])]
    group = polygon_layer(data, m=m, name=name, show=show, tips=tips, popups=pops,
                          style=lambda p: {"color": color, "weight": 1.5, "fillOpacity": 0.05,
                                           "fillColor": color})
    group.add_to(m)
    return group
