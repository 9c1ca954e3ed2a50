"""The append-only audit trail: every status change, with who, when and from where.

Why two guards: this module offers only :func:`log` (no update or delete API) and a session hook
refuses to flush a modified or deleted :class:`AuditEvent`; the database triggers of the initial
migration then refuse UPDATE and DELETE from anyone else (another program, a hand-written SQL).
"""

from __future__ import annotations

import getpass
import socket
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from calcitrack.errors import RegistryError
from calcitrack.registry.tables import AuditEvent


class AuditError(RegistryError):
    """Something tried to change or remove an audit event."""


def default_actor() -> str:
    """The operating-system user, when the caller does not say who acts (``--by``)."""
    try:
        return getpass.getuser()
    except Exception:  # no user database entry (containers): still record something
        return "unknown"


def source_of(command: str) -> str:
    """Where a change comes from: the command and the host it ran on."""
    return f"{command}@{socket.gethostname()}"


def log(
    session: Session,
    *,
    actor: str,
    source: str,
    entity: str,
    entity_pk: int,
    event_name: str,
    old: str | None = None,
    new: str | None = None,
    detail: str | None = None,
) -> AuditEvent:
    """Append one event. Never put report text or patient identifiers in ``detail``."""
    entry = AuditEvent(
        actor=actor,
        source=source,
        entity=entity,
        entity_pk=entity_pk,
        event=event_name,
        old_value=old,
        new_value=new,
        detail=detail,
    )
    session.add(entry)
    return entry


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditError("audit events are append-only: they cannot be changed or deleted")
