"""Training jobs: start latency, and overhead against xgboost called in-process.

Starts a real ``drydock server`` (embedded defaults) on a free loopback port and measures:

1. **start latency** — from CreateTrainingJob to the first line the program logs, for a tiny
   bring-your-own program (``ContainerEntrypoint``: one ``print``) and for built-in XGBoost (one round
   on a 20-row csv). Two readings per job: *client*, the wall time until the line is visible through
   CloudWatch Logs ``GetLogEvents`` polling (what ``fit(logs=True)`` or ``aws logs tail`` sees); and
   *server*, the log event's timestamp minus the job's ``CreationTime`` (the job's own timestamps).
2. **overhead** — a built-in XGBoost job sized to take 30-60 s (``make_classification`` data as
   parquet, ``nthread=1``), against ``xgboost.train`` called in this process on the same matrix with the
   same parameters, number of rounds and evaluation set. Ratios: TrainingStartTime..TrainingEndTime and
   Create..Completed (as the client saw it) over the in-process ``xgboost.train`` wall time (the mean of
   one run before the jobs and one after, so a change of the machine's load shows). The job
   runs twice: as any XGBoost job after the server's first, in a warm worker (the start-latency jobs
   before it left one spare); and in a fresh process, which a job gets when it sets ``Environment``.

Prints a table and appends a dated section to docs/benchmarks.md (machine, date, commit, numbers).
A script, not a test: ``.venv/bin/python bench/training.py [--jobs 10] [--target 40]``.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import xgboost as xgb
from sklearn.datasets import make_classification  # type: ignore[import-untyped]

sys.path.insert(0, str(Path(__file__).resolve().parent))
from control_plane import machine

from drydock.testing.live_server import LiveServer

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
XGB_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
BYO_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/bench-byo:latest"
GROUP = "/aws/sagemaker/TrainingJobs"
BUCKET = "bench-training"
PARAMS = {"objective": "binary:logistic", "max_depth": 6, "eta": 0.1, "tree_method": "hist", "nthread": 1, "seed": 0}
ROWS, FEATURES = 200_000, 40
#: The algorithm's per-round line, ``[12]\ttrain-logloss:0.1``; its other lines start ``[<date>:INFO…]``.
ROUND_LINE = re.compile(r"^\[\d+\]\t")


def _job(
    name: str,
    image: str,
    hyperparameters: dict[str, str],
    prefix: str | None,
    environment: dict[str, str] | None = None,
    **algo: Any,
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "TrainingJobName": name,
        "RoleArn": ROLE,
        "AlgorithmSpecification": {"TrainingImage": image, "TrainingInputMode": "File", **algo},
        "HyperParameters": hyperparameters,
        "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/output"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    }
    if environment:
        request["Environment"] = environment
    if prefix is not None:
        request["InputDataConfig"] = [
            {
                "ChannelName": "train",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/{prefix}/"}},
                "ContentType": "application/x-parquet" if prefix == "big" else "text/csv",
            }
        ]
    return request


def _wait(sagemaker: Any, name: str, timeout: float) -> tuple[dict[str, Any], float]:
    """Poll DescribeTrainingJob (every 50 ms) to an end state; the job and the time it was first seen ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = sagemaker.describe_training_job(TrainingJobName=name)
        if job["TrainingJobStatus"] in ("Completed", "Failed", "Stopped"):
            if job["TrainingJobStatus"] != "Completed":
                raise RuntimeError(f"{name} ended {job['TrainingJobStatus']}: {job.get('FailureReason')}")
            return job, time.time()
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not end within {timeout}s")


def _first_event(logs: Any, name: str, timeout: float = 60.0) -> tuple[dict[str, Any], float]:
    """Poll CloudWatch Logs (every 10 ms) until the job's stream has an event; the event and when it was seen."""
    deadline = time.monotonic() + timeout
    stream = None
    while time.monotonic() < deadline:
        if stream is None:
            try:
                streams = logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix=f"{name}/")["logStreams"]
            except logs.exceptions.ResourceNotFoundException:  # the group appears with the first job's stream
                streams = []
            stream = streams[0]["logStreamName"] if streams else None
        if stream is not None:
            events = logs.get_log_events(logGroupName=GROUP, logStreamName=stream, startFromHead=True)["events"]
            if events:
                return events[0], time.time()
        time.sleep(0.01)
    raise RuntimeError(f"no log line from {name} within {timeout}s")


