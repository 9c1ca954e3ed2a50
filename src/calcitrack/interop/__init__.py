"""Adapters between calcitrack and the outside world's health-data formats.

Why a separate package: FHIR, HL7 v2 and CDS Hooks are wire formats owned by other standards; keeping
them here lets the core (models, nlp, assess) stay free of them (DESIGN §2), and lets each adapter be
tested against the real libraries (``fhir.resources`` R4B models, python-hl7, real sockets).

- :mod:`calcitrack.interop.fhir_in` - DiagnosticReport / Bundle JSON -> :class:`~calcitrack.models.Report`
- :mod:`calcitrack.interop.fhir_out` - :class:`~calcitrack.models.Analysis` -> FHIR Bundle
- :mod:`calcitrack.interop.hl7v2` - ORU^R01 -> Report, and ACK messages
- :mod:`calcitrack.interop.mllp` - asyncio MLLP listener feeding the registry
- :mod:`calcitrack.interop.cdshooks` - CDS Hooks 2.0 ``patient-view`` service (FastAPI router)

Submodules are imported on demand (``fhir.resources`` is slow to import).
"""
