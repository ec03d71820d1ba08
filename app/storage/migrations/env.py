"""Alembic environment: migrations run on the connection the store hands over (never from a URL).

Batch mode (copy-and-move table rebuilds) only on SQLite, which cannot ALTER most things; PostgreSQL
gets plain ALTER TABLE. The naming convention of :mod:`app.storage.schema` names every constraint.
"""

from alembic import context

from app.storage.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
