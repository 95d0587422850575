"""Alembic environment: runs on the connection handed over by ``core.db.migrate``."""

from alembic import context

from core.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations through `python -m core migrate`.")

context.configure(connection=connection, target_metadata=Base.metadata, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
