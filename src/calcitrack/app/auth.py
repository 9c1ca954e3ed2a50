"""Who may call calcitrack: roles, the permission table, API users and keys (tables in
:mod:`calcitrack.registry.tables`: ``api_users``, ``api_keys``), and authentication.

Why here, below the faces: the API, the web UI (login with a key) and CDS Hooks all check the same
keys against the same permission table; none of them may import another face.

Why keys are stored as salted scrypt hashes: a copy of the database (backup, replica, stolen laptop)
must not hand out working credentials. Each key is ``ctk_<prefix>_<secret>``: the 12-hex-digit prefix is
not secret and finds the row in one indexed lookup; the whole key is checked against
``scrypt(key, salt)`` with :func:`hmac.compare_digest`. The plain key is shown once, by
``calcitrack keys create``, and never stored or logged.

Why a verification cache: scrypt is deliberately slow (~30-50 ms), which would dominate every request.
After one successful scrypt check the process remembers SHA-256(key) for that key row; later requests
compare against it in constant time but still read the row, so a revoked key or user is refused on the
very next request, whichever process revoked it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from calcitrack.errors import Conflict, InvalidInput, NotFound
from calcitrack.registry import audit
from calcitrack.registry.tables import ApiKey, ApiUser, utcnow

ROLES: tuple[str, ...] = ("clinician", "coordinator", "admin", "service")
KEY_MARK = "ctk_"
PREFIX_HEX = 12
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")

# scrypt cost: n=2**14, r=8 -> 16 MiB and tens of milliseconds per check (OWASP's interactive minimum).
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_DKLEN = 32

PERMISSIONS: dict[str, tuple[str, ...]] = {
    "analyze": ("clinician", "coordinator", "service", "admin"),
    "ingest": ("service", "admin"),
    "worklist:read": ("clinician", "coordinator", "admin"),
    "timeline:read": ("clinician", "admin"),
    "follow_up:status": ("coordinator", "admin"),
}
"""Permission -> roles allowed (copied into ``docs/api.md``). Analyze takes any role: it processes patient
text but stores nothing. Faces name a permission, never a role list."""

assert all(role in ROLES for roles in PERMISSIONS.values() for role in roles)


def may(role: str | None, permission: str) -> bool:
    """Whether ``role`` holds ``permission`` (unknown permissions raise KeyError: a typo is a bug)."""
    return role is not None and role in PERMISSIONS[permission]


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user's name and role (never the key itself)."""

    name: str
    role: str
    key_prefix: str


def hash_key(key: str, salt: bytes) -> str:
    """Hex scrypt digest of ``key`` with ``salt``."""
    digest = hashlib.scrypt(
        key.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=SCRYPT_DKLEN,
        maxmem=64 * 1024 * 1024,
    )
    return digest.hex()


def split_key(key: str) -> str | None:
    """The lookup prefix of a well-formed key, else None (malformed keys never reach the database)."""
    if not key.startswith(KEY_MARK):
        return None
    prefix, sep, secret = key[len(KEY_MARK) :].partition("_")
    if not sep or len(prefix) != PREFIX_HEX or not secret or len(key) > 200:
        return None
    if any(c not in "0123456789abcdef" for c in prefix):
        return None
    return prefix


def _check_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise InvalidInput(f"invalid user name {name!r}: use letters, digits, '.', '_', '@' or '-' (max 100)")
    return name


def get_user(session: Session, name: str) -> ApiUser:
    user = session.scalars(select(ApiUser).where(ApiUser.name == name)).first()
    if user is None:
        raise NotFound(f"no API user named {name!r}")
    return user


def add_user(session: Session, name: str, role: str, *, actor: str, source: str) -> ApiUser:
    """Create a user; names are never reused, even after revocation, so the audit trail stays unambiguous."""
    _check_name(name)
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    if session.scalars(select(ApiUser).where(ApiUser.name == name)).first() is not None:
        raise Conflict(f"API user {name!r} already exists")
    user = ApiUser(name=name, role=role)
    session.add(user)
    session.flush()
    audit.log(session, actor=actor, source=source, entity="api_user", entity_pk=user.id,
              event_name="created", new=role)
    return user


