"""The registry CLI tests run on SQLite and PostgreSQL like the registry tests."""

from tests.registry.conftest import db_url, engine  # noqa: F401  (fixtures re-exported)
