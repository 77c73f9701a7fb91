"""Batch transform: rows/s and peak memory on a CSV of 1 GiB or more, against in-process prediction.

Generates a CSV of float32 features (no label column: the transform input) of ``--gigabytes`` GiB
in a temporary directory, trains a binary:logistic model in-process on a sample of the same
distribution, and measures:

1. **in-process** — bench/transform_in_process.py in a process of its own (so that its memory is its
   own): ``pandas.read_csv`` in chunks of ``--chunk-rows`` rows and ``Booster.inplace_predict`` on each
   with ``nthread=1`` (what each replica's booster gets). Wall and CPU time from the first read to the
   last prediction; peak RSS (``VmHWM``) and the RSS once the model is loaded, before any data. It
   runs before and after the jobs; the faster run is the baseline.
2. **transform** — a real ``drydock server`` (embedded defaults): the CSV is uploaded to its S3 with
   boto3 ``upload_file`` (multipart), then one CreateTransformJob per ``--concurrency`` value (SplitType
   Line, BatchStrategy MultiRecord, MaxPayloadInMB 6, one instance), timed by the job's own
   CreationTime and TransformEndTime, and by the job's log line for the object (streaming alone). A
   thread samples, every 0.2 s, ``VmRSS``/``VmHWM`` and CPU time of every process in the replicas'
   process groups (the server's descendants whose command line is ``… -m drydock.algorithms.xgboost
   serve``, under bubblewrap where present); the server's ``VmHWM`` is reset
   (``/proc/<pid>/clear_refs``) before each job, so its peak is exact. A replica's RSS once it has
   loaded the model is measured on one started by hand.

Every output line is compared with the in-process prediction for its row (all rows, not a sample).
``--max-load`` waits for a quiet machine before each measurement (it is shared).

Prints a table and appends a dated section to docs/benchmarks.md (machine, date, commit, numbers).
A script, not a test: ``.venv/bin/python bench/transform.py [--gigabytes 1] [--concurrency 1,2]``.
The issue's streaming check (2 GB with bounded memory) is ``--gigabytes 2``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pa_csv  # type: ignore[import-untyped]
import xgboost as xgb
from boto3.s3.transfer import TransferConfig

sys.path.insert(0, str(Path(__file__).resolve().parent))
from control_plane import DOC, ROOT, machine
from training import ROLE, XGB_IMAGE

from drydock.testing.live_server import LiveServer
from drydock.testing.ports import free_port

BUCKET = "bench-transform"
GIB = 1024**3
MIB = 1024**2
FEATURES = 25
ROUNDS, DEPTH = 100, 6
PARAMS = {"objective": "binary:logistic", "max_depth": DEPTH, "eta": 0.1, "nthread": 1, "seed": 0}
BLOCK_ROWS = 100_000
MAX_PAYLOAD_MB = 6
SAMPLE_SECONDS = 0.2
#: DescribeTransformJob polling: the times come from the job's timestamps, so polling can be lazy.
POLL_SECONDS = 0.5
#: How often wait_for_quiet looks at the load average again.
QUIET_POLL_SECONDS = 15.0
REPLICA_COMMAND = ("drydock.algorithms.xgboost", "serve")
LOG_GROUP = "/aws/sagemaker/TransformJobs"
#: The line a transform instance logs for each object it finishes.
TRANSFORMED = re.compile(r"records transformed in ([0-9.]+) s")


# --- data and model --------------------------------------------------------------------------------


def _features(rng: np.random.Generator, rows: int) -> np.ndarray:
    return rng.standard_normal((rows, FEATURES), dtype=np.float32)


def _labels(x: np.ndarray) -> np.ndarray:
    # A label that needs trees: a few interactions and thresholds, some noise.
    score = x[:, 0] * x[:, 1] + np.sin(3 * x[:, 2]) + (x[:, 3] > 0.5) * x[:, 4] - 0.5 * x[:, 5] ** 2
    labels: np.ndarray = (score + 0.3 * x[:, 6] > 0).astype(np.float32)
    return labels


def train(model_dir: Path) -> xgb.Booster:
    x = _features(np.random.default_rng(1), 50_000)
    booster = xgb.train(PARAMS, xgb.DMatrix(x, label=_labels(x)), ROUNDS)
    model_dir.mkdir(parents=True, exist_ok=True)
    booster.save_model(str(model_dir / "xgboost-model.json"))
    os.replace(model_dir / "xgboost-model.json", model_dir / "xgboost-model")
    return booster


def write_csv(path: Path, target_bytes: int) -> tuple[int, float]:
    """Blocks of float32 rows (shortest round-trip text, as pyarrow writes them) until ``target_bytes``."""
    rng = np.random.default_rng(2)
    rows = 0
    started = time.perf_counter()
    with path.open("wb") as out:
        while out.tell() < target_bytes:
            x = _features(rng, BLOCK_ROWS)
            table = pa.table({f"f{i}": x[:, i] for i in range(FEATURES)})
            pa_csv.write_csv(table, out, pa_csv.WriteOptions(include_header=False))
            rows += BLOCK_ROWS
    return rows, time.perf_counter() - started


# --- memory sampling -------------------------------------------------------------------------------


def _status_kib(pid: int, key: str) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _processes() -> dict[int, tuple[int, int, str]]:
    """pid → (parent pid, process group, command line) for every process we can read."""
    found: dict[int, tuple[int, int, str]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()
            cmdline = Path(f"/proc/{entry.name}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        found[int(entry.name)] = (int(stat[1]), int(stat[2]), cmdline)
    return found


def replica_groups(server_pid: int) -> set[int]:
    """Process groups of the server's descendants that run the XGBoost model server."""
    table = _processes()
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in table.items():
        children.setdefault(parent, []).append(pid)
    groups, todo = set(), list(children.get(server_pid, []))
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        if all(part in table[pid][2] for part in REPLICA_COMMAND):
            groups.add(table[pid][1])
    return groups


