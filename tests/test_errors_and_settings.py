"""One error hierarchy mapped to problem types in one table, and one settings object read once."""

from __future__ import annotations

from pathlib import Path

import pytest

from calcitrack import errors
from calcitrack.api.problems import PROBLEM_TYPES, problem_type
from calcitrack.app.follow_ups import FollowUpNotFound, InvalidChange, TransitionRefused
from calcitrack.assess.engine import AssessmentError
from calcitrack.interop.hl7v2 import Hl7Error
from calcitrack.kb.loader import KBError
from calcitrack.registry.audit import AuditError
from calcitrack.registry.db import DatabaseError, StorageError
from calcitrack.registry.followups import ConcurrentChangeError
from calcitrack.registry.store import ReportConflictError
from calcitrack.settings import get_settings


@pytest.mark.parametrize("error, status, slug", [
    (errors.NotFound("x"), 404, "not-found"),
    (FollowUpNotFound("x"), 404, "not-found"),
    (errors.Conflict("x"), 409, "conflict"),
    (ReportConflictError("x"), 409, "conflict"),
    (ConcurrentChangeError("x"), 409, "conflict"),
    (TransitionRefused("x"), 409, "transition-not-allowed"),
    (errors.InvalidInput("x"), 422, "validation-error"),
    (InvalidChange("x"), 422, "validation-error"),
    (Hl7Error("x"), 422, "validation-error"),
    (errors.InputError("x"), 422, "validation-error"),
    (AssessmentError("x"), 422, "cannot-assess"),
    (KBError("x"), 500, "internal-error"),
    (DatabaseError("x"), 503, "database-unavailable"),
    (StorageError("x"), 422, "validation-error"),
    (AuditError("x"), 500, "internal-error"),
])
def test_every_layer_error_is_a_calcitrack_error_with_one_problem_type(
    error: errors.CalcitrackError, status: int, slug: str,
) -> None:
    assert isinstance(error, errors.CalcitrackError)
    problem = problem_type(error)
    assert problem is not None and (problem.status, problem.slug) == (status, slug)


def test_input_error_subclasses_keep_except_input_error_working() -> None:
    for kind in (errors.NotFound, errors.Conflict, errors.InvalidInput):
        with pytest.raises(errors.InputError):
            raise kind("x")
    assert isinstance(AssessmentError("x"), ValueError)  # callers that caught it as a ValueError still do
    assert set(PROBLEM_TYPES) >= {errors.CalcitrackError, errors.InputError, errors.KBError, errors.RegistryError}


def test_public_detail_is_what_http_shows() -> None:
    error = errors.NotFound("no patient 'P-123' in the registry", public="no patient with this id in the registry")
    assert error.public == "no patient with this id in the registry" and "P-123" in str(error)
    assert errors.InputError("plain").public is None


def test_settings_read_every_variable_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CALCITRACK_KB_DIR", str(tmp_path))
    monkeypatch.setenv("CALCITRACK_POLICY", "seed")
    monkeypatch.setenv("CALCITRACK_MAX_BODY_BYTES", "1000")
    monkeypatch.setenv("CALCITRACK_API_WARMUP", "false")
    monkeypatch.setenv("CALCITRACK_AUTH_MAX_FAILURES", "0")
    monkeypatch.setenv("CALCITRACK_SECRET_KEY", "s3cret")
    monkeypatch.setenv("CALCITRACK_PUBLIC_URL", "")  # empty: the default
    get_settings.cache_clear()
    settings = get_settings()
    assert (settings.kb_dir, settings.policy, settings.max_body_bytes) == (tmp_path, "seed", 1000)
    assert (settings.api_warmup, settings.auth_max_failures, settings.secret_key) == (False, 0, "s3cret")
    assert settings.public_url is None
    assert "s3cret" not in repr(settings)
    monkeypatch.setenv("CALCITRACK_POLICY", "standard")
    assert get_settings().policy == "seed"  # read once: a later change needs cache_clear()
    get_settings.cache_clear()
    assert get_settings().policy == "standard"


@pytest.mark.parametrize("name, value", [
    ("CALCITRACK_MAX_BODY_BYTES", "lots"), ("CALCITRACK_MAX_BODY_BYTES", "0"),
    ("CALCITRACK_API_WARMUP", "maybe"), ("CALCITRACK_AUTH_MAX_FAILURES", "-1"),
])
def test_a_bad_variable_is_one_invalid_input_naming_it(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    with pytest.raises(errors.InvalidInput, match=f"^{name}: .*got '{value}'$"):
        get_settings()
