"""Fixtures of the batch tests (helpers in ``tests/batch/helpers.py``)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.batch.helpers import make_rows


@pytest.fixture(scope="session")
def corpus() -> list[dict[str, Any]]:
    """96 reports: every template eight times, with varying sizes."""
    return make_rows(96)
