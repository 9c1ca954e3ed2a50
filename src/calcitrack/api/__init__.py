"""The HTTP face of calcitrack: a FastAPI application under ``/api/v1`` (see ``docs/api.md``).

Why a separate package: routes are thin adapters over :mod:`calcitrack.service` and the registry, so the
API can never analyse or store a report differently from the CLI. Import :func:`create_app` lazily from
``calcitrack.api.app`` so that importing this package does not pull in FastAPI.
"""