def start_latency(live: LiveServer, kind: str, jobs: int) -> dict[str, Any]:
    sagemaker, logs = live.client("sagemaker"), live.client("logs")
    client_s, server_s, first_lines = [], [], set()
    for _ in range(jobs):
        name = f"lat-{kind}-{uuid.uuid4().hex[:8]}"
        if kind == "byo":
            request = _job(name, BYO_IMAGE, {}, None, ContainerEntrypoint=[sys.executable, "-c", "print('hello')"])
        else:
            request = _job(name, XGB_IMAGE, {**_hps(), "num_round": "1"}, "tiny")
        created = time.time()
        sagemaker.create_training_job(**request)
        event, seen = _first_event(logs, name)
        job, _ = _wait(sagemaker, name, 60)
        client_s.append(seen - created)
        server_s.append(event["timestamp"] / 1000 - job["CreationTime"].timestamp())
        first_lines.add(event["message"][:60])
    return {
        "kind": kind,
        "jobs": jobs,
        "client": statistics.median(client_s),
        "client_max": max(client_s),
        "server": statistics.median(server_s),
        "server_max": max(server_s),
        "first": sorted(first_lines)[0],
    }


def _hps() -> dict[str, str]:
    return {k: str(v) for k, v in PARAMS.items()}


def _dataset() -> tuple[np.ndarray, np.ndarray]:
    x, y = make_classification(n_samples=ROWS, n_features=FEATURES, n_informative=20, random_state=0)
    return x.astype(np.float32), y.astype(np.float32)


def calibrate(x: np.ndarray, y: np.ndarray, target: float) -> int:
    """Rounds that make an in-process run on a fresh DMatrix last about ``target`` seconds.

    The first ``xgb.train`` on a DMatrix also builds its quantile sketch (the hist method's bins),
    which xgboost caches on the matrix: timing 10 rounds twice on one matrix separates that fixed
    cost from the per-round cost. The timed run then gets a fresh matrix, as the job does.
    """
    dtrain = xgb.DMatrix(x, label=y)
    timings = []
    for _ in range(2):
        started = time.perf_counter()
        xgb.train(PARAMS, dtrain, num_boost_round=10, evals=[(dtrain, "train")], verbose_eval=False)
        timings.append(time.perf_counter() - started)
    per_round = timings[1] / 10
    return max(10, int((target - (timings[0] - timings[1])) / per_round))


def overhead(live: LiveServer, x: np.ndarray, y: np.ndarray, target: float) -> dict[str, Any]:
    s3, sagemaker, logs = live.client("s3"), live.client("sagemaker"), live.client("logs")
    table = pa.table({"label": y, **{f"f{i}": x[:, i] for i in range(x.shape[1])}})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    s3.put_object(Bucket=BUCKET, Key="big/train.parquet", Body=buffer.getvalue())

    rounds = calibrate(x, y, target)
    dmatrix_s, before_s = _in_process(x, y, rounds)
    # A job's own Environment may hold what a process reads as it starts, so it gets a fresh one.
    jobs = {
        "warm worker": _overhead_job(sagemaker, logs, rounds, None),
        "fresh process": _overhead_job(sagemaker, logs, rounds, {"BENCH_RUN": "fresh-process"}),
    }
    # Timed again after the jobs: on a shared machine the load can change within minutes, and the
    # two readings show how far the baseline itself moved.
    _, after_s = _in_process(x, y, rounds)
    return {
        "rows": ROWS,
        "features": FEATURES,
        "parquet_mb": len(buffer.getvalue()) / 2**20,
        "rounds": rounds,
        "dmatrix_s": dmatrix_s,
        "in_process_before_s": before_s,
        "in_process_after_s": after_s,
        "in_process_s": (before_s + after_s) / 2,
        "jobs": jobs,
    }


def _in_process(x: np.ndarray, y: np.ndarray, rounds: int) -> tuple[float, float]:
    """Seconds to build the DMatrix, and ``xgboost.train``'s seconds on it."""
    started = time.perf_counter()
    dtrain = xgb.DMatrix(x, label=y)
    dmatrix_s = time.perf_counter() - started
    started = time.perf_counter()
    xgb.train(PARAMS, dtrain, num_boost_round=rounds, evals=[(dtrain, "train")], verbose_eval=False)
    return dmatrix_s, time.perf_counter() - started


def _overhead_job(sagemaker: Any, logs: Any, rounds: int, environment: dict[str, str] | None) -> dict[str, float]:
    name = f"ovh-{uuid.uuid4().hex[:8]}"
    created = time.time()
    sagemaker.create_training_job(**_job(name, XGB_IMAGE, {**_hps(), "num_round": str(rounds)}, "big", environment))
    job, ended_seen = _wait(sagemaker, name, 600)
    stream = logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix=f"{name}/")["logStreams"][0]
    events = logs.get_log_events(logGroupName=GROUP, logStreamName=stream["logStreamName"], startFromHead=True)
    first_line = events["events"][0]["timestamp"] / 1000  # "Train matrix has …": the data is in a DMatrix
    rounds_seen = [e["timestamp"] / 1000 for e in events["events"] if ROUND_LINE.match(e["message"])]
    phases = {t["Status"]: t["StartTime"].timestamp() for t in job["SecondaryStatusTransitions"]}
    start, end = job["TrainingStartTime"].timestamp(), job["TrainingEndTime"].timestamp()
    return {
        "job_s": end - start,
        "create_to_completed_s": ended_seen - created,
        "downloading_s": phases["Training"] - phases["Downloading"],
        "to_first_line_s": first_line - phases["Training"],
        "round_0_s": rounds_seen[0] - first_line,
        "rounds_s": rounds_seen[-1] - rounds_seen[0],
        "after_last_round_s": end - rounds_seen[-1],
        "creation_to_start_s": start - job["CreationTime"].timestamp(),
    }


