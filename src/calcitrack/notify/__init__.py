"""Notifications of follow-up events to the responsible clinician (docs/notifications.md).

One module per job: :mod:`~calcitrack.notify.templates` writes the EN/FR text, :mod:`~calcitrack.notify.channels`
sends it (SMTP e-mail, FHIR R4 ``Communication``), :mod:`~calcitrack.notify.outbox` records notices and
delivers them with retries. Which follow-up events raise a notice is decided by the use cases in
:mod:`calcitrack.app.notifications`; this package never imports the application layer or a face.
"""
