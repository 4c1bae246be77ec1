"""Area boundaries (LSOAs) with their names (and codes) in tooltips, drawn from the
compact area table (``layers.areadata``)."""
from __future__ import annotations

from . import areadata
from ._geo import display_frame


def layer(areas, *, color: str = "#555555", layer_id: str = "areas") -> areadata.AreaLayer:
    """Outlines of ``areas``; the tooltip names the area (and its code)."""
    return areadata.make_layer(layer_id, lambda p: {"color": color, "weight": 1.5,
                                                    "fillOpacity": 0.05, "fillColor": color},
                               tips=[str(c) for c in areas["code"]])


def add_to(m, areas, *, name: str = "Areas", color: str = "#555555", show: bool = True,
           link_template: str | None = None, url: str | None = None):
    data = display_frame(areas, ["code", "name", "parent_name"])
    lay = layer(data, color=color)
    lay.popup = link_template is not None
    return areadata.draw(m, data, lay, name=name, show=show, link_template=link_template,
                         legend=False, url=url)