def render(latencies: list[dict[str, Any]], ovh: dict[str, Any]) -> str:
    out = ["| program | jobs | client p50 s | client max s | server p50 s | server max s | first line |"]
    out.append("|---|---:|---:|---:|---:|---:|---|")
    for r in latencies:
        label = "BYO `print`" if r["kind"] == "byo" else "built-in XGBoost"
        out.append(
            f"| {label} | {r['jobs']} | {r['client']:.3f} | {r['client_max']:.3f} | {r['server']:.3f} "
            f"| {r['server_max']:.3f} | `{r['first'].strip()}` |"
        )
    base = ovh["in_process_s"]
    out += [
        "",
        f"Overhead: {ovh['rows']:,} rows x {ovh['features']} features ({ovh['parquet_mb']:.0f} MiB parquet), "
        f"{ovh['rounds']} rounds, `{_hps()}`.",
        "",
        "| measurement | seconds | ÷ in-process xgboost.train |",
        "|---|---:|---:|",
        f"| in-process `xgboost.train` (DMatrix built before it: {ovh['dmatrix_s']:.2f} s), mean of the two "
        f"below | {base:.2f} | 1.000 |",
        f"| … timed before the jobs | {ovh['in_process_before_s']:.2f} | {ovh['in_process_before_s'] / base:.3f} |",
        f"| … timed after the jobs | {ovh['in_process_after_s']:.2f} | {ovh['in_process_after_s'] / base:.3f} |",
    ]
    for kind, job in ovh["jobs"].items():
        out += [
            f"| job in a {kind}: TrainingStartTime..TrainingEndTime | {job['job_s']:.2f} | {job['job_s'] / base:.3f} |",
            f"| job in a {kind}: Create..Completed seen by the client | {job['create_to_completed_s']:.2f} "
            f"| {job['create_to_completed_s'] / base:.3f} |",
        ]
    out += ["", "Where each job's time went (from SecondaryStatusTransitions and log event timestamps):", ""]
    for kind, job in ovh["jobs"].items():
        out.append(
            f"- {kind}: CreationTime→TrainingStartTime {job['creation_to_start_s']:.2f} s; Downloading "
            f"{job['downloading_s']:.2f} s; Training→first log line {job['to_first_line_s']:.2f} s "
            f"({'' if kind == 'warm worker' else 'process start, imports, '}parquet → DMatrix); first line→round 0 "
            f"{job['round_0_s']:.2f} s (quantile sketch and round 0, in the in-process time too); round 0→last "
            f"{job['rounds_s']:.2f} s; last round→TrainingEndTime {job['after_last_round_s']:.2f} s (model save, "
            "exit, tar and upload, status)."
        )
    return "\n".join(out)


def append_section(table: str, args: argparse.Namespace, info: dict[str, str]) -> None:
    section = (
        f"\n## Training: start latency and overhead — {info['date']}\n\n"
        f"`bench/training.py --jobs {args.jobs} --target {args.target:g}`: one embedded server, jobs run by the "
        "process launcher on the same machine, one job at a time.\n\n"
        f"- commit: {info['commit']}\n"
        f"- machine: {info['cpus']}, {info['memory']} memory; load average before the run {info['load']}\n"
        f"- python: {info['python']}; {info['clients']}; xgboost {xgb.__version__}\n\n{table}\n"
    )
    with DOC.open("a") as doc:
        doc.write(section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10, help="jobs per start-latency measurement")
    parser.add_argument("--target", type=float, default=40.0, help="seconds the in-process run should take")
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to docs/benchmarks.md")
    args = parser.parse_args()
    info = machine()
    x, y = _dataset()
    with tempfile.TemporaryDirectory(prefix="drydock-bench-") as home:
        live = LiveServer(Path(home), extra_env={"DRYDOCK_STRICT_RESPONSES": "0", "DRYDOCK_LOG_LEVEL": "warning"})
        live.start()
        try:
            s3 = live.client("s3")
            s3.create_bucket(Bucket=BUCKET)
            s3.put_object(
                Bucket=BUCKET, Key="tiny/train.csv", Body=b"".join(b"%d,%d,1\n" % (i % 2, i) for i in range(20))
            )
            latencies = [start_latency(live, kind, args.jobs) for kind in ("byo", "xgboost")]
            ovh = overhead(live, x, y, args.target)
        finally:
            live.stop()
    table = render(latencies, ovh)
    print(table)
    if not args.no_record:
        append_section(table, args, info)
        print(f"\nappended to {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
