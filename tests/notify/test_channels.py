"""The channels against real local servers: an aiosmtpd SMTP server and an HTTP FHIR endpoint."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from tests.notify.servers import FhirServer, SmtpSink, configure, free_port, silent_server

from calcitrack.notify.channels import ChannelError, Recipient, communication, send_email, send_fhir
from calcitrack.notify.templates import Facts, render
from calcitrack.settings import get_settings

DR = Recipient(pk=4, name="dr.martin", email="martin@hospital.test", fhir_reference="Practitioner/77")
FACTS = Facts(kind="created", follow_up_id=9, patient="P1", action="surveillance", due_date=dt.date(2026, 7, 1))
SENT = dt.datetime(2026, 1, 2, 3, 4, 5)


def test_email_reaches_the_smtp_server(smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, smtp_port=smtp.port, fhir_url=None)
    send_email(get_settings(), DR, render(FACTS, "fr"), notice_id=31)
    [message] = smtp.messages
    assert smtp.recipients == [["martin@hospital.test"]]
    assert message["Subject"] == "calcitrack : nouveau suivi pour le patient P1"
    assert message["From"] == "calcitrack@hospital.test" and message["Content-Language"] == "fr"
    assert "calcitrack-notice-31" in message["Message-ID"]
    assert "imagerie de surveillance" in message.get_content()


def test_closed_smtp_port_fails_at_once_as_a_connection_error(monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, smtp_port=free_port(), fhir_url=None)
    started = time.monotonic()
    with pytest.raises(ChannelError) as caught:
        send_email(get_settings(), DR, render(FACTS, "en"), notice_id=1)
    assert caught.value.connection and time.monotonic() - started < 2
    assert "martin@hospital.test" not in str(caught.value)  # no address in errors (they reach the audit)


def test_hung_smtp_server_costs_one_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    with silent_server() as port:
        configure(monkeypatch, smtp_port=port, fhir_url=None, timeout=0.5)
        started = time.monotonic()
        with pytest.raises(ChannelError) as caught:
            send_email(get_settings(), DR, render(FACTS, "en"), notice_id=1)
    assert caught.value.connection and time.monotonic() - started < 3


def test_no_address_is_an_error_not_a_crash(smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, smtp_port=smtp.port, fhir_url=None)
    with pytest.raises(ChannelError, match="clinician 4 has no e-mail address"):
        send_email(get_settings(), Recipient(4, "dr.martin", None, None), render(FACTS, "en"), notice_id=1)
    assert smtp.messages == []


def test_communication_is_valid_fhir_with_only_pseudonymous_identifiers() -> None:
    resource = communication(FACTS, render(FACTS, "en"), DR, notice_id=31, sent=SENT)
    assert resource["resourceType"] == "Communication" and resource["status"] == "completed"
    assert resource["recipient"] == [{"reference": "Practitioner/77"}]
    assert resource["subject"] == {"identifier": {"system": "urn:calcitrack:patient", "value": "P1"}}
    assert resource["identifier"] == [{"system": "urn:calcitrack:notification", "value": "31"}]
    assert resource["about"] == [{"identifier": {"system": "urn:calcitrack:follow-up", "value": "9"}}]
    assert resource["sent"] == "2026-01-02T03:04:05Z" and resource["language"] == "en"


def test_communication_is_posted_with_the_token(fhir: FhirServer, monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, smtp_port=free_port(), fhir_url=fhir.base_url)
    send_fhir(get_settings(), FACTS, render(FACTS, "en"), DR, 31, SENT)
    [request] = fhir.requests
    assert request["path"] == "/fhir/Communication"
    assert request["headers"]["Authorization"] == "Bearer test-token"
    assert request["headers"]["Content-Type"] == "application/fhir+json"
    assert request["body"]["payload"][0]["contentString"].startswith("calcitrack: new follow-up for patient P1")


def test_fhir_error_status_and_dead_endpoint(fhir: FhirServer, monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, smtp_port=free_port(), fhir_url=fhir.base_url)
    fhir.status = 500
    with pytest.raises(ChannelError, match="answered HTTP 500") as caught:
        send_fhir(get_settings(), FACTS, render(FACTS, "en"), DR, 31, SENT)
    assert not caught.value.connection
    configure(monkeypatch, smtp_port=free_port(), fhir_url=f"http://127.0.0.1:{free_port()}/fhir")
    with pytest.raises(ChannelError, match="unreachable") as caught:
        send_fhir(get_settings(), FACTS, render(FACTS, "en"), DR, 31, SENT)
    assert caught.value.connection
    with pytest.raises(ChannelError, match="no FHIR reference"):
        send_fhir(get_settings(), FACTS, render(FACTS, "en"), Recipient(4, "x", "a@b.c", None), 31, SENT)
