"""Control-plane speed: DescribeModel requests/s and latency against a live embedded server.

Starts a real ``drydock server`` (SQLite, embedded defaults) on a free loopback port, creates one
model, then for each concurrency (1 and 16 clients by default) runs two loops for a fixed time:

- ``boto3``: each client is a real boto3 SageMaker client calling ``describe_model`` — what users see;
- ``raw``: each client sends the same SigV4-signed JSON 1.1 request over a keep-alive
  ``http.client`` connection, with no SDK in the way — the same-run reference that shows what the
  server alone costs, and so what the client library adds (reported as the boto3/raw ratio).

Clients are separate **processes**, not threads: a boto3 call spends ~1 ms of Python CPU on the
client side, so 16 threads in one interpreter would be capped by that process's GIL at one core and
the benchmark would measure the client. Processes let the clients use every core the server does not.

Prints a table and appends a dated section to docs/benchmarks.md (machine, date, commit, numbers).
A script, not a test: ``.venv/bin/python bench/control_plane.py [--duration 10] [--clients 1,16]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import hmac
import http.client
import json
import multiprocessing as mp
import os
import platform
import subprocess
import sys
import tempfile
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import boto3
import botocore

from drydock.testing.live_server import ACCESS_KEY, REGION, SECRET_KEY, LiveServer

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
MODEL = "bench-model"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
WARMUP_REQUESTS = 20
MAX_ERRORS = 50


class RawClient:
    """DescribeModel as bytes on a socket: SigV4 signing by hand, one keep-alive connection."""

    def __init__(self, port: int) -> None:
        self.host = f"127.0.0.1:{port}"
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.body = json.dumps({"ModelName": MODEL}).encode()
        self.payload_hash = hashlib.sha256(self.body).hexdigest()
        self._keys: dict[str, bytes] = {}

    def _key(self, day: str) -> bytes:
        if day not in self._keys:
            key = ("AWS4" + SECRET_KEY).encode()
            for part in (day, REGION, "sagemaker", "aws4_request"):
                key = hmac.new(key, part.encode(), hashlib.sha256).digest()
            self._keys[day] = key
        return self._keys[day]

    def describe_model(self) -> None:
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        headers = {
            "content-type": "application/x-amz-json-1.1",
            "host": self.host,
            "x-amz-date": amz_date,
            "x-amz-target": "SageMaker.DescribeModel",
        }
        signed = ";".join(headers)
        canonical = "\n".join(
            ["POST", "/", "", *(f"{k}:{v}" for k, v in headers.items()), "", signed, self.payload_hash]
        )
        scope = f"{amz_date[:8]}/{REGION}/sagemaker/aws4_request"
        to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        signature = hmac.new(self._key(amz_date[:8]), to_sign.encode(), hashlib.sha256).hexdigest()
        headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{scope}, SignedHeaders={signed}, Signature={signature}"
        )
        self.connection.request("POST", "/", body=self.body, headers=headers)
        response = self.connection.getresponse()
        payload = response.read()
        if response.status != 200 or b'"ModelName"' not in payload:
            raise RuntimeError(f"DescribeModel answered {response.status}: {payload[:200]!r}")


def _client_call(mode: str, live: LiveServer) -> Callable[[], Any]:
    if mode == "raw":
        return RawClient(live.port).describe_model
    client = live.client("sagemaker")
    return lambda: client.describe_model(ModelName=MODEL)


def _worker(mode: str, live: LiveServer, duration: float, barrier: Barrier, results: Any) -> None:
    call = _client_call(mode, live)
    for _ in range(WARMUP_REQUESTS):  # connections, boto3's lazy loading, the server's caches
        call()
    barrier.wait(120)
    latencies, errors = array("d"), 0
    started = time.monotonic()
    deadline = started + duration
    now = started
    while now < deadline and errors < MAX_ERRORS:
        before = time.perf_counter()
        try:
            call()
            latencies.append(time.perf_counter() - before)
        except Exception:
            errors += 1
        now = time.monotonic()
    results.put((latencies.tobytes(), errors, started, now))


@dataclass
class Run:
    mode: str
    clients: int
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    server_cpu: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(live: LiveServer, mode: str, clients: int, duration: float) -> Run:
    context = mp.get_context("fork")
    barrier = context.Barrier(clients + 1)
    results = context.Queue()
    workers = [context.Process(target=_worker, args=(mode, live, duration, barrier, results)) for _ in range(clients)]
    for worker in workers:
        worker.start()
    assert live.process is not None
    barrier.wait(120)
    cpu_before, wall_before = _cpu_seconds(live.process.pid), time.monotonic()
    collected = [results.get(timeout=duration + 120) for _ in workers]
    cpu = (_cpu_seconds(live.process.pid) - cpu_before) / (time.monotonic() - wall_before)
    for worker in workers:
        worker.join(30)
    latencies = array("d")
    for raw, _errors, _start, _end in collected:
        latencies.frombytes(raw)
    ordered = sorted(latencies)
    seconds = max(end for *_, end in collected) - min(start for _raw, _errors, start, _end in collected)

    def percentile(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")

    errors = sum(e for _raw, e, _s, _e in collected)
    return Run(mode, clients, len(ordered), errors, seconds, percentile(0.50), percentile(0.99), cpu)


def machine() -> dict[str, str]:
    meminfo = Path("/proc/meminfo").read_text().split("\n")[0].split()
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True)
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": (commit.stdout.strip() or "unknown")
        + (" (plus uncommitted changes)" if dirty.stdout.strip() else ""),
        "cpus": f"{os.cpu_count()} cores, {cpu}",
        "memory": f"{int(meminfo[1]) / 1024 / 1024:.1f} GiB",
        "load": "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg()),
        "python": f"{platform.python_version()} on {platform.platform()}",
        "clients": f"boto3 {boto3.__version__} / botocore {botocore.__version__}",
    }


def table(runs: list[Run]) -> str:
    raw = {r.clients: r for r in runs if r.mode == "raw"}
    lines = [
        "| client | clients | requests | req/s | p50 ms | p99 ms | errors | server CPU | CPU ms/req | boto3 ÷ raw |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        ratio = f"{r.rate / raw[r.clients].rate:.2f}" if r.mode == "boto3" and r.clients in raw else ""
        lines.append(
            f"| {r.mode} | {r.clients} | {r.requests} | {r.rate:.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | "
            f"{r.errors} | {r.server_cpu * 100:.0f}% | {r.server_cpu * 1000 / r.rate:.2f} | {ratio} |"
        )
    return "\n".join(lines)


def append_to_doc(info: dict[str, str], duration: float, runs: list[Run], note: str) -> None:
    if not DOC.exists():
        DOC.write_text("# Benchmarks\n\nResults appended by the scripts in `bench/`; newest last.\n")
    section = [
        "",
        f"## Control plane: DescribeModel — {info['date']}",
        "",
        f"`bench/control_plane.py --duration {duration:g}`: one embedded server (SQLite), client processes on the "
        "same machine, each looping DescribeModel for the duration.",
        "",
        f"- commit: {info['commit']}",
        f"- machine: {info['cpus']}, {info['memory']} memory; load average before the run {info['load']}",
        f"- python: {info['python']}; {info['clients']}",
        "",
        table(runs),
        "",
    ]
    if note:
        section += [note, ""]
    with DOC.open("a") as doc:
        doc.write("\n".join(section))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement (default 10)")
    parser.add_argument("--clients", default="1,16", help="comma-separated client counts (default 1,16)")
    parser.add_argument("--no-doc", action="store_true", help="print only; do not append to docs/benchmarks.md")
    parser.add_argument("--note", default="", help="a sentence to add under the results in the doc")
    args = parser.parse_args()
    counts = [int(c) for c in args.clients.split(",")]
    info = machine()
    with tempfile.TemporaryDirectory(prefix="drydock-bench-") as home:
        # Embedded SQLite whatever the caller's DRYDOCK_DB, and production settings: no response
        # validation against the service model, no per-request info logs.
        settings = {"DRYDOCK_DB": "", "DRYDOCK_STRICT_RESPONSES": "0", "DRYDOCK_LOG_LEVEL": "warning"}
        live = LiveServer(Path(home), extra_env=settings)
        live.start()
        try:
            live.client("sagemaker").create_model(ModelName=MODEL, PrimaryContainer={"Image": IMAGE})
            runs = []
            for clients in counts:
                for mode in ("raw", "boto3"):
                    run = measure(live, mode, clients, args.duration)
                    print(
                        f"{mode:>5} x {clients:<2}: {run.rate:7.0f} req/s  p50 {run.p50_ms:6.2f} ms  "
                        f"p99 {run.p99_ms:6.2f} ms  errors {run.errors}",
                        file=sys.stderr,
                    )
                    runs.append(run)
        finally:
            live.stop()
    print(table(runs))
    if not args.no_doc:
        append_to_doc(info, args.duration, runs, args.note)
        print(f"\nappended to {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
