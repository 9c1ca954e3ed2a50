"""Alembic environment: always online, on the connection that :func:`calcitrack.registry.db.upgrade`
passes in ``config.attributes`` (there is no alembic.ini; the URL is resolved by the registry)."""

from __future__ import annotations

from alembic import context

from calcitrack.registry.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached when someone runs the alembic CLI by hand
    raise RuntimeError("run migrations with `calcitrack db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
