"""A legend per layer: a Leaflet control shown while its layer is on the map.

Legends are plain HTML (escaped by the caller), stacked in one panel that a button folds away,
each collapsible with ``<details>``, and keyboard reachable."""
from __future__ import annotations

from branca.element import MacroElement
from folium.template import Template

from ._style import esc, js_json

#: Where every legend's "How this is worked out" link points (the method notes page).
METHOD_URL = "/method"


class Legend(MacroElement):
    """Legend ``body_html`` (trusted HTML) titled ``title`` for ``layer``, shown in the map's
    one legend panel (bottom right, under the layer control) while its layer is on.

    The panel is a Leaflet control with a real button (``aria-expanded``) that folds it
    away; each legend inside is a ``<details>``. assetmap.js fits the map's first view
    beside the right-hand controls, so legends never cover the areas drawn at that view."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var layer = {{ this.layer.get_name() }};
            var panel = map._amLegends;
            if (!panel) {
                var ctl = L.control({position: 'bottomright'});
                ctl.onAdd = function () {
                    var box = L.DomUtil.create('div', 'am-legend-panel leaflet-bar');
                    var id = 'am-legends-' + L.Util.stamp(map);
                    var btn = L.DomUtil.create('button', 'am-legend-toggle', box);
                    btn.type = 'button';
                    btn.textContent = 'Legend';
                    btn.setAttribute('aria-expanded', 'true');
                    btn.setAttribute('aria-controls', id);
                    var list = L.DomUtil.create('div', 'am-legend-list', box);
                    list.id = id;
                    L.DomEvent.on(btn, 'click', function () {
                        var open = btn.getAttribute('aria-expanded') !== 'true';
                        btn.setAttribute('aria-expanded', String(open));
                        list.hidden = !open;
                    });
                    L.DomEvent.disableClickPropagation(box);
                    L.DomEvent.disableScrollPropagation(box);
                    return box;
                };
                ctl.addTo(map);
                var box = ctl.getContainer();
                panel = map._amLegends = {box: box, list: box.querySelector('.am-legend-list'),
                                          n: 0};
                box.hidden = true;
            }
            var div = document.createElement('div');
            div.className = 'am-legend';
            div.setAttribute('data-layer', {{ this.title_js }});
            div.innerHTML = {{ this.html_js }};
            div.style.order = String(panel.n++);
            layer._amLegend = div;      // assetmap.js swaps in an aggregate map's legend
            function update() { panel.box.hidden = !panel.list.children.length; }
            function show() { panel.list.appendChild(div); update(); }
            function hide() { if (div.parentNode) { div.parentNode.removeChild(div); } update(); }
            if (map.hasLayer(layer)) { show(); }
            map.on('overlayadd', function (e) { if (e.layer === layer) { show(); } });
            map.on('overlayremove', function (e) { if (e.layer === layer) { hide(); } });
        })();
        {% endmacro %}
    """)

    def __init__(self, layer, title: str, body_html: str, *, position: str = "bottomright",
                 open_: bool = True, method: str = ""):
        super().__init__()
        self._name = "Legend"
        self.layer = layer
        self.title = title
        self.position = position       # kept for callers: every legend sits in the one panel
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
