"""The reliability row of the dependency audit: runs ``scripts/audit.sh`` (pip-audit of ``uv.lock``
against PyPI's advisories) and records what it found.

Why only in ``CALCITRACK_RELIABILITY=full`` runs: it needs the network (pypi.org), the one exception to
"no network in tests"; CI already runs the same script before pytest (``scripts/test.sh`` sources it), so
the quick run would only repeat it. Why it fails when nothing could be audited: a row saying "0 known
vulnerabilities" about packages nobody checked would be false comfort.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.reliability import FULL, Recorder

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.reliability,
              pytest.mark.skipif(not FULL, reason="network audit: CALCITRACK_RELIABILITY=full only")]


def test_pip_audit_of_the_locked_dependencies(reliability: Recorder) -> None:
    summary_path = ROOT / ".cache" / "audit" / "summary.json"
    summary_path.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("CALCITRACK_AUDIT", "CALCITRACK_AUDIT_REQUIREMENTS")}
    result = subprocess.run(["bash", "-c", "set -euo pipefail; source scripts/audit.sh"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert summary_path.exists(), result.stderr[-1000:]
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    vulns = summary["vulnerabilities"]
    reliability.row(
        area="security", check="pip-audit of the locked dependencies (scripts/audit.sh, PyPI advisories)",
        inputs=f"{summary['packages']} packages of uv.lock (all groups and extras)",
        result=f"{len(vulns)} known vulnerabilities; {summary['audited']} packages audited, {summary['skipped']} "
               "not found on pypi.org",
    )
    assert result.returncode == 0 and not vulns, "\n".join(" ".join(map(str, v)) for v in vulns)
    assert summary["audited"] > 0, (f"none of the {summary['packages']} locked versions could be audited "
                                    "(unknown to pypi.org from this network)")
