"""Errors a user can act on. Faces (CLI, API) print their message as one line; never a traceback."""

from __future__ import annotations


class CalcitrackError(Exception):
    """Base class: the message names the input (file, line, field) and what is wrong with it."""


class InputError(CalcitrackError):
    """Bad input: unreadable file, wrong encoding, malformed JSON, invalid field value."""
