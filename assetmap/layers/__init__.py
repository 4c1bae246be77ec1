"""One module per map layer; each has ``add_to(map, data, **style) -> folium.FeatureGroup``.
Layers never touch the database: they get frames."""
