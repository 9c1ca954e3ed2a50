"""API latency benchmark: ``POST /api/v1/analyze`` of a 300-word report on one uvicorn worker.

Why end to end: what a caller waits for is the whole request - TCP, authentication (key lookup), the
NLP, the engine, the audit insert and the JSON - so the real ``calcitrack serve`` runs in a subprocess on
127.0.0.1 and httpx calls it over one keep-alive connection, sequentially. Targets: p50 < 20 ms,
p99 < 100 ms.

    .venv/bin/python benchmarks/api.py                    # 1000 requests after 100 warm-up requests
    .venv/bin/python benchmarks/api.py --requests 3000 --database postgresql://...

The database is a temporary SQLite file unless ``--database`` is given (it must be migrated, and gets a
``bench-<pid>`` user with a clinician key). Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from calcitrack.app.auth import add_user, create_key
from calcitrack.registry.db import make_engine, session_scope, upgrade

P50_TARGET_MS = 20.0
P99_TARGET_MS = 100.0

_SENTENCES = (
    "ABDOMINAL ULTRASOUND. Indication: right upper quadrant discomfort, abnormal liver tests on routine bloods.",
    "Comparison: ultrasound of the abdomen performed eighteen months ago at another institution.",
    "Technique: grey-scale and colour Doppler imaging of the upper abdomen with a curvilinear transducer.",
    "The liver is normal in size, measuring 15 cm in the midclavicular line, with smooth contour.",
    "The hepatic echotexture is homogeneous without features of steatosis or coarse parenchymal change.",
    "A 6 mm coarse echogenic focus with posterior acoustic shadowing is seen in segment VI of the liver.",
    "It is consistent with a calcification and is unchanged in size compared with the prior examination.",
    "No solid focal liver lesion is identified and there is no surrounding soft tissue or mass.",
    "The portal vein is patent with normal hepatopetal flow; the hepatic veins are patent.",
    "The gallbladder is well distended with a thin wall and contains no stones or sludge.",
    "The common bile duct measures 4 mm and there is no intrahepatic biliary dilatation.",
    "The pancreas is partially obscured by bowel gas; the visualised head and body are unremarkable.",
    "The spleen is normal in size at 10 cm with homogeneous echotexture and no focal lesion.",
    "Both kidneys are normal in size and position with preserved corticomedullary differentiation.",
    "There is no hydronephrosis, no renal calculus and no perinephric collection on either side.",
    "The abdominal aorta is of normal calibre where seen and the inferior vena cava is unremarkable.",
    "No free fluid is present in the abdomen or pelvis and there is no pleural effusion at the bases.",
    "The urinary bladder is partially filled and appears normal in outline.",
)
_IMPRESSION = (
    "Impression: stable 6 mm calcification in segment VI of the liver, most likely a calcified granuloma. "
    "Otherwise normal upper abdominal ultrasound. No follow-up imaging is required for this finding."
)


def report_text(words: int = 300) -> str:
    """A realistic English ultrasound report of about ``words`` words (the impression always included)."""
    body: list[str] = []
    count = len(_IMPRESSION.split())
    index = 0
    while count < words:
        sentence = _SENTENCES[index % len(_SENTENCES)]
        body.append(sentence)
        count += len(sentence.split())
        index += 1
    return "\n".join([*body, _IMPRESSION])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    rank = max(1, round(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--words", type=int, default=300)
    parser.add_argument("--database", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="calcitrack-bench-api-") as tmp:
        url = args.database or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        name = f"bench-{os.getpid()}"
        with session_scope(engine) as session:
            add_user(session, name, "clinician", actor="benchmark", source="benchmark")
            key = create_key(session, name, actor="benchmark", source="benchmark")
        engine.dispose()

        port = free_port()
        env = dict(os.environ)
        log_path = Path(tmp) / "server.log"
        with log_path.open("w") as log_file:
            server = subprocess.Popen(
                [sys.executable, "-m", "calcitrack", "serve", "--host", "127.0.0.1", "--port", str(port),
                 "--workers", "1", "--log-level", "warning", "--database", url],
                stdout=log_file, stderr=subprocess.STDOUT, env=env,
            )
            try:
                return _measure(f"http://127.0.0.1:{port}", key, args, server, log_path)
            finally:
                server.terminate()
                try:
                    server.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    server.kill()


def _measure(base: str, key: str, args: argparse.Namespace, server: subprocess.Popen[bytes], log: Path) -> int:
    deadline = time.monotonic() + 180
    while True:
        if server.poll() is not None:
            print(log.read_text()[-3000:], file=sys.stderr)
            print("server exited before it was ready", file=sys.stderr)
            return 2
        try:
            if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            print("server not ready after 180 s", file=sys.stderr)
            return 2
        time.sleep(0.25)

    text = report_text(args.words)
    body = {"text": text, "lang": "en"}
    headers = {"X-API-Key": key}
    latencies: list[float] = []
    server_ms: list[float] = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(args.warmup):
            client.post("/api/v1/analyze", json=body, headers=headers).raise_for_status()
        for _ in range(args.requests):
            started = time.perf_counter()
            response = client.post("/api/v1/analyze", json=body, headers=headers)
            latencies.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
            timings = response.json()["timings"]
            server_ms.append(sum(timings.values()))
    latencies.sort()
    p50, p95, p99 = (percentile(latencies, f) for f in (0.50, 0.95, 0.99))
    findings = len(response.json()["findings"])
    print(f"POST /api/v1/analyze, {len(text.split())}-word report ({findings} finding(s)), 1 uvicorn worker, "
          f"{args.requests} sequential requests after {args.warmup} warm-up, keep-alive, 127.0.0.1")
    print(f"  p50 {p50:7.2f} ms   (target < {P50_TARGET_MS:g} ms)")
    print(f"  p95 {p95:7.2f} ms")
    print(f"  p99 {p99:7.2f} ms   (target < {P99_TARGET_MS:g} ms)")
    print(f"  mean {statistics.fmean(latencies):6.2f} ms, max {latencies[-1]:.2f} ms; "
          f"analysis itself (nlp+assess) median {statistics.median(server_ms):.2f} ms")
    passed = p50 < P50_TARGET_MS and p99 < P99_TARGET_MS
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
