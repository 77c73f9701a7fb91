"""Alembic environment: runs on the connection that ``drydock.store.migrate`` hands over."""

from __future__ import annotations

from alembic import context

import drydock.store.all_tables  # noqa: F401  (registers every table on the shared metadata)
from drydock.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through drydock.store.migrate.upgrade()")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
