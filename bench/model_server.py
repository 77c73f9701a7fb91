"""Built-in XGBoost replicas: start time and single-row invocation latency.

Starts ``python -m drydock.algorithms.xgboost serve`` as the replica backend does (its own process,
``SM_MODEL_DIR`` and a free ``SAGEMAKER_BIND_TO_PORT``) with a model trained here, and measures:

1. **start** — from ``Popen`` to the first ``GET /ping`` that answers 200 (polled every 5 ms), against
   the floor of the same interpreter running ``pass``; and the CPU time the replica had used by then
   (``/proc/<pid>/stat``), which a busy machine does not inflate as it does the wall time;
2. **latency** — sequential single-row ``text/csv`` invocations on one kept-alive httpx connection:
   p50/p90/p99 over ``--requests``, against ``GET /ping`` on the same connection (the HTTP round trip
   alone) and ``Booster.inplace_predict`` on the same row in this process (the model alone).

Prints a table and appends a dated section to docs/benchmarks.md (machine, date, commit, numbers).
A script, not a test: ``.venv/bin/python bench/model_server.py [--starts 10] [--requests 500]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
import xgboost as xgb
from sklearn.datasets import make_classification  # type: ignore[import-untyped]

sys.path.insert(0, str(Path(__file__).resolve().parent))
from control_plane import machine

from drydock.algorithms.xgboost.checkpoints import write_booster
from drydock.testing.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
PARAMS = {"objective": "binary:logistic", "max_depth": 6, "eta": 0.1, "nthread": 1, "seed": 0}
ROUNDS, FEATURES = 100, 20


def _model(directory: Path) -> tuple[xgb.Booster, np.ndarray]:
    x, y = make_classification(n_samples=5000, n_features=FEATURES, random_state=0)
    booster = xgb.train(PARAMS, xgb.DMatrix(x, label=y), ROUNDS)
    write_booster(booster, directory / "xgboost-model")
    return booster, x


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _start(model_dir: Path) -> tuple[subprocess.Popen[bytes], str, float, float]:
    port = free_port()
    env = {**os.environ, "SM_MODEL_DIR": str(model_dir), "SAGEMAKER_BIND_TO_PORT": str(port)}
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "drydock.algorithms.xgboost", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = started + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/ping", timeout=1).status_code == 200:
                return process, url, time.monotonic() - started, _cpu_seconds(process.pid)
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise SystemExit(f"the replica exited with {process.returncode}")
        time.sleep(0.005)
    process.kill()
    raise SystemExit("the replica never answered /ping")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=30)


def _interpreter_floor(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.monotonic()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.monotonic() - started)
    return times


def _timed(call: Callable[[], object], count: int) -> list[float]:
    for _ in range(min(50, count)):  # warm up: first connections, caches, thread pool
        call()
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def _quantiles(samples: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return statistics.median(samples), cuts[89], cuts[98]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=10, help="replica starts to time")
    parser.add_argument("--requests", type=int, default=500, help="sequential invocations to time")
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to docs/benchmarks.md")
    args = parser.parse_args()
    info = machine()
    with tempfile.TemporaryDirectory(prefix="drydock-bench-") as home:
        model_dir = Path(home)
        booster, x = _model(model_dir)
        floor = _interpreter_floor(args.starts)
        starts, start_cpu = [], []
        for _ in range(args.starts):
            process, url, seconds, cpu = _start(model_dir)
            starts.append(seconds)
            start_cpu.append(cpu)
            _stop(process)
        process, url, _, _ = _start(model_dir)
        row = x[:1]
        body = ",".join(repr(float(v)) for v in row[0]).encode()
        headers = {"Content-Type": "text/csv", "Accept": "text/csv"}
        try:
            with httpx.Client(base_url=url) as client:
                expected = np.float32(booster.inplace_predict(row)[0])
                answer = client.post("/invocations", content=body, headers=headers)
                assert np.float32(float(answer.text)) == expected, answer.text
                invoke = _timed(lambda: client.post("/invocations", content=body, headers=headers), args.requests)
                ping = _timed(lambda: client.get("/ping"), args.requests)
        finally:
            _stop(process)
        booster.set_param("nthread", "1")
        model = _timed(lambda: booster.inplace_predict(row, validate_features=False), args.requests)
    rows = [
        ("replica start: Popen → /ping 200", starts, "s"),
        ("replica CPU time until /ping 200", start_cpu, "s"),
        ("floor: `python -c pass`", floor, "s"),
        ("single-row CSV `POST /invocations`", invoke, "ms"),
        ("HTTP alone: `GET /ping`, same connection", ping, "ms"),
        ("model alone: in-process `inplace_predict`", model, "ms"),
    ]
    lines = ["| measurement | n | p50 | p90 | p99 | unit |", "|---|---:|---:|---:|---:|---|"]
    for name, samples, unit in rows:
        scale = 1000.0 if unit == "ms" else 1.0
        p50, p90, p99 = (value * scale for value in _quantiles(samples))
        lines.append(f"| {name} | {len(samples)} | {p50:.3f} | {p90:.3f} | {p99:.3f} | {unit} |")
    table = "\n".join(lines)
    print(table)
    if not args.no_record:
        section = (
            f"\n## Model server: built-in XGBoost replica start and invocation latency — {info['date']}\n\n"
            f"`bench/model_server.py --starts {args.starts} --requests {args.requests}`: binary:logistic, "
            f"{ROUNDS} trees of depth 6, {FEATURES} features; one replica process, one kept-alive httpx client.\n\n"
            f"- commit: {info['commit']}\n"
            f"- machine: {info['cpus']}, {info['memory']} memory; load average before the run {info['load']}\n"
            f"- python: {info['python']}; xgboost {xgb.__version__}\n\n{table}\n"
        )
        with DOC.open("a") as doc:
            doc.write(section)


if __name__ == "__main__":
    main()
