"""Community assets as clustered markers, one colour per category; escaped popups."""
from __future__ import annotations

import html

import folium
from folium.plugins import MarkerCluster

from ..model import ASSET_CATEGORIES

#: Colour-blind-safe (Okabe-Ito based) colours per category.
CATEGORY_COLOURS = {
    "community_centre": "#E69F00", "library": "#56B4E9", "faith_venue": "#009E73",
    "cafe_pub": "#F0E442", "park": "#66A61E", "sport_leisure": "#0072B2",
    "gp_practice": "#D55E00", "pharmacy": "#CC79A7", "neighbourhood_hub": "#000000",
    "micro_provider": "#7F3C8D", "other": "#999999",
}


def popup_html(row) -> str:
    """Popup text for one asset; every user-typed string escaped."""
    e = lambda v: html.escape("" if v is None else str(v))  # noqa: E731
    parts = [f"<strong>{e(row.get('name'))}</strong>",
             e(ASSET_CATEGORIES.get(row.get("category"), row.get("category")))]
    if row.get("location_note"):
        parts.append(f"<em>{e(row['location_note'])}</em>")
    for label, key in (("Address", "address"), ("Opening hours", "opening_hours"),
                       ("Contact", "contact")):
        if row.get(key):
            parts.append(f"{label}: {e(row[key])}")
    return "<br>".join(parts)


def add_to(m, assets, *, name: str = "Community assets", show: bool = True):
    group = folium.FeatureGroup(name=name, show=show)
    cluster = MarkerCluster(name=name, disableClusteringAtZoom=16).add_to(group)
    for row in assets.to_dict("records"):
        g = row[assets.geometry.name]
        colour = CATEGORY_COLOURS.get(row.get("category"), "#999999")
        folium.CircleMarker(
            location=[round(g.y, 5), round(g.x, 5)], radius=6, color="#333333", weight=1,
            fill=True, fill_color=colour, fill_opacity=0.9,
            popup=folium.Popup(popup_html(row), max_width=300),
            tooltip=html.escape(str(row.get("name") or "")),
        ).add_to(cluster)
    group.add_to(m)
    return group
