"""Batch throughput on MTSamples repeated to >= 20,000 reports: per core, per worker count, local vs Spark.

Prints, in one run (each mode in its own child process, so peak memory is per mode and per worker):

- ``regex scan``: a bare Python ``re`` scan for the lexicon's stems over every text, one core — the floor
  of cost of looking at every report at all;
- ``analyze, prefilter`` / ``analyze, no prefilter``: ``service.analyze`` per report from memory, one core;
  without the prefilter every report is tokenised and run through the pipeline whole (a sample: it is slow);
- ``plain EDS-NLP``: ``eds.sentences`` + ``eds.normalizer`` + ``eds.matcher`` + ``eds.negation`` via
  ``nlp.pipe``, one core, on a sample;
- ``batch, 1 worker``: ``calcitrack batch`` end to end (read JSONL, analyse, write JSONL, checkpoint every
  chunk), one core; ``batch, 2 workers`` (JSONL and Parquet out); ``batch --engine spark``, Spark
  ``local[2]``;

then the ratios against the targets of issue 10 (PASS/MISS) and whether the outputs of 1 worker, 2
workers and Spark are byte-identical. Batch rates exclude start-up (workers building their pipelines,
the JVM starting), which is printed apart; peak memory is ``ru_maxrss`` of each worker process (for
Spark, of each Python worker; the JVM is not counted).

Run: ``.venv/bin/python benchmarks/batch.py [PATH] [--reports N]`` (default ../shared/corpus/mtsamples.csv,
repeated to 20,000 reports or more; ``--reports 3000`` for a quick run).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "mtsamples.csv"
PEERS = DEFAULT.parent / "peers.md"
MIN_REPORTS = 20_000
SAMPLE = 1_000
"""Reports timed for the slow modes (no prefilter, plain EDS-NLP): their per-report cost does not depend on
how often the corpus is repeated."""
MODES = ("regex", "prefilter", "no_prefilter", "plain_eds", "batch_w1", "batch_w2", "batch_w2_parquet", "spark")
LABELS = {
    "regex": "bare regex scan (lexicon stems), 1 core",
    "prefilter": "calcitrack analyze, prefilter, 1 core (in memory)",
    "no_prefilter": "calcitrack analyze, no prefilter, 1 core (in memory)",
    "plain_eds": "plain EDS-NLP pipeline, 1 core (in memory)",
    "batch_w1": "calcitrack batch, 1 worker (JSONL -> JSONL)",
    "batch_w2": "calcitrack batch, 2 workers (JSONL -> JSONL)",
    "batch_w2_parquet": "calcitrack batch, 2 workers (JSONL -> Parquet)",
    "spark": "calcitrack batch --engine spark, local[2] (JSONL)",
}


def write_corpus(csv_path: Path, reports: int, out: Path) -> int:
    """MTSamples transcriptions repeated (ids made unique) to ``reports`` lines of JSONL."""
    csv.field_size_limit(sys.maxsize)
    with csv_path.open(encoding="utf-8", errors="replace", newline="") as fh:
        texts = [row.get("transcription") or "" for row in csv.DictReader(fh)]
    with out.open("w", encoding="utf-8") as fh:
        for i in range(reports):
            fh.write(json.dumps({"id": f"mt{i // len(texts)}-{i % len(texts)}", "text": texts[i % len(texts)]}) + "\n")
    return len(texts)


def load_texts(path: Path, limit: int | None = None) -> list[str]:
    with path.open(encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh]
    return texts[:limit] if limit else texts


def _pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[-1]})


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_in_memory(mode: str, corpus: Path) -> dict[str, Any]:
    _pin_one_core()
    if mode == "regex":
        from calcitrack.nlp.lexicon import get_lexicon

        # The prefilter's stems, matched on the lower-cased text (as peers.md's "plain Python re scan"; an
        # IGNORECASE alternation is five times slower and would flatter the ratio).
        stems = sorted(set(get_lexicon("en").stems) | set(get_lexicon("fr").stems))
        pattern = re.compile("|".join(re.escape(s) for s in stems))
        texts = load_texts(corpus)
        start, cpu_start = time.perf_counter(), time.process_time()
        hits = sum(1 for t in texts for _ in pattern.finditer(t.lower()))
    elif mode == "plain_eds":
        texts = load_texts(corpus, SAMPLE)
        from baselines import plain_eds_pipeline  # benchmarks/ is on sys.path when run as a script

        nlp = plain_eds_pipeline()
        list(nlp.pipe(texts[:20]))
        start, cpu_start = time.perf_counter(), time.process_time()
        hits = sum(len(doc.ents) for doc in nlp.pipe(texts))
    else:
        from calcitrack.assess import assess_findings
        from calcitrack.kb import get_kb
        from calcitrack.models import Report
        from calcitrack.nlp import read_report
        from calcitrack.service import analyze

        texts = load_texts(corpus, None if mode == "prefilter" else SAMPLE)
        analyze(Report(text="warm-up: a calcification in the liver", lang="en"))
        start, cpu_start = time.perf_counter(), time.process_time()
        if mode == "prefilter":
            hits = sum(len(analyze(Report(text=t)).findings) for t in texts)
        else:
            kb = get_kb()
            hits = 0
            for t in texts:
                reading = read_report(Report(text=t), prefilter=False)
                assess_findings(reading.findings, reading.context, policy=kb.resolve_policy(None), lang=reading.lang,
                                kb=kb, report_recommendations=reading.report_recommendations)
                hits += len(reading.findings)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    return {"mode": mode, "cpu": cpu, "reports": len(texts), "seconds": seconds, "rate": len(texts) / seconds,
            "hits": hits, "cores": 1, "startup": 0.0, "peak_mb": [_peak_mb()]}


def run_batch_mode(mode: str, corpus: Path, out_dir: Path) -> dict[str, Any]:
    from calcitrack.batch import BatchOptions, run_batch
    from calcitrack.batch.runner import Engine
    from calcitrack.batch.work import OutputFormat

    workers = 1 if mode == "batch_w1" else 2
    if workers == 1:
        _pin_one_core()
    fmt = OutputFormat.parquet if mode.endswith("parquet") else OutputFormat.jsonl
    out = out_dir / (f"{mode}.jsonl" if fmt == OutputFormat.jsonl else mode)
    stats = run_batch(BatchOptions(input=corpus, out=out, fmt=fmt, workers=workers,
                                   engine=Engine.spark if mode == "spark" else Engine.local))
    jvm_cpu = None
    if mode == "spark":
        # The JVM's CPU for the whole run (start-up included): what Spark costs on top of the Python workers.
        from pyspark import SparkContext

        context = SparkContext._active_spark_context
        gateway = getattr(context, "_gateway", None)
        proc = getattr(gateway, "proc", None)
        if proc is not None:
            fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            jvm_cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    peaks = sorted(stats.peak_rss_mb.values()) if workers > 1 or mode == "spark" else [_peak_mb()]
    # In-process, the "worker" is the main process: count its CPU once.
    cpu = stats.main_cpu_seconds + (stats.worker_cpu_seconds if workers > 1 or mode == "spark" else 0.0)
    return {"mode": mode, "reports": stats.items, "seconds": stats.seconds, "rate": stats.reports_per_s,
            "hits": stats.findings, "cores": stats.workers, "startup": stats.startup_seconds, "peak_mb": peaks,
            "out": str(out), "cpu": cpu, "jvm_cpu": jvm_cpu}


def medspacy_figure() -> float | None:
    """medspaCy's docs/s in ``peers.md`` (spaCy sentencizer + target matcher + ConText, one core)."""
    try:
        for line in PEERS.read_text(encoding="utf-8").splitlines():
            if line.startswith("| medspaCy: spaCy sentencizer"):
                return float(line.split("|")[2].strip().replace(",", ""))
    except OSError:
        return None
    return None


