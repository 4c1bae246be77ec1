"""A legend per layer: a Leaflet control shown while its layer is on the map.

Legends are plain HTML (escaped by the caller), collapsible with ``<details>`` so several fit
beside each other on a laptop or tablet screen, and keyboard reachable."""
from __future__ import annotations

from branca.element import MacroElement
from folium.template import Template

from ._style import esc, js_json

#: Where every legend's "How this is worked out" link points (the method notes page).
METHOD_URL = "/method"


class Legend(MacroElement):
    """Legend ``body_html`` (trusted HTML) titled ``title`` for ``layer``."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var layer = {{ this.layer.get_name() }};
            var legend = L.control({position: {{ this.position_js }}});
            legend.onAdd = function () {
                var div = L.DomUtil.create('div', 'am-legend leaflet-bar');
                div.setAttribute('data-layer', {{ this.title_js }});
                div.innerHTML = {{ this.html_js }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            if (map.hasLayer(layer)) { legend.addTo(map); }
            map.on('overlayadd', function (e) { if (e.layer === layer) { legend.addTo(map); } });
            map.on('overlayremove', function (e) { if (e.layer === layer) { legend.remove(); } });
        })();
        {% endmacro %}
    """)

    def __init__(self, layer, title: str, body_html: str, *, position: str = "bottomright",
                 open_: bool = True, method: str = ""):
        super().__init__()
        self._name = "Legend"
        self.layer = layer
        self.title = title
        self.position_js = js_json(position)
        self.title_js = js_json(title)
        link = (f'<a class="am-legend-method" href="{esc(METHOD_URL)}'
                f'{"#" + esc(method) if method else ""}">How this is worked out</a>')
        self.html = (f"<details{' open' if open_ else ''}><summary>{esc(title)}</summary>"
                     f"{body_html}{link}</details>")
        self.html_js = js_json(self.html)


def swatch_rows(items) -> str:
    """Rows of (colour, label[, extra style]) as legend HTML; labels escaped."""
    out = []
    for item in items:
        colour, label = item[0], item[1]
        style = item[2] if len(item) > 2 else ""
        out.append(f'<div class="am-legend-row"><span class="am-swatch" '
                   f'style="background:{colour};{style}"></span>{esc(label)}</div>')
    return "".join(out)


def add_legend(m, layer, title: str, body_html: str, **kw) -> Legend:
    leg = Legend(layer, title, body_html, **kw)
    m.add_child(leg)
    return leg