@dataclass
class MemorySampler:
    """Samples the server's RSS and the sum over the replicas' process groups from a thread."""

    server_pid: int
    server_peak_kib: int = 0
    replicas_peak_kib: int = 0
    replicas_hwm_kib: int = 0
    replica_processes: int = 0
    samples: int = 0
    #: CPU seconds each replica process had used when last seen (it exits with the job).
    replica_cpu: dict[int, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> MemorySampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        groups: set[int] = set()
        last_scan = 0.0
        while not self._stop.wait(SAMPLE_SECONDS):
            now = time.monotonic()
            if now - last_scan > 1.0:
                groups |= replica_groups(self.server_pid)
                last_scan = now
            members = [pid for pid, (_, group, _) in _processes().items() if group in groups] if groups else []
            self.replica_processes = max(self.replica_processes, len(members))
            for pid in members:
                self.replica_cpu[pid] = max(self.replica_cpu.get(pid, 0.0), _cpu_seconds(pid))
            self.server_peak_kib = max(self.server_peak_kib, _status_kib(self.server_pid, "VmRSS"))
            self.replicas_peak_kib = max(self.replicas_peak_kib, sum(_status_kib(p, "VmRSS") for p in members))
            self.replicas_hwm_kib = max(self.replicas_hwm_kib, sum(_status_kib(p, "VmHWM") for p in members))
            self.samples += 1


def _reset_peak(pid: int) -> bool:
    """Reset a process's VmHWM to its current RSS (Linux ≥ 4.0); False where not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def wait_for_quiet(max_load: float, limit: float) -> str:
    """Wait (at most ``limit`` s) for the 1-minute load average to drop to ``max_load``; the load then."""
    started = time.monotonic()
    while os.getloadavg()[0] > max_load and time.monotonic() - started < limit:
        print(f"  load {os.getloadavg()[0]:.2f} > {max_load:g}: waiting for a quieter machine", flush=True)
        time.sleep(QUIET_POLL_SECONDS)
    return f"{os.getloadavg()[0]:.2f}"


# --- in-process baseline -----------------------------------------------------------------------------


def in_process(csv_path: Path, model_dir: Path, out_path: Path, chunk_rows: int, nthread: int) -> dict[str, Any]:
    """bench/transform_in_process.py in a process of its own; its JSON line."""
    command = [
        sys.executable,
        str(Path(__file__).with_name("transform_in_process.py")),
        str(csv_path),
        str(model_dir / "xgboost-model"),
        str(out_path),
        "--chunk-rows",
        str(chunk_rows),
        "--nthread",
        str(nthread),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": str(nthread)}
    done = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return {**result, "load_after": f"{os.getloadavg()[0]:.2f}"}


# --- transform ---------------------------------------------------------------------------------------


def replica_ready_kib(model_dir: Path, sample: bytes) -> int:
    """RSS of a model server that has loaded the model and answered one request: the replica at rest."""
    port = free_port()
    env = {**os.environ, "SM_MODEL_DIR": str(model_dir), "SAGEMAKER_BIND_TO_PORT": str(port), "SAGEMAKER_BATCH": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", *REPLICA_COMMAND], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/invocations", data=sample, headers={"Content-Type": "text/csv"}
                )
                with urllib.request.urlopen(request, timeout=5) as response:
                    response.read()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the model server did not answer") from None
                time.sleep(0.05)
        return _status_kib(process.pid, "VmRSS")
    finally:
        process.terminate()
        process.wait(timeout=30)


def _model_archive(model_dir: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.add(str(model_dir / "xgboost-model"), arcname="xgboost-model")
    return buffer.getvalue()


def transform(live: LiveServer, model: str, concurrency: int, key: str, workdir: Path) -> dict[str, Any]:
    sagemaker, s3 = live.client("sagemaker"), live.client("s3")
    assert live.process is not None
    server_pid = live.process.pid
    name = f"bench-{concurrency}-{uuid.uuid4().hex[:6]}"
    exact_peak = _reset_peak(server_pid)
    server_before_kib = _status_kib(server_pid, "VmRSS")
    server_cpu = _cpu_seconds(server_pid)
    with MemorySampler(server_pid) as sampler:
        created = time.perf_counter()
        sagemaker.create_transform_job(
            TransformJobName=name,
            ModelName=model,
            BatchStrategy="MultiRecord",
            MaxPayloadInMB=MAX_PAYLOAD_MB,
            MaxConcurrentTransforms=concurrency,
            TransformInput={
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/{key}"}},
                "ContentType": "text/csv",
                "SplitType": "Line",
            },
            TransformOutput={"S3OutputPath": f"s3://{BUCKET}/out/{name}", "AssembleWith": "Line"},
            TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
        )
        while True:
            job = sagemaker.describe_transform_job(TransformJobName=name)
            if job["TransformJobStatus"] in ("Completed", "Failed", "Stopped"):
                break
            time.sleep(POLL_SECONDS)
        client_seconds = time.perf_counter() - created
        server_cpu = _cpu_seconds(server_pid) - server_cpu
        load_after = f"{os.getloadavg()[0]:.2f}"
    if job["TransformJobStatus"] != "Completed":
        raise RuntimeError(f"{name} ended {job['TransformJobStatus']}: {job.get('FailureReason')}")
    server_peak = _status_kib(server_pid, "VmHWM") if exact_peak else sampler.server_peak_kib
    output = workdir / f"{name}.out"
    s3.download_file(BUCKET, f"out/{name}/{Path(key).name}.out", str(output))
    logs = live.client("logs")
    streams = logs.describe_log_streams(logGroupName=LOG_GROUP, logStreamNamePrefix=f"{name}/")["logStreams"]
    data_log = next(s["logStreamName"] for s in streams if s["logStreamName"].endswith("/data-log"))
    events = logs.get_log_events(logGroupName=LOG_GROUP, logStreamName=data_log, startFromHead=True)["events"]
    streamed = next(m for e in events if (m := TRANSFORMED.search(e["message"])))
    return {
        "concurrency": concurrency,
        # The job's own timestamps: polling's granularity is not in them.
        "seconds": (job["TransformEndTime"] - job["CreationTime"]).total_seconds(),
        "client_seconds": client_seconds,
        "load_after": load_after,
        "job_seconds": (job["TransformEndTime"] - job["TransformStartTime"]).total_seconds(),
        "stream_seconds": float(streamed.group(1)),
        "server_before_kib": server_before_kib,
        "server_peak_kib": max(server_peak, sampler.server_peak_kib),
        "server_peak_exact": exact_peak,
        "replicas_peak_kib": sampler.replicas_peak_kib,
        "replicas_hwm_kib": sampler.replicas_hwm_kib,
        "replica_processes": sampler.replica_processes,
        "server_cpu": server_cpu,
        "replica_cpu": sum(sampler.replica_cpu.values()),
        "samples": sampler.samples,
        "output": output,
    }


def compare(output: Path, expected: np.ndarray) -> dict[str, Any]:
    """Every output line against the in-process prediction for its row."""
    got = pd.read_csv(output, header=None, dtype=np.float64).to_numpy()[:, 0].astype(np.float32)
    if got.shape != expected.shape:
        return {"rows": int(got.shape[0]), "mismatches": -1, "max_abs": float("nan")}
    differ = got != expected
    return {
        "rows": int(got.shape[0]),
        "mismatches": int(differ.sum()),
        "max_abs": float(np.abs(got.astype(np.float64) - expected).max()),
    }


# --- report ------------------------------------------------------------------------------------------


def _mib(kib: int) -> float:
    return kib / 1024


def render(data: dict[str, Any], baselines: list[dict[str, Any]], runs: list[dict[str, Any]]) -> str:
    rows = data["rows"]
    baseline = min(baselines, key=lambda b: b["seconds"])
    base_rate = rows / baseline["seconds"]
    lines = [
        f"Input: {data['bytes'] / GIB:.2f} GiB of CSV, {rows:,} rows x {FEATURES} float32 features "
        f"({data['bytes'] / rows:.0f} bytes a row, no label); model binary:logistic, {ROUNDS} trees of depth "
        f"{DEPTH}. Upload with boto3 `upload_file` (multipart, 64 MiB parts): {data['upload_seconds']:.1f} s "
        f"({data['bytes'] / MIB / data['upload_seconds']:.0f} MiB/s).",
        "",
        "| run | load: start → end | seconds | rows/s | ÷ in-process | CPU s | CPU µs/row |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for when, run in zip(("before", "after"), baselines, strict=False):
        rate = rows / run["seconds"]
        load = f"{run['load']} → {run['load_after']}"
        lines.append(
            f"| in-process, {when} the jobs: pandas `read_csv(chunksize={data['chunk_rows']:,})` + "
            f"`inplace_predict`, nthread 1 | {load} | {run['seconds']:.2f} | {rate:,.0f} "
            f"| {rate / base_rate:.3f} | {run['cpu']:.1f} | {run['cpu'] / rows * 1e6:.2f} |"
        )
    for run in runs:
        cpu = run["server_cpu"] + run["replica_cpu"]
        label = f"transform, MaxConcurrentTransforms {run['concurrency']}"
        rate, streamed = rows / run["seconds"], rows / run["stream_seconds"]
        lines += [
            f"| {label}: CreationTime → TransformEndTime | {run['load']} → {run['load_after']} "
            f"| {run['seconds']:.2f} | {rate:,.0f} "
            f"| {rate / base_rate:.3f} | {cpu:.1f} (server {run['server_cpu']:.1f} + replica "
            f"{run['replica_cpu']:.1f}) | {cpu / rows * 1e6:.2f} |",
            f"| {label}: streaming | | {run['stream_seconds']:.2f} | {streamed:,.0f} | {streamed / base_rate:.3f} "
            "| | |",
        ]
    base_peak, base_rest = _mib(baseline["peak_kib"]), _mib(baseline["ready_kib"])
    lines += [
        "",
        "*load*: the 1-minute load average when the run started and when it ended (other sessions share the "
        "machine). *÷ in-process*: against the faster in-process run. *streaming*: from the job's own log line, "
        "first byte read to output stored, without the replica's start and the job's bookkeeping. *CPU*: user + "
        "system time of the processes (the server's and the replica's whole process group), which other work on "
        "the machine does not inflate as it does the wall time.",
        "",
        "| memory (RSS, MiB) | at rest | peak | peak - rest | peak ÷ in-process peak | (peak - rest) ÷ in-process |",
        "|---|---:|---:|---:|---:|---:|",
        f"| in-process worker | {base_rest:.0f} | {base_peak:.0f} | {base_peak - base_rest:.0f} | 1.00 | 1.00 |",
    ]
    for run in runs:
        server_rest, server_peak = _mib(run["server_before_kib"]), _mib(run["server_peak_kib"])
        replica_rest, replica_peak = _mib(data["replica_ready_kib"]), _mib(run["replicas_hwm_kib"])
        for name, rest, peak in (
            ("server", server_rest, server_peak),
            ("replica (its process group)", replica_rest, replica_peak),
            ("server + replica", server_rest + replica_rest, server_peak + replica_peak),
        ):
            lines.append(
                f"| MaxConcurrentTransforms {run['concurrency']}: {name} | {rest:.0f} | {peak:.0f} | {peak - rest:.0f} "
                f"| {peak / base_peak:.2f} | {(peak - rest) / (base_peak - base_rest):.2f} |"
            )
    lines += [
        "",
        "At rest: the in-process worker once xgboost is imported and the model loaded; the server just before "
        "CreateTransformJob; a replica once it has loaded the model and answered a one-row request (measured on "
        f"one started by hand, outside bubblewrap: {_mib(data['replica_ready_kib']):.0f} MiB). Server peak: VmHWM, "
        "reset before the job; replica peak: the highest VmHWM sum over its process group in 0.2 s samples.",
        "",
    ]
    for run in runs:
        check = run["check"]
        verdict = (
            "every row equal"
            if check["mismatches"] == 0
            else f"{check['mismatches']:,} rows differ (max |Δ| {check['max_abs']:.3g})"
        )
        lines.append(
            f"- MaxConcurrentTransforms {run['concurrency']}: {check['rows']:,} output lines against the in-process "
            f"predictions: {verdict}; {run['replica_processes']} processes in the replica's group; Create → "
            f"Completed seen by a client polling every {POLL_SECONDS:g} s: {run['client_seconds']:.2f} s."
        )
    return "\n".join(lines)


def append_section(table: str, args: argparse.Namespace, info: dict[str, str]) -> None:
    section = (
        f"\n## Batch transform: CSV throughput and memory against in-process prediction — {info['date']}\n\n"
        f"`bench/transform.py --gigabytes {args.gigabytes:g} --concurrency {args.concurrency} "
        f"--chunk-rows {args.chunk_rows}`: one embedded server and one transform instance on the same machine, "
        "SplitType Line, BatchStrategy MultiRecord, MaxPayloadInMB 6.\n\n"
        f"- commit: {info['commit']}\n"
        f"- machine: {info['cpus']}, {info['memory']} memory; load average before the run {info['load']}\n"
        f"- python: {info['python']}; {info['clients']}; xgboost {xgb.__version__}, pandas {pd.__version__}\n\n"
        f"{table}\n"
    )
    with DOC.open("a") as doc:
        doc.write(section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gigabytes", type=float, default=1.0, help="CSV size in GiB (the issue asks for ≥ 1)")
    parser.add_argument("--concurrency", default="1,2", help="MaxConcurrentTransforms values to run")
    parser.add_argument("--chunk-rows", type=int, default=100_000, help="pandas chunksize of the in-process run")
    parser.add_argument("--max-load", type=float, default=float("inf"), help="wait for this 1-minute load first")
    parser.add_argument("--max-wait", type=float, default=600.0, help="seconds to wait for --max-load at most")
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to docs/benchmarks.md")
    args = parser.parse_args()
    info = machine()
    with tempfile.TemporaryDirectory(prefix="drydock-bench-transform-") as temp:
        work = Path(temp)
        model_dir = work / "model"
        train(model_dir)
        csv_path = work / "input.csv"
        rows, write_seconds = write_csv(csv_path, int(args.gigabytes * GIB))
        size = csv_path.stat().st_size
        print(f"wrote {size / GIB:.2f} GiB, {rows:,} rows in {write_seconds:.1f} s", flush=True)
        with csv_path.open("rb") as head:
            sample = head.readline()
        data: dict[str, Any] = {
            "rows": rows,
            "bytes": size,
            "chunk_rows": args.chunk_rows,
            "replica_ready_kib": replica_ready_kib(model_dir, sample),
        }
        # In-process before and after the jobs; the faster one is the baseline.
        baselines = []
        load = wait_for_quiet(args.max_load, args.max_wait)
        baselines.append({**in_process(csv_path, model_dir, work / "expected.f32", args.chunk_rows, 1), "load": load})
        print(f"in-process: {baselines[-1]}", flush=True)
        expected = np.fromfile(work / "expected.f32", dtype=np.float32)
        live = LiveServer(work / "home", extra_env={"DRYDOCK_STRICT_RESPONSES": "0", "DRYDOCK_LOG_LEVEL": "warning"})
        live.start()
        runs = []
        try:
            s3, sagemaker = live.client("s3"), live.client("sagemaker")
            s3.create_bucket(Bucket=BUCKET)
            s3.put_object(Bucket=BUCKET, Key="model/model.tar.gz", Body=_model_archive(model_dir))
            sagemaker.create_model(
                ModelName="bench-transform",
                ExecutionRoleArn=ROLE,
                PrimaryContainer={"Image": XGB_IMAGE, "ModelDataUrl": f"s3://{BUCKET}/model/model.tar.gz"},
            )
            started = time.perf_counter()
            s3.upload_file(str(csv_path), BUCKET, "in/input.csv", Config=TransferConfig(multipart_chunksize=64 * MIB))
            data["upload_seconds"] = time.perf_counter() - started
            for concurrency in (int(c) for c in args.concurrency.split(",")):
                load = wait_for_quiet(args.max_load, args.max_wait)
                run = {**transform(live, "bench-transform", concurrency, "in/input.csv", work), "load": load}
                run["check"] = compare(run.pop("output"), expected)
                print(f"transform: {run}", flush=True)
                runs.append(run)
        finally:
            live.stop()
        load = wait_for_quiet(args.max_load, args.max_wait)
        baselines.append({**in_process(csv_path, model_dir, work / "again.f32", args.chunk_rows, 1), "load": load})
        print(f"in-process again: {baselines[-1]}", flush=True)
    table = render(data, baselines, runs)
    print(table)
    if not args.no_record:
        append_section(table, args, info)
        print(f"\nappended to {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