def verdict(ok: bool | None, value: str) -> str:
    """PASS/MISS for a target; INFO for a figure without a target; ---- when a mode it needs did not run."""
    if "nan" in value or value == "-":
        return "----"
    if ok is None:
        return "INFO"
    return "PASS" if ok else "MISS"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--reports", type=int, default=None, help=f"reports to run (default: >= {MIN_REPORTS:,})")
    parser.add_argument("--only", help=f"comma-separated modes to run (default: all of {', '.join(MODES)})")
    parser.add_argument("--mode", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:
        if args.mode.startswith("batch") or args.mode == "spark":
            result = run_batch_mode(args.mode, args.corpus, args.out_dir)
        else:
            result = run_in_memory(args.mode, args.corpus)
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory(prefix="calcitrack-bench-") as tmp:
        work = Path(tmp)
        corpus = work / "corpus.jsonl"
        with args.path.open(encoding="utf-8", errors="replace", newline="") as fh:
            csv.field_size_limit(sys.maxsize)
            distinct = sum(1 for _ in csv.DictReader(fh))
        reports = args.reports or max(MIN_REPORTS, distinct * -(-MIN_REPORTS // distinct))
        write_corpus(args.path, reports, corpus)
        words = sum(len(t.split()) for t in load_texts(corpus))
        print(f"{args.path.name}: {distinct:,} distinct reports repeated to {reports:,} ({words / 1e6:.1f} M words); "
              f"{len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()} cores; "
              f"one child process per mode; slow modes on the first {SAMPLE:,} reports")
        print(f"load average at start: {os.getloadavg()[0]:.1f} (other processes share these cores; /CPU-s is "
              f"reports per CPU-second of the workers and the main process, which contention does not change)")
        results: dict[str, dict[str, Any]] = {}
        modes = [m for m in MODES if not args.only or m in args.only.split(",")]
        for mode in modes:
            cmd = [sys.executable, __file__, "--mode", mode, "--corpus", str(corpus), "--out-dir", str(work)]
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode != 0:
                print(f"{LABELS[mode]}: FAILED ({done.stderr.strip().splitlines()[-1:]})")
                continue
            results[mode] = json.loads(done.stdout.strip().splitlines()[-1])
            r = results[mode]
            print(f"  {LABELS[mode]:<52}{r['rate']:>9,.0f} reports/s{r['rate'] / r['cores']:>9,.0f} /core"
                  f"{r['reports']:>8,} reports{r['seconds']:>7.1f} s  start-up {r['startup']:>5.1f} s  "
                  f"{r['reports'] / r['cpu']:>8,.0f} /CPU-s  peak MB/worker "
                  f"{', '.join(f'{m:.0f}' for m in r['peak_mb'])}", flush=True)
            if r.get("jvm_cpu") is not None:
                print(f"    (Spark JVM: {r['jvm_cpu']:.1f} CPU-s over the whole run, start-up included, on the same "
                      f"cores; Python workers: {r['cpu']:.1f} CPU-s timed)", flush=True)
        print(f"load average at end: {os.getloadavg()[0]:.1f}")
        report(results, work)


def report(results: dict[str, dict[str, Any]], work: Path) -> None:
    """Ratios against the targets, and identity of the outputs."""
    def rate(mode: str) -> float:
        return float(results[mode]["rate"]) if mode in results else float("nan")

    per_core = rate("batch_w1")
    medspacy = medspacy_figure()
    print("targets (issue 10):")
    rows: list[tuple[str, str, bool | None]] = [
        ("end to end per core (batch, 1 worker) >= 2,000 reports/s", f"{per_core:,.0f}", per_core >= 2000),
        ("per core / plain EDS-NLP >= 10x", f"{per_core / rate('plain_eds'):.1f}x", per_core / rate("plain_eds") >= 10),
        ("analyze with / without prefilter", f"{rate('prefilter') / rate('no_prefilter'):.1f}x", None),
        ("regex scan / per core <= 4x (within 4x of the floor)", f"{rate('regex') / per_core:.1f}x",
         rate("regex") / per_core <= 4),
        ("2 workers / 1 worker >= 1.8x", f"{rate('batch_w2') / per_core:.2f}x", rate("batch_w2") / per_core >= 1.8),
        ("local workers / Spark local, per core <= 1.5x",
         f"{(rate('batch_w2') / 2) / (rate('spark') / max(results.get('spark', {}).get('cores', 2), 1)):.2f}x",
         (rate("batch_w2") / 2) / (rate("spark") / max(results.get("spark", {}).get("cores", 2), 1)) <= 1.5),
    ]
    if medspacy:
        rows.insert(2, (f"per core / medspaCy ({medspacy:.0f} docs/s in peers.md) >= 20x",
                        f"{per_core / medspacy:.1f}x", per_core / medspacy >= 20))
    peaks = [m for r in results.values() for m in r["peak_mb"] if r["mode"].startswith(("batch", "spark"))]
    rows.append(("peak memory per worker < 500 MB", f"{max(peaks):.0f} MB" if peaks else "-", bool(peaks) and
                 max(peaks) < 500))
    if "batch_w2" in results and "batch_w1" in results:
        cpu_ratio = (results["batch_w2"]["reports"] / results["batch_w2"]["cpu"]) / (
            results["batch_w1"]["reports"] / results["batch_w1"]["cpu"])
        rows.append(("2 workers / 1 worker, reports per CPU-second (parallel efficiency)", f"{cpu_ratio:.2f}",
                     cpu_ratio >= 0.9))
    compared = [m for m in ("batch_w1", "batch_w2", "spark") if m in results]
    if len(compared) >= 2:
        data = [Path(results[m]["out"]).read_bytes() for m in compared]
        same = all(d == data[0] for d in data)
        rows.append((f"output identical (bytes): {', '.join(compared)}", "identical" if same else "DIFFERENT", same))
    for label, value, ok in rows:
        print(f"  {verdict(ok, value)}  {label:<62}{value:>12}")


if __name__ == "__main__":
    main()
