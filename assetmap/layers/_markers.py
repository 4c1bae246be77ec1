"""Clustered point markers rendered in the browser (FastMarkerCluster): small pages even
with thousands of points. Popups are assembled in the browser from compact rows, so each
marker costs a few dozen bytes of labels-free data.

A row is ``[lat, lon, style, title, subtitle, plain_title, values, link]``:
``style`` indexes ``styles`` (colour, symbol); ``title``, ``subtitle`` and every entry of
``values`` (aligned with ``labels``) are HTML the caller has already escaped; ``plain_title``
is set as a DOM property (never parsed as HTML); ``link`` is an escaped URL or "".
"""
from __future__ import annotations

import folium
from folium.plugins import FastMarkerCluster
from folium.template import Template

from ._style import esc, js_json, table_html

_CALLBACK = """(function () {
    var styles = %(styles)s, labels = %(labels)s;
    return function (row) {
        var st = styles[row[2]];
        var icon = L.divIcon({className: 'am-pin-wrap', iconSize: [24, 24], iconAnchor: [12, 12],
            html: '<span class="am-pin" style="background:' + st[0] + ';color:' + st[2] + '">'
                + st[1] + '</span>'});
        var marker = L.marker(new L.LatLng(row[0], row[1]),
                              {icon: icon, title: row[5], alt: row[5], keyboard: false});
        var html = '<strong>' + row[3] + '</strong>' + (row[4] ? '<br>' + row[4] : '');
        var vals = row[6] || [], t = '';
        for (var i = 0; i < vals.length; i++) {
            if (vals[i] !== '' && vals[i] !== null) {
                t += '<tr><th>' + labels[i] + '</th><td>' + vals[i] + '</td></tr>';
            }
        }
        if (t) { html += '<table class="am-pop">' + t + '</table>'; }
        if (row[7]) { html += '<a href="' + row[7] + '">More</a>'; }
        marker.bindPopup(html, {maxWidth: 320});
        marker.bindTooltip(row[3]);
        return marker;
    };
})()"""


class _Cluster(FastMarkerCluster):
    """folium's FastMarkerCluster with its rows written by :func:`js_json`, so no text in
    them can open a template block when branca compiles the output again."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = (function(){
                {{ this.callback }}
                var data = {{ this.data_js }};
                // markers and clusters are not tab stops: keyboard users reach the same
                // places through the page's lists (directory, tables), and the map's
                // controls come first (WCAG 2.4.3)
                if (L.MarkerCluster) { L.MarkerCluster.prototype.options.keyboard = false; }
                var cluster = L.markerClusterGroup({{ this.options|tojavascript }});
                for (var i = 0; i < data.length; i++) {
                    callback(data[i]).addTo(cluster);
                }
                cluster.addTo({{ this._parent.get_name() }});
                return cluster;
            })();
        {% endmacro %}""")

    def __init__(self, data, **kwargs):
        super().__init__(data, **kwargs)
        self.data_js = js_json(self.data)


def luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of an sRGB colour (#rrggbb)."""
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    lin = [(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
           for c in (int(h[i:i + 2], 16) / 255 for i in (0, 2, 4))]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_colour(hex_colour: str) -> str:
    """Black or white, whichever has the higher WCAG contrast on the background."""
    return "#000" if contrast(hex_colour, "#000") >= contrast(hex_colour, "#fff") else "#fff"


def cluster_layer(rows, *, styles, labels, name: str, show: bool = True,
                  disable_at_zoom: int = 17):
    """A FeatureGroup (toggled by the LayerControl) holding the clustered markers.

    ``styles``: list of (colour, symbol); ``labels``: popup field labels."""
    st = [[c, s, text_colour(c)] for c, s in styles]
    data = []
    for lat, lon, style, title, subtitle, plain, values, link in rows:
        vals = list(values)
        while vals and vals[-1] in ("", None):
            vals.pop()
        data.append([round(float(lat), 5), round(float(lon), 5), int(style), title, subtitle or "",
                     plain, vals, link or ""])
    callback = _CALLBACK % {"styles": js_json(st), "labels": js_json(list(labels))}
    # FastMarkerCluster always adds itself to its parent, so ``show`` lives on a wrapping
    # FeatureGroup (the overlay the LayerControl toggles).
    group = folium.FeatureGroup(name=name, show=show)
    _Cluster(data, callback=callback, name=name, control=False,
             disableClusteringAtZoom=disable_at_zoom, showCoverageOnHover=False,
             spiderfyOnMaxZoom=True, chunkedLoading=True).add_to(group)
    return group


def marker_rows(frame, *, style_of, subtitle_of, values_of, link_template: str | None = None):
    """Rows for :func:`cluster_layer` from a (public) GeoDataFrame of points: the escaped name
    as title, ``subtitle_of(row)``, ``values_of(row)`` (escaped, aligned with the labels),
    ``style_of(row)`` (an index into the styles) and a link from ``link_template``."""
    rows = []
    geom = frame.geometry.name
    for row in frame.to_dict("records"):
        g = row[geom]
        if g is None or g.is_empty:
            continue
        link = esc(link_template.format(id=row["id"])) if link_template and row.get("id") else ""
        rows.append((g.y, g.x, style_of(row), esc(row.get("name")), subtitle_of(row),
                     str(row.get("name") or ""), values_of(row), link))
    return rows


def popup_html(title: str, subtitle: str, labels, values, link: str = "") -> str:
    """The popup the browser builds for a marker row, as server-side HTML (all parts
    already escaped)."""
    out = f"<strong>{title}</strong>" + (f"<br>{subtitle}" if subtitle else "")
    out += table_html(zip(labels, values))
    return out + (f'<a href="{link}">More</a>' if link else "")
