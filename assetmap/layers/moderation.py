"""Submissions on the moderation map: one circle per record at the point it may be shown
(home-based records only at their approximate location), with an escaped tooltip and a
popup of trusted, already escaped HTML."""
from __future__ import annotations

import folium

from ._style import esc


def add_to(m, points, *, name: str = "Submissions") -> folium.FeatureGroup:
    """``points``: (lon, lat, colour, label, popup_html) per record."""
    group = folium.FeatureGroup(name=name)
    for lon, lat, colour, label, popup in points:
        folium.CircleMarker([lat, lon], radius=8, color="#222222", weight=1, fill=True,
                            fill_color=colour, fill_opacity=0.9,
                            tooltip=folium.Tooltip(esc(label)),
                            popup=folium.Popup(popup, max_width=300)).add_to(group)
    group.add_to(m)
    return group
