"""Neighbourhood network catchments: dashed outlines with a light fill, one Okabe-Ito colour
per network; tooltips and popups escaped."""
from __future__ import annotations

from ._geo import display_frame, polygon_layer
from ._legend import add_legend, swatch_rows
from ._style import OKABE_ITO, esc, table_html


def colours(n: int) -> list[str]:
    return [OKABE_ITO[i % len(OKABE_ITO)] for i in range(n)]


def add_to(m, networks, *, name: str = "Neighbourhood networks", show: bool = True,
           hub_names: dict | None = None, legend: bool = True):
    data = display_frame(networks, ["id", "name", "hub_asset_id", "members", "activities"])
    cols = colours(len(data))
    hub_names = hub_names or {}
    tips = [f"<strong>{esc(r['name'])}</strong> (neighbourhood network)"
            for r in data.to_dict("records")]
    pops = []
    for r in data.to_dict("records"):
        acts = (r.get("activities") or "").replace("|", ", ")
        pops.append(f"<strong>{esc(r['name'])}</strong>" + table_html([
            ("Hub", esc(hub_names.get(r.get("hub_asset_id"), ""))),
            ("Members", esc(r.get("members"))), ("Activities", esc(acts))]))

    def style(p):
        return {"color": p["colour"], "fillColor": p["colour"], "weight": 2.5,
                "dashArray": "6 4", "fillOpacity": 0.08}

    group = polygon_layer(data, m=m, name=name, style=style, tips=tips, popups=pops, show=show,
                          extra={"colour": cols})
    group.add_to(m)
    if legend:
        add_legend(m, group, name, swatch_rows(
            [(c, n, "border:2px dashed #333") for c, n in zip(cols, data["name"])]) or
            '<div class="am-legend-note">No networks recorded.</div>', method="access")
    return group
