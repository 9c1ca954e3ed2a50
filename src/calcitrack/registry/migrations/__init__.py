"""Alembic migrations of the registry, shipped inside the package and run through Alembic's API."""
