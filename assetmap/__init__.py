"""AssetMap: community assets, neighbourhood networks and micro-providers laid over
JSNA needs data, to find unmet-need gaps and isolation hotspots."""

__version__ = "0.1.0"
