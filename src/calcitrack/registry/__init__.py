"""The follow-up registry: stores analyses, links findings over time and tracks every follow-up.

Why a registry at all: results-management programmes lose 30-60 % of recommended follow-ups when nobody
tracks them. This package persists what :func:`calcitrack.service.analyze` produced and turns each
actionable assessment into a follow-up with a due date, a responsible clinician and an audit trail.

The core (models, kb, nlp, assess, explain) never imports this package; only faces (CLI) and callers of
the service layer do.
"""

from calcitrack.registry.db import connect, resolve_url, session_scope, upgrade
from calcitrack.registry.ingest import RecordResult, record

__all__ = ["RecordResult", "connect", "record", "resolve_url", "session_scope", "upgrade"]
