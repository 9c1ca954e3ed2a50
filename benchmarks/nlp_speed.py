"""Throughput of report reading on MTSamples, one core: calcitrack end to end vs a plain EDS-NLP pipeline.

Prints, in one run (each mode in its own child process, pinned to one CPU, so peak memory is per mode):

- ``calcitrack (prefilter)``: ``service.analyze`` per report — findings, context, recommendations and
  assessments — with the stem prefilter and the EDS-NLP pipeline run only on windows around targets;
- ``calcitrack reading only``: ``nlp.read_report`` alone (the NLP layer without the assessment engine);
- ``calcitrack (no prefilter)``: the same, but every report is tokenised and run through the pipeline whole;
- ``plain EDS-NLP``: ``eds.sentences`` + ``eds.normalizer`` + ``eds.matcher`` (the English target terms)
  + ``eds.negation`` (defaults) over every report, via ``nlp.pipe``;

and the ratio of the first to the last. Peak memory is ``resource.getrusage(...).ru_maxrss`` of each child.

Run: ``.venv/bin/python benchmarks/nlp_speed.py [PATH] [--limit N]`` (default ../shared/corpus/mtsamples.csv).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "mtsamples.csv"
MODES = ("prefilter", "read_only", "no_prefilter", "plain_eds")


def load_texts(path: Path, limit: int | None) -> list[str]:
    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8", errors="replace", newline="") as fh:
        texts = [row.get("transcription") or "" for row in csv.DictReader(fh)]
    return texts[:limit] if limit else texts


def _pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[-1]})


def run_mode(mode: str, texts: list[str]) -> dict[str, Any]:
    """Time one mode over all texts (after a warm-up that builds the pipelines)."""
    _pin_one_core()
    if mode == "plain_eds":
        from baselines import plain_eds_pipeline  # benchmarks/ is on sys.path when run as a script

        nlp = plain_eds_pipeline()
        list(nlp.pipe(texts[:20]))
        start = time.perf_counter()
        n_findings = sum(len(doc.ents) for doc in nlp.pipe(texts))
    else:
        from calcitrack.models import Report
        from calcitrack.nlp import read_report
        from calcitrack.service import analyze

        prefilter = mode in ("prefilter", "read_only")
        read_report(Report(text="warm-up: a calcification", lang="en"))
        if mode == "read_only":
            start = time.perf_counter()
            n_findings = sum(len(read_report(Report(text=t, lang="en")).findings) for t in texts)
        elif prefilter:
            analyze(Report(text="warm-up: a calcification in the liver", lang="en"))
            start = time.perf_counter()
            n_findings = sum(len(analyze(Report(text=t, lang="en")).findings) for t in texts)
        else:
            from calcitrack.assess import assess_findings
            from calcitrack.kb import get_kb

            kb = get_kb()
            start = time.perf_counter()
            n_findings = 0
            for t in texts:
                reading = read_report(Report(text=t, lang="en"), prefilter=False)
                assess_findings(reading.findings, reading.context, policy=kb.resolve_policy(None), lang="en", kb=kb,
                                report_recommendations=reading.report_recommendations)
                n_findings += len(reading.findings)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"mode": mode, "reports": len(texts), "seconds": seconds, "reports_per_s": len(texts) / seconds,
            "findings": n_findings, "peak_mb": peak_mb}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--mode", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    texts = load_texts(args.path, args.limit)
    if args.mode:
        print(json.dumps(run_mode(args.mode, texts)))
        return
    words = sum(len(t.split()) for t in texts)
    print(f"{args.path.name}: {len(texts)} reports, {words / 1e6:.2f} M words; one core, one child process per mode")
    results: dict[str, dict[str, Any]] = {}
    for mode in MODES:
        cmd = [sys.executable, __file__, str(args.path), "--mode", mode]
        if args.limit:
            cmd += ["--limit", str(args.limit)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        results[mode] = json.loads(out.stdout.strip().splitlines()[-1])
    labels = {"prefilter": "calcitrack end to end (prefilter)",
              "read_only": "calcitrack reading only (prefilter, no assess)",
              "no_prefilter": "calcitrack end to end (no prefilter)",
              "plain_eds": "plain EDS-NLP (sentences+normalizer+matcher+negation)"}
    print(f"{'pipeline':<56}{'reports/s':>10}{'seconds':>9}{'peak MB':>9}{'spans':>7}")
    for mode, r in results.items():
        print(f"{labels[mode]:<56}{r['reports_per_s']:>10.0f}{r['seconds']:>9.2f}{r['peak_mb']:>9.0f}{r['findings']:>7}")
    ratio = results["prefilter"]["reports_per_s"] / results["plain_eds"]["reports_per_s"]
    print(f"ratio calcitrack end to end (prefilter) / plain EDS-NLP: {ratio:.1f}x")
    ratio = results["read_only"]["reports_per_s"] / results["plain_eds"]["reports_per_s"]
    print(f"ratio calcitrack reading only / plain EDS-NLP: {ratio:.1f}x")


if __name__ == "__main__":
    main()
