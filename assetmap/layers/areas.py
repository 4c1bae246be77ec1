"""Area boundaries (LSOAs) with name tooltips."""
from __future__ import annotations

import folium

from ._geo import display_frame


def add_to(m, areas, *, name: str = "Areas", color: str = "#555555", show: bool = True):
    data = display_frame(areas, ["code", "name", "parent_name"])
    group = folium.FeatureGroup(name=name, show=show)
    folium.GeoJson(
        data.to_json(),
        name=name,
        style_function=lambda _f: {"color": color, "weight": 1, "fillOpacity": 0.05},
        tooltip=folium.GeoJsonTooltip(fields=["name", "code"], aliases=["Area", "Code"]),
    ).add_to(group)
    group.add_to(m)
    return group
