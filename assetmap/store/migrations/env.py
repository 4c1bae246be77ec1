"""Alembic's environment: migrations run on the connection ``assetmap.store.migrate`` hands
over (``config.attributes["connection"]``), inside its transaction."""
from alembic import context

from assetmap.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite",
                  transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations()
