"""Clustered point markers rendered in the browser (FastMarkerCluster): small pages even
with thousands of points. Each row: lat, lon, popup HTML (escaped by the caller), tooltip
HTML (escaped), colour, symbol, plain title (set as a DOM property, never parsed as HTML)."""
from __future__ import annotations

import folium
from folium.plugins import FastMarkerCluster

CALLBACK = """function (row) {
    var icon = L.divIcon({className: 'am-pin-wrap', iconSize: [24, 24], iconAnchor: [12, 12],
        html: '<span class="am-pin" style="background:' + row[4] + ';color:' + row[7] + '">' + row[5] + '</span>'});
    var marker = L.marker(new L.LatLng(row[0], row[1]), {icon: icon, title: row[6], alt: row[6], keyboard: true});
    marker.bindPopup(row[2], {maxWidth: 320});
    marker.bindTooltip(row[3]);
    return marker;
}"""


def text_colour(hex_colour: str) -> str:
    """Black or white, whichever reads better on the background."""
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return "#000" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.5 else "#fff"


def cluster_layer(rows, *, name: str, show: bool = True, disable_at_zoom: int = 17):
    data = [[round(float(lat), 5), round(float(lon), 5), popup, tip, colour, symbol, title,
             text_colour(colour)] for lat, lon, popup, tip, colour, symbol, title in rows]
    # FastMarkerCluster always adds itself to its parent, so ``show`` lives on a wrapping
    # FeatureGroup (the overlay the LayerControl toggles).
    group = folium.FeatureGroup(name=name, show=show)
    FastMarkerCluster(data, callback=CALLBACK, name=name, control=False,
                      disableClusteringAtZoom=disable_at_zoom, showCoverageOnHover=False,
                      spiderfyOnMaxZoom=True, chunkedLoading=True).add_to(group)
    return group
