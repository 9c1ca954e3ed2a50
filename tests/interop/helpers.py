"""Shared helpers of the interop tests (fixtures live in conftest.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return data


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CALCITRACK_POLICY", "CALCITRACK_DATABASE_URL")}
    return subprocess.run([sys.executable, "-m", "calcitrack", *args], capture_output=True, text=True, env=env,
                          timeout=timeout)
