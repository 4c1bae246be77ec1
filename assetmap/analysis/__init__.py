"""The analysis engine: need, loneliness risk, walking access, supply versus demand (E2SFCA),
gaps and isolation hotspots. Small numpy-vectorised functions that return new columns; no
Flask, no folium, no SQL (``assetmap.pipeline`` reads the store and runs them)."""
