"""The offline basemap: the store's own streets, paths, railways, water and green space,
fetched from ``settings.BASEMAP_URL`` and drawn in a pane under every data layer, when no
tile server is configured (``settings.TILES`` = "none")."""
from __future__ import annotations

from branca.element import MacroElement
from folium.template import Template

from .. import settings
from ._style import js_json

#: Leaflet style per basemap kind (light, so the data layers stay in front).
STYLES = {
    "green": {"color": "#cfe6c4", "weight": 0, "fillColor": "#dcefd3", "fillOpacity": 1},
    "water": {"color": "#a9cbe8", "weight": 0, "fillColor": "#bcd8f0", "fillOpacity": 1},
    "waterway": {"color": "#8fbde3", "weight": 2},
    "path": {"color": "#b9b9b9", "weight": 0.8, "dashArray": "2 3"},
    "minor": {"color": "#c4c4c4", "weight": 1.2},
    "major": {"color": "#e0b070", "weight": 2.4},
    "rail": {"color": "#8a8a8a", "weight": 1.4, "dashArray": "6 3"},
}


class Basemap(MacroElement):
    """Fetches the basemap GeoJSON once per page and draws it, non-interactive, in its own
    pane below Leaflet's overlay pane."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }}, styles = {{ this.styles_js }};
            var pane = map.createPane('am-basemap');
            pane.style.zIndex = 250;
            pane.style.pointerEvents = 'none';
            fetch({{ this.url_js }}, {headers: {'Accept': 'application/geo+json'}})
              .then(function (r) { return r.ok ? r.json() : null; })
              .then(function (gj) {
                if (!gj || !gj.features || !gj.features.length) { return; }
                L.geoJSON(gj, {pane: 'am-basemap', interactive: false,
                               renderer: L.canvas({pane: 'am-basemap'}),
                               style: function (f) { return styles[f.properties.kind] || {}; }
                }).addTo(map);
                map.getContainer().setAttribute('data-basemap', gj.features.length);
                if (map.attributionControl) {
                    map.attributionControl.addAttribution({{ this.attribution_js }});
                }
              }).catch(function () {});
        })();
        {% endmacro %}
    """)

    def __init__(self, url: str = settings.BASEMAP_URL):
        super().__init__()
        self._name = "Basemap"
        self.url_js = js_json(url)
        self.styles_js = js_json(STYLES)
        self.attribution_js = js_json("Streets &copy; OpenStreetMap contributors (ODbL)")


def add_to(m, url: str = settings.BASEMAP_URL) -> Basemap:
    b = Basemap(url)
    m.add_child(b)
    return b
