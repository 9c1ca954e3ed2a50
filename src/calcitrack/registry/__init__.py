"""The follow-up registry: persistence of analyses, lesions over time, follow-ups and the audit trail.

Why a registry at all: results-management programmes lose 30-60 % of recommended follow-ups when nobody
tracks them. This package stores what the ingest use case (:mod:`calcitrack.app.ingest`) decided - each
actionable assessment as a follow-up with a due date, a responsible clinician and an audit trail. It
calls no engine and reads no knowledge base: the decisions are the application layer's.

The core (models, kb, nlp, assess, explain) never imports this package; only the application layer and
the faces do.
"""

from calcitrack.registry.db import connect, resolve_url, session_scope, upgrade
from calcitrack.registry.store import RecordResult

__all__ = ["RecordResult", "connect", "resolve_url", "session_scope", "upgrade"]
