"""The store's schema history as Alembic revisions (``versions/``), applied by
``assetmap.store.migrate`` (``assetmap db upgrade``, and on opening an embedded SQLite
store).

Revision ids are the schema version as four digits (``0001``, ``0002``...), and
``assetmap.store.schema.SCHEMA_VERSION`` is the newest one's number. To change the schema:
change the table in ``schema.py``, bump ``SCHEMA_VERSION``, and add a revision file beside
the others (copy the newest; ``down_revision`` is the one before). Adding a column is one
line::

    def upgrade():
        op.add_column("areas", sa.Column("approximate_geometry", sa.Boolean()))

and a geometry column (with its GiST index on PostGIS) is ``add_geometry("assets",
"footprint")`` from ``assetmap.store.migrations.helpers``. ``tests/test_store_migrate.py``
checks that the revisions build exactly the tables ``schema.py`` declares.
"""
