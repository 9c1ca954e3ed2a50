"""Authentication and role checks for the API routes.

The permission table and the keys live in :mod:`calcitrack.app.auth`; the FastAPI dependencies
(``current_principal``, ``require``) and the lockout in :mod:`calcitrack.app.http`, so the web UI and CDS
Hooks use the very same checks without importing the API. Routes name a permission, never a role list;
``admin`` may do everything. Missing, malformed, unknown or revoked credentials all get the same 401; a
valid key without the permission gets 403.
"""

from __future__ import annotations

from calcitrack.app.auth import PERMISSIONS
from calcitrack.app.http import (
    LOCKED_OUT,
    UNAUTHENTICATED,
    audit_source,
    check_lockout,
    client_address,
    current_principal,
    locked_out,
    record_failure,
    require,
)

__all__ = [
    "LOCKED_OUT", "PERMISSIONS", "UNAUTHENTICATED", "audit_source", "check_lockout", "client_address",
    "current_principal", "locked_out", "record_failure", "require",
]
