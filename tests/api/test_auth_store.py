"""Users and keys at rest: salted scrypt hashes, prefix lookup, malformed keys refused early."""

from __future__ import annotations

from sqlalchemy import Engine, select, text

from calcitrack.app.auth import ApiKey, authenticate, split_key
from calcitrack.registry.db import session_scope


def test_keys_are_stored_only_as_salted_hashes(engine: Engine, keys: dict[str, str]) -> None:
    with engine.connect() as connection:
        dump = " ".join(str(row) for row in connection.execute(text("SELECT * FROM api_keys")))
    for key in keys.values():
        secret = key.split("_", 2)[2]
        assert secret not in dump and key not in dump
    with session_scope(engine) as session:
        rows = list(session.scalars(select(ApiKey)))
        assert len({row.salt for row in rows}) == len(rows)
        assert all(len(row.key_hash) == 64 for row in rows)
        assert authenticate(session, keys["admin"]) is not None
        assert authenticate(session, keys["admin"] + "x") is None


def test_malformed_keys_never_reach_the_database() -> None:
    assert split_key("ctk_0123456789ab_secret") == "0123456789ab"
    for bad in ("", "ctk_", "ctk_0123456789ab", "ctk_0123456789AB_s", "xyz_0123456789ab_s", "ctk_0123_s"):
        assert split_key(bad) is None
