"""Helpers shared by the registry's CLI and crash tests: run calcitrack as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from calcitrack.models import Analysis


def run_cli(*args: str, stdin: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CALCITRACK_POLICY", "CALCITRACK_DATABASE_URL")}
    return subprocess.run(
        [sys.executable, "-m", "calcitrack", *args], capture_output=True, text=True, env=env, timeout=timeout,
        input=stdin,
    )


def write_jsonl(path: Path, analyses: list[Analysis]) -> Path:
    path.write_text("".join(a.model_dump_json() + "\n" for a in analyses), encoding="utf-8")
    return path


def loads(result: subprocess.CompletedProcess[str]) -> object:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
