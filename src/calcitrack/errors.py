"""Errors a user can act on. Faces (CLI, API) print their message as one line; never a traceback.

One hierarchy for every layer, so that a face catches by meaning, not by module:

```
CalcitrackError
├── InputError            bad input (the base every ``except InputError`` relies on)
│   ├── NotFound          the thing named does not exist (HTTP 404)
│   ├── Conflict          it exists, but its state refuses the change (HTTP 409)
│   └── InvalidInput      malformed or out-of-range input (HTTP 422)
├── KBError               a knowledge-base file is missing, malformed or inconsistent (kb/)
├── AssessmentError       the engine cannot assess (assess/engine.py); also a ValueError
└── RegistryError         persistence (registry/): DatabaseError, StorageError, AuditError
```

An error may carry ``public``: the detail an HTTP face may show when the message quotes the client's
input (errors never echo the input). The one table from error type to HTTP status and RFC 9457 problem
type is ``calcitrack.api.problems.PROBLEM_TYPES``.
"""

from __future__ import annotations


class CalcitrackError(Exception):
    """Base class: the message names the input (file, line, field) and what is wrong with it."""

    def __init__(self, message: str = "", *, public: str | None = None) -> None:
        super().__init__(message)
        self.public = public
        """What an HTTP response may say instead of the message (which may quote the input), or None."""


class InputError(CalcitrackError):
    """Bad input: unreadable file, wrong encoding, malformed JSON, invalid field value."""


class NotFound(InputError):
    """The input names something that does not exist: a patient, a follow-up, a user, a file."""


class Conflict(InputError):
    """The thing exists but its state refuses the change: a closed follow-up, a concurrent edit, a duplicate."""


class InvalidInput(InputError):
    """Malformed or out-of-range input: an unknown status, a bad date, a bad setting."""


class KBError(CalcitrackError):
    """A knowledge-base file is missing, malformed or inconsistent. The message names file and item."""


class AssessmentError(CalcitrackError, ValueError):
    """The engine cannot assess this input (ValueError too, for callers that caught it as one)."""


class RegistryError(CalcitrackError):
    """Persistence failed: the database is unreachable or un-migrated, a write or the audit failed."""
