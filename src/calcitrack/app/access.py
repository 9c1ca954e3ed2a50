"""Who reads patient data, and the audit of every read: one way to name the reader and its source.

Why in the application layer: the API, the web UI and CDS Hooks show the same worklist and timeline;
each read appends one audit event per patient shown, in the same transaction as the query (no audit, no
data). Before, each face built the event and its ``source`` string itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from calcitrack.app.auth import Principal
from calcitrack.registry import audit
from calcitrack.registry import tables as t


@dataclass(frozen=True)
class Reader:
    """The authenticated caller, the face it came through (``api``, ``ui``, ``cds``...) and its address."""

    principal: Principal
    channel: str = "api"
    client: str = "unknown"

    @property
    def source(self) -> str:
        """The audit ``source``: ``<channel>@<client address>``."""
        return f"{self.channel}@{self.client}"


def patient_pks(session: Session, keys: Iterable[str]) -> dict[str, int]:
    """Registry primary keys of the given patient keys (unknown keys are left out)."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = session.execute(select(t.Patient.key, t.Patient.id).where(t.Patient.key.in_(wanted))).all()
    return {key: pk for key, pk in rows}


def audit_reads(session: Session, reader: Reader, patient_keys: Iterable[str], *, what: str,
                event: str = "read") -> None:
    """One audit event per patient: who (user and role), what (``what``), when, from where."""
    for pk in sorted(patient_pks(session, patient_keys).values()):
        audit.log(
            session, actor=reader.principal.name, source=reader.source, entity="patient", entity_pk=pk,
            event_name=event, detail=f"{what} (role {reader.principal.role})",
        )
