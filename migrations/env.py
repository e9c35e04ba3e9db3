"""Alembic's environment: migrations run on the connection `migrations.upgrade` passes in."""

from alembic import context

from migrations import VERSION_TABLE

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("run migrations with `advisor db upgrade` (it picks the database URLs from the environment)")
context.configure(connection=connection, version_table=VERSION_TABLE)
with context.begin_transaction():
    context.run_migrations()
