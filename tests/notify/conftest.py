"""Fixtures of the notification tests: a real SMTP server and a real FHIR endpoint on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.notify.servers import FhirServer, SmtpSink, fhir_server, free_port


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink(free_port())
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def fhir() -> Iterator[FhirServer]:
    with fhir_server() as server:
        yield server
