"""Importers and exporters, one module per outside format.

Every ``import_*(store, path, ...)`` reads and checks the whole file first, then writes
through the store inside ONE transaction, so a bad file leaves the store exactly as it was.
Each returns an :class:`~assetmap.io.common.ImportReport`. ``read_*`` functions only parse.
"""
from .common import ImportReport  # noqa: F401
