"""The registry CLI tests run on SQLite and PostgreSQL like the registry tests."""

from tests.registry.conftest import db_url, engine, private_postgres_url  # noqa: F401  (fixtures re-exported)
