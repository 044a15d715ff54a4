"""Alembic's environment: runs migrations on the connection ``migrate`` gives it."""

from alembic import context

from symbionet.store.model import metadata

context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=metadata(),
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