def list_users(session: Session) -> list[dict[str, object]]:
    """Users with their role, state and number of active keys (no key material)."""
    rows = []
    for user in session.scalars(select(ApiUser).order_by(ApiUser.name)):
        rows.append({
            "name": user.name,
            "role": user.role,
            "created_at": user.created_at.isoformat(timespec="seconds"),
            "revoked": user.revoked_at is not None,
            "active_keys": sum(1 for k in user.keys if k.revoked_at is None),
            "key_prefixes": [k.prefix for k in user.keys if k.revoked_at is None],
        })
    return rows


def revoke_user(session: Session, name: str, *, actor: str, source: str) -> ApiUser:
    """Revoke a user and every key of theirs; takes effect on their next request."""
    user = get_user(session, name)
    now = utcnow()
    if user.revoked_at is None:
        user.revoked_at = now
        audit.log(session, actor=actor, source=source, entity="api_user", entity_pk=user.id,
                  event_name="revoked", old=user.role)
    for key in user.keys:
        if key.revoked_at is None:
            key.revoked_at = now
    return user


def create_key(session: Session, name: str, *, actor: str, source: str) -> str:
    """A new key for user ``name``; the returned plain key exists nowhere else - show it once."""
    user = get_user(session, name)
    if user.revoked_at is not None:
        raise Conflict(f"API user {name!r} is revoked; create a new user")
    while True:
        prefix = secrets.token_hex(PREFIX_HEX // 2)
        if session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).first() is None:
            break
    key = f"{KEY_MARK}{prefix}_{secrets.token_urlsafe(32)}"
    salt = secrets.token_bytes(16)
    session.add(ApiKey(user_pk=user.id, prefix=prefix, salt=salt.hex(), key_hash=hash_key(key, salt)))
    session.flush()
    audit.log(session, actor=actor, source=source, entity="api_user", entity_pk=user.id,
              event_name="key_created", new=prefix)
    return key


def revoke_key(session: Session, prefix: str, *, actor: str, source: str) -> ApiKey:
    """Revoke one key by its (non-secret) prefix."""
    key = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).first()
    if key is None:
        raise NotFound(f"no API key with prefix {prefix!r}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        audit.log(session, actor=actor, source=source, entity="api_user", entity_pk=key.user_pk,
                  event_name="key_revoked", old=prefix)
    return key


_verified: dict[int, tuple[str, bytes]] = {}
_verified_lock = threading.Lock()


def _fast_digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


def authenticate(session: Session, key: str) -> Principal | None:
    """The principal of a valid, unrevoked key of an unrevoked user; None otherwise (never says why)."""
    prefix = split_key(key)
    if prefix is None:
        return None
    row = session.execute(
        select(ApiKey.id, ApiKey.salt, ApiKey.key_hash, ApiKey.revoked_at, ApiUser.name, ApiUser.role,
               ApiUser.revoked_at)
        .join(ApiUser, ApiKey.user_pk == ApiUser.id)
        .where(ApiKey.prefix == prefix)
    ).first()
    if row is None or row[3] is not None or row[6] is not None:
        return None
    key_id, salt, stored, name, role = row[0], row[1], row[2], row[4], row[5]
    fast = _fast_digest(key)
    with _verified_lock:
        cached = _verified.get(key_id)
    if cached is not None and cached[0] == stored and hmac.compare_digest(cached[1], fast):
        return Principal(name=name, role=role, key_prefix=prefix)
    if not hmac.compare_digest(hash_key(key, bytes.fromhex(salt)), stored):
        return None
    with _verified_lock:
        _verified[key_id] = (stored, fast)
    return Principal(name=name, role=role, key_prefix=prefix)
