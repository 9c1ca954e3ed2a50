"""The two ways a notice leaves calcitrack: an e-mail over SMTP and a FHIR R4 ``Communication`` over HTTP.

Why bounded and stateless: a channel is called outside any database transaction, with the timeout of
``CALCITRACK_NOTIFY_TIMEOUT_SECONDS`` on connecting and on every read, so a dead or slow server costs at
most that long and never holds a lock; any failure becomes one :class:`ChannelError` whose message names
the server and the reason but never the message body or the recipient's address. Retrying is the
outbox's job (:mod:`calcitrack.notify.outbox`).
"""

from __future__ import annotations

import datetime as dt
import json
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from calcitrack.notify.templates import Facts, Message
from calcitrack.settings import CalcitrackSettings

ID_SYSTEM_PATIENT = "urn:calcitrack:patient"
ID_SYSTEM_FOLLOW_UP = "urn:calcitrack:follow-up"
ID_SYSTEM_NOTIFICATION = "urn:calcitrack:notification"
CATEGORY_TEXT = "calcitrack follow-up notice"
PRIORITY = {"urgent": "urgent", "workup": "routine", "surveillance": "routine"}


class ChannelError(Exception):
    """One delivery attempt failed; ``connection`` when the server could not be reached at all."""

    def __init__(self, message: str, *, connection: bool = False) -> None:
        super().__init__(message[:300])
        self.connection = connection


@dataclass(frozen=True)
class Recipient:
    """The responsible clinician as the channels know them (``calcitrack.registry.tables.Clinician``)."""

    pk: int
    name: str
    email: str | None
    fhir_reference: str | None


def send_email(settings: CalcitrackSettings, recipient: Recipient, message: Message, notice_id: int) -> None:
    """Send ``message`` to the clinician's address through ``CALCITRACK_SMTP_HOST:PORT``."""
    if not recipient.email:
        raise ChannelError(f"clinician {recipient.pk} has no e-mail address")
    mail = EmailMessage()
    mail["From"] = settings.smtp_from
    mail["To"] = recipient.email
    mail["Subject"] = message.subject
    mail["Message-ID"] = make_msgid(idstring=f"calcitrack-notice-{notice_id}")
    mail.set_content(message.body)
    mail["Content-Language"] = message.lang  # after set_content, which replaces the Content-* headers
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    timeout = settings.notify_timeout_seconds
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password or "")
            smtp.send_message(mail)
    # smtplib's errors are OSErrors: the most specific first, a plain socket error last.
    except smtplib.SMTPConnectError as exc:
        raise ChannelError(f"SMTP server {where} refused the connection: {exc.smtp_code}", connection=True) from exc
    except smtplib.SMTPResponseException as exc:
        raise ChannelError(f"SMTP server {where} refused: {exc.smtp_code}") from exc
    except smtplib.SMTPServerDisconnected as exc:
        raise ChannelError(f"SMTP server {where} disconnected", connection=True) from exc
    except smtplib.SMTPException as exc:
        raise ChannelError(f"SMTP server {where} failed: {type(exc).__name__}") from exc
    except OSError as exc:
        raise ChannelError(f"SMTP server {where} unreachable: {type(exc).__name__}", connection=True) from exc


def communication(facts: Facts, message: Message, recipient: Recipient, notice_id: int,
                  sent: dt.datetime) -> dict[str, object]:
    """The notice as a FHIR R4 ``Communication`` (validated with the ``fhir.resources`` R4B model).

    The patient is named by its pseudonymous identifier only, the follow-up by ``about.identifier``; the
    identifier ``urn:calcitrack:notification|<id>`` lets the receiver drop a retried duplicate.
    """
    from fhir.resources.R4B.communication import Communication  # slow import: only when a notice goes out

    resource = {
        "resourceType": "Communication",
        "identifier": [{"system": ID_SYSTEM_NOTIFICATION, "value": str(notice_id)}],
        "status": "completed",
        "category": [{"text": CATEGORY_TEXT}],
        "priority": PRIORITY.get(facts.action, "routine"),
        "subject": {"identifier": {"system": ID_SYSTEM_PATIENT, "value": facts.patient}},
        "about": [{"identifier": {"system": ID_SYSTEM_FOLLOW_UP, "value": str(facts.follow_up_id)}}],
        "sent": sent.replace(tzinfo=dt.UTC).isoformat(timespec="seconds"),
        "recipient": [{"reference": recipient.fhir_reference}],
        "payload": [{"contentString": f"{message.subject}\n\n{message.body}"}],
        "language": message.lang,
    }
    validated = Communication.model_validate(resource)
    return json.loads(validated.model_dump_json(exclude_none=True))  # type: ignore[no-any-return]


def post_communication(settings: CalcitrackSettings, resource: dict[str, object]) -> None:
    """POST the Communication to ``<CALCITRACK_FHIR_BASE_URL>/Communication``; any 2xx is success."""
    if not settings.fhir_base_url:
        raise ChannelError("CALCITRACK_FHIR_BASE_URL is not set")
    url = settings.fhir_base_url.rstrip("/") + "/Communication"
    headers = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}
    if settings.fhir_token:
        headers["Authorization"] = f"Bearer {settings.fhir_token}"
    request = urllib.request.Request(url, data=json.dumps(resource).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=settings.notify_timeout_seconds) as response:
            response.read(1 << 16)
    except urllib.error.HTTPError as exc:
        raise ChannelError(f"FHIR server {url} answered HTTP {exc.code}") from exc
    except (TimeoutError, urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ChannelError(f"FHIR server {url} unreachable: {type(reason).__name__}", connection=True) from exc


def send_fhir(settings: CalcitrackSettings, facts: Facts, message: Message, recipient: Recipient, notice_id: int,
              sent: dt.datetime) -> None:
    """Build and POST the Communication for one notice."""
    if not recipient.fhir_reference:
        raise ChannelError(f"clinician {recipient.pk} has no FHIR reference")
    post_communication(settings, communication(facts, message, recipient, notice_id, sent))
