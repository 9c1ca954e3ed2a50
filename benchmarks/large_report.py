"""Scale of one very large report: analysis time and peak memory against report length.

Why: a pasted RIS export or a concatenated history can make one "report" of several MB. Issue 17 found a
2 MB report taking about 60 s and 480 MB; the target is linear growth, 10 MB in <= 10 s and < 500 MB. A
superlinear step anywhere (sentence splitting, section detection, lesion grouping, evidence lookup) shows
here as a time-per-MB ratio that climbs with size.

Each report is built from the bundled example reports (``src/calcitrack/examples/reports.jsonl``) of one
language, repeated with varied sizes, segments and dates so that mentions are not identical copies. Each
size runs in its own child process (warm-up first, so the pipelines' build time is not counted), which
measures wall time of the analyze use case (:func:`calcitrack.app.analyze.analyze`) and its own peak RSS
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``, which includes the loaded models).

Run: ``.venv/bin/python benchmarks/large_report.py [--sizes 0.5 1 2 5 10] [--lang en] [--profile 1]``.
``--profile MB`` runs cProfile on one size in-process and prints the 25 functions with most cumulative
and most internal time, instead of the table.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import random
import resource
import subprocess
import sys
import time
from importlib import resources
from typing import Any

DEFAULT_SIZES = (0.5, 1.0, 2.0, 5.0, 10.0)
SEGMENTS = ("II", "III", "IV", "V", "VI", "VII", "VIII")


def example_texts(lang: str) -> list[str]:
    """The bundled example report texts in ``lang`` (fictitious patients)."""
    raw = resources.files("calcitrack.examples").joinpath("reports.jsonl").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in raw.splitlines() if line.strip()]
    texts = [row["text"] for row in rows if row.get("lang") == lang]
    if not texts:
        raise SystemExit(f"no bundled example report in language {lang!r}")
    return texts


def vary(text: str, rng: random.Random) -> str:
    """``text`` with its millimetre sizes and liver segments changed, so repeated blocks differ."""
    import re

    text = re.sub(r"\b\d{1,2}(?= ?mm\b)", lambda _m: str(rng.randint(2, 40)), text)
    return re.sub(r"(?<=segment )(?:VIII|VII|VI|IV|V|III|II)\b", lambda _m: rng.choice(SEGMENTS), text)


def build_report(megabytes: float, lang: str, *, seed: int = 17) -> str:
    """About ``megabytes`` MB (UTF-8) of report text: example reports, varied, one after another."""
    rng = random.Random(seed)
    texts = example_texts(lang)
    target = int(megabytes * 1_000_000)
    parts: list[str] = []
    size = 0
    while size < target:
        block = vary(rng.choice(texts), rng) + "\n\n"
        parts.append(block)
        size += len(block.encode("utf-8"))
    return "".join(parts)


def run_one(megabytes: float, lang: str) -> dict[str, Any]:
    """Analyse one report of ``megabytes`` MB in this process; wall time and this process's peak RSS."""
    from calcitrack.app.analyze import analyze
    from calcitrack.models import Report

    analyze(Report(text=example_texts(lang)[0], lang=lang))  # warm-up: KB and pipelines built here
    text = build_report(megabytes, lang)
    start = time.perf_counter()
    analysis = analyze(Report(id="large", text=text, lang=lang))
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"mb": len(text.encode("utf-8")) / 1_000_000, "seconds": seconds, "peak_mb": peak_mb,
            "findings": len(analysis.findings), "lesions": len(analysis.lesions)}


def profile_one(megabytes: float, lang: str, top: int = 25) -> None:
    """cProfile of one analysis of ``megabytes`` MB: where the time goes, by cumulative and internal time."""
    from calcitrack.app.analyze import analyze
    from calcitrack.models import Report

    analyze(Report(text=example_texts(lang)[0], lang=lang))
    text = build_report(megabytes, lang)
    profiler = cProfile.Profile()
    profiler.enable()
    analyze(Report(id="large", text=text, lang=lang))
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=list(DEFAULT_SIZES), help="report sizes in MB")
    parser.add_argument("--lang", choices=("en", "fr"), default="en")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds allowed per size")
    parser.add_argument("--profile", type=float, metavar="MB", help="cProfile one size instead of the table")
    parser.add_argument("--child", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(run_one(args.child, args.lang)))
        return
    if args.profile is not None:
        profile_one(args.profile, args.lang)
        return
    print(f"one report per size, language {args.lang}, one child process per size (peak RSS includes the models)")
    print(f"{'size MB':>8}{'seconds':>9}{'peak MB':>9}{'s per MB':>10}{'findings':>10}{'lesions':>9}")
    for size in args.sizes:
        cmd = [sys.executable, __file__, "--child", str(size), "--lang", args.lang]
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=args.timeout)
        except subprocess.TimeoutExpired:
            print(f"{size:>8.1f}  more than {args.timeout:.0f} s: stopped (larger sizes skipped)")
            break
        except subprocess.CalledProcessError as exc:
            last = (exc.stderr.strip().splitlines() or ["?"])[-1]
            print(f"{size:>8.1f}  failed: {last}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['mb']:>8.2f}{r['seconds']:>9.2f}{r['peak_mb']:>9.0f}{r['seconds'] / r['mb']:>10.2f}"
              f"{r['findings']:>10}{r['lesions']:>9}", flush=True)


if __name__ == "__main__":
    main()
