"""Real-time inference: InvokeEndpoint latency and throughput against in-process predict and MLflow.

Starts a real ``drydock server`` (embedded defaults, production settings) on a free loopback port and,
for two small models — a scikit-learn pipeline (StandardScaler + LogisticRegression, served in script
mode from ``sagemaker-scikit-learn`` with an ``inference.py`` whose ``model_fn`` loads the joblib file)
and a built-in XGBoost booster (``xgboost-model`` in ``model.tar.gz``, ``sagemaker-xgboost:1.7-1``),
both on ``load_breast_cancer`` (30 features) — measures one row of ``text/csv`` per request through:

- ``in-process``: the model's own ``predict`` on the parsed row (CSV parse and answer formatting
  included, so it does the same work a model server does; XGBoost's is ``inplace_predict`` on one
  thread, as the built-in model server predicts): the floor;
- ``drydock-boto3``: ``sagemaker-runtime`` ``invoke_endpoint``, one boto3 client per client process;
- ``drydock-raw``: the same call over a keep-alive connection of a lean HTTP/1.1 client, each
  request SigV4 signed by a lean signer (bench/endpoint_clients.py: every request's date, body hash
  and signature computed afresh, the day's signing key kept) — what a client written for speed pays,
  without boto3. The MLflow and replica-direct rows use the same HTTP client; the bench prints what
  it costs a call next to ``http.client``;
- ``replica-direct``: ``POST /invocations`` straight to the endpoint's model server (found from its
  pid file and ``SAGEMAKER_BIND_TO_PORT``), bypassing the gateway: splits what Drydock adds into the
  model server's share and the gateway hop's (SigV4 check, validation, routing, forwarding);
- ``mlflow-wN``: ``mlflow models serve --env-manager local --workers N`` on the same model (saved with
  ``mlflow.sklearn`` / ``mlflow.xgboost`` from the same files), ``POST /invocations`` over the same
  kind of keep-alive connection, no signing (MLflow has none). See bench/mlflow_baseline.py for its virtualenv.

Each is run with 1 and 16 concurrent clients for a fixed time, split into rounds that interleave all
targets (the machine is shared; see the LEGEND below). Clients are separate processes (forked), not
threads (bench/client_processes.py says why). It also measures
CreateEndpoint → InService (DescribeEndpoint polled every 20 ms) for each model, ``--deploys`` times.

Goals (issue 4): Drydock adds at most 1 ms at p50 over in-process (1 client); its throughput is at
least 2x MLflow's; CreateEndpoint reaches InService in under 3 s.

Prints a table and appends a dated section to docs/benchmarks.md (machine, date, commit, load).
A script, not a test: ``.venv/bin/python bench/endpoint.py [--duration 12] [--rounds 3] [--clients 1,16]``.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import statistics
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import joblib  # type: ignore[import-untyped]
import numpy as np
import sklearn  # type: ignore[import-untyped]
import xgboost as xgb
from sklearn.datasets import load_breast_cancer  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.pipeline import make_pipeline  # type: ignore[import-untyped]
from sklearn.preprocessing import StandardScaler  # type: ignore[import-untyped]

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mlflow_baseline
from client_processes import ClientProcesses, ClientResult
from control_plane import machine
from endpoint_clients import (
    InvocationsPoster,
    SignedInvoker,
    boto3_invoker,
    client_cost,
    mlflow_request,
    signing_cost,
)
from endpoint_load import Quiet, busy_cpu_seconds, process_tree_cpu

from drydock.testing.live_server import LiveServer

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
BUCKET = "bench-endpoint"
REGISTRY = "683313688378.dkr.ecr.us-east-1.amazonaws.com"
XGB_IMAGE = f"{REGISTRY}/sagemaker-xgboost:1.7-1"
SKLEARN_IMAGE = f"{REGISTRY}/sagemaker-scikit-learn:1.2-1-cpu-py3"
INFERENCE_PY = '''"""Script-mode entry point: the toolkit's default input_fn/predict_fn/output_fn do the rest."""
import os

import joblib  # type: ignore[import-untyped]


def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))
'''
XGB_PARAMS = {"objective": "binary:logistic", "max_depth": 4, "eta": 0.3, "nthread": 1, "seed": 0}
XGB_ROUNDS = 50
DEPLOY_POLL_S = 0.02


@dataclass
class Model:
    """One model, its files, and the one-row request every target answers."""

    kind: str
    row: bytes
    expected: float
    predict: Callable[[bytes], bytes]
    archive: bytes  # model.tar.gz
    mlflow_source: Path  # the file MLflow saves the same model from
    sourcedir: bytes | None = None  # script mode's sourcedir.tar.gz
    endpoint: str = ""
    deploy_s: list[float] = field(default_factory=list)


def _csv_row(values: np.ndarray) -> bytes:
    return ",".join(repr(float(v)) for v in values).encode()


def _parse_row(body: bytes) -> np.ndarray:
    # What both model servers do with a text/csv body: split the line, make a float64 row.
    return np.array([body.decode().strip().split(",")], dtype=np.float64)


def _tar_gz(members: dict[str, Path]) -> bytes:
    """A gzipped tar of files already on disk, each under its name in ``members``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, path in members.items():
            archive.add(path, arcname=name)
    return buffer.getvalue()


def build_models(work: Path) -> list[Model]:
    features, labels = load_breast_cancer(return_X_y=True)
    row = _csv_row(features[7])

    pipeline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(features, labels)
    sk_path = work / "model.joblib"
    joblib.dump(pipeline, sk_path)

    script = work / "inference.py"
    script.write_text(INFERENCE_PY)

    def sk_predict(body: bytes) -> bytes:
        return json.dumps(pipeline.predict(_parse_row(body)).tolist()).encode()

    # One OpenMP thread everywhere in this process: libgomp's thread pool does not survive fork(), and
    # the client processes are forked from this one (a forked child would hang in its first predict).
    booster = xgb.train(XGB_PARAMS, xgb.DMatrix(features, label=labels, nthread=1), XGB_ROUNDS)
    xgb_path = work / "xgboost-model"
    booster.save_model(str(xgb_path.with_suffix(".json")))
    xgb_path.with_suffix(".json").rename(xgb_path)

    def xgb_predict(body: bytes) -> bytes:
        # In-place prediction on one thread, as the built-in XGBoost model server predicts.
        return ",".join(repr(float(p)) for p in booster.inplace_predict(_parse_row(body))).encode()

    return [
        Model(
            kind="sklearn",
            row=row,
            expected=float(pipeline.predict(features[7:8])[0]),
            predict=sk_predict,
            archive=_tar_gz({"model.joblib": sk_path}),
            mlflow_source=sk_path,
            sourcedir=_tar_gz({"inference.py": script}),
        ),
        Model(
            kind="xgboost",
            row=row,
            expected=float(booster.inplace_predict(features[7:8])[0]),
            predict=xgb_predict,
            archive=_tar_gz({"xgboost-model": xgb_path}),
            mlflow_source=xgb_path,
        ),
    ]


def _create_model(live: LiveServer, model: Model) -> str:
    s3, sagemaker = live.client("s3"), live.client("sagemaker")
    s3.put_object(Bucket=BUCKET, Key=f"{model.kind}/model.tar.gz", Body=model.archive)
    container: dict[str, Any] = {"ModelDataUrl": f"s3://{BUCKET}/{model.kind}/model.tar.gz"}
    if model.kind == "xgboost":
        container["Image"] = XGB_IMAGE
    else:
        s3.put_object(Bucket=BUCKET, Key="sklearn/code/sourcedir.tar.gz", Body=model.sourcedir)
        container["Image"] = SKLEARN_IMAGE
        container["Environment"] = {
            "SAGEMAKER_PROGRAM": "inference.py",
            "SAGEMAKER_SUBMIT_DIRECTORY": f"s3://{BUCKET}/sklearn/code/sourcedir.tar.gz",
        }
    name = f"bench-{model.kind}"
    sagemaker.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer=container)
    sagemaker.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {"VariantName": "AllTraffic", "ModelName": name, "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
        ],
    )
    return name


def _wait_status(sagemaker: Any, name: str, leaving: str, timeout: float = 120.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status = str(sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"])
        except sagemaker.exceptions.ClientError as error:
            if leaving == "Deleting" and "Could not find" in error.response["Error"]["Message"]:
                return "Deleted"
            raise
        if status != leaving:
            return status
        time.sleep(DEPLOY_POLL_S)
    raise RuntimeError(f"{name} still {leaving} after {timeout}s")


def deploy(live: LiveServer, model: Model, times: int, gap: float = 0.0) -> None:
    """CreateEndpoint → InService ``times`` times (each but the last deleted again), each followed by
    ``gap`` seconds of rest: the time a spare model server needs to import its framework, which would
    otherwise fall into the next deploy or the first measurement; keeps the last."""
    sagemaker = live.client("sagemaker")
    config = _create_model(live, model)
    for attempt in range(times):
        name = f"bench-{model.kind}-{attempt}"
        started = time.perf_counter()
        sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=config)
        status = _wait_status(sagemaker, name, "Creating")
        model.deploy_s.append(time.perf_counter() - started)
        if status != "InService":
            reason = sagemaker.describe_endpoint(EndpointName=name).get("FailureReason")
            raise RuntimeError(f"{name} is {status}: {reason}")
        if attempt < times - 1:
            sagemaker.delete_endpoint(EndpointName=name)
            _wait_status(sagemaker, name, "Deleting")
        time.sleep(gap)
        model.endpoint = name


@dataclass
class Run:
    model: str
    target: str
    clients: int
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    load: float  # the 1-minute load average when the measurement started
    server_cpu: float | None  # cores kept busy by the server's processes; None in-process
    client_cpu: float  # cores kept busy by the client processes
    other_cpu: float  # cores kept busy by everything else on the machine: contention

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


Factory = Callable[[], Callable[[], bytes]]


@dataclass
class Target:
    """One thing to measure: a model behind one way of asking it, and the server process to watch."""

    model: Model
    label: str
    make: Factory
    server: int | None  # the root of the server's process tree; None in-process


@dataclass
class Window:
    """One timed window of one target at one concurrency."""

    results: list[ClientResult]
    wall: float
    load: float
    server_cpu: float
    busy_cpu: float


def measure(target: Target, clients: int, args: argparse.Namespace) -> Window:
    load = args.quiet.wait()
    processes = ClientProcesses(target.make, clients, args.duration / args.rounds)
    processes.start()
    server_before = process_tree_cpu(target.server) if target.server else 0.0
    busy_before, wall_before = busy_cpu_seconds(), time.monotonic()
    results = processes.collect()
    wall = time.monotonic() - wall_before
    server_cpu = (process_tree_cpu(target.server) - server_before) if target.server else 0.0
    return Window(results, wall, load, server_cpu, busy_cpu_seconds() - busy_before)


def merge(target: Target, clients: int, windows: list[Window]) -> Run:
    """One row from a target's windows: latencies pooled, requests and CPU over their summed time."""
    results = [r for w in windows for r in w.results]
    wall = sum(w.wall for w in windows)
    client_cpu = sum(r.cpu_seconds for r in results)
    server_cpu = sum(w.server_cpu for w in windows)
    others = sum(max(0.0, w.busy_cpu - w.server_cpu - sum(r.cpu_seconds for r in w.results)) for w in windows)
    return Run(
        model=target.model.kind,
        target=target.label,
        clients=clients,
        requests=sum(len(r.latencies) for r in results),
        errors=sum(r.errors for r in results),
        seconds=sum(ClientProcesses.window(w.results) for w in windows),
        p50_ms=ClientProcesses.percentile(results, 0.50),
        p99_ms=ClientProcesses.percentile(results, 0.99),
        load=max(w.load for w in windows),
        server_cpu=server_cpu / wall if target.server else None,
        client_cpu=client_cpu / wall,
        other_cpu=others / wall,
    )


_NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def check_answer(target: str, model: Model, answer: bytes) -> None:
    """Every target must serve the same model: its answer carries the in-process prediction."""
    values = [float(v) for v in _NUMBER.findall(answer)]
    if not values or abs(values[0] - model.expected) > 1e-5:
        raise RuntimeError(f"{target} answered {answer[:200]!r} for {model.kind}; expected {model.expected}")


_READY = re.compile(r"Model server ready on 127\.0\.0\.1:(\d+)")


def replica(live: LiveServer, endpoint: str, timeout: float = 10.0) -> tuple[int, int]:
    """(pid, port) of the endpoint's one model server: the replica backend writes the pid in the
    replica's directory, and the model server logs its port ("Model server ready on …") to the
    endpoint's log group, read as a user would, through CloudWatch Logs."""
    (pid_file,) = (live.home / "endpoints" / endpoint).glob("*/.replica.pid")
    pid = int(pid_file.read_text())
    logs = live.client("logs")
    deadline = time.monotonic() + timeout
    while True:
        events = logs.filter_log_events(
            logGroupName=f"/aws/sagemaker/Endpoints/{endpoint}", filterPattern='"Model server ready"'
        )["events"]
        ports = [int(m.group(1)) for e in events if (m := _READY.search(e["message"]))]
        if ports:
            return pid, ports[-1]
        if time.monotonic() > deadline:
            raise RuntimeError(f"no 'Model server ready' line in {endpoint}'s log group")
        time.sleep(0.1)


def _in_process(model: Model) -> Callable[[], bytes]:
    return partial(model.predict, model.row)


def targets(
    live: LiveServer, models: list[Model], args: argparse.Namespace, work: Path, stack: ExitStack
) -> list[Target]:
    """Every target of every model, each checked to answer with the model's prediction; MLflow's
    servers are started here and stopped when ``stack`` closes."""
    found: list[Target] = []
    for model in models:
        found.append(Target(model, "in-process", partial(_in_process, model), None))
        if not args.skip_drydock:
            assert live.process is not None
            gateway = live.process.pid
            raw = partial(SignedInvoker, live.port, model.endpoint, model.row)
            found.append(Target(model, "drydock-raw", raw, gateway))
            found.append(
                Target(model, "drydock-boto3", partial(boto3_invoker, live, model.endpoint, model.row), gateway)
            )
            pid, port = replica(live, model.endpoint)
            found.append(Target(model, "replica-direct", partial(InvocationsPoster, port, model.row, "text/csv"), pid))
        body, content_type = mlflow_request(model.row, args.mlflow_format)
        for workers in args.mlflow_workers:
            saved = mlflow_baseline.save_model(model.kind, model.mlflow_source, work / f"mlflow-{model.kind}-{workers}")
            server = mlflow_baseline.MlflowServer(saved, workers, work / f"mlflow-{model.kind}-{workers}.log")
            stack.callback(server.stop)
            server.start()
            assert server.process is not None
            make = partial(InvocationsPoster, server.port, body, content_type)
            found.append(Target(model, f"mlflow-w{workers}", make, server.process.pid))
    for target in found:
        check_answer(target.label, target.model, target.make()())
    return found


def run_all(found: list[Target], args: argparse.Namespace) -> list[Run]:
    """``--rounds`` passes over every target and concurrency, interleaved, so that whatever else the
    shared machine is doing falls on all targets alike rather than on whichever ran at that moment."""
    windows: dict[tuple[int, int], list[Window]] = {}
    for round_number in range(1, args.rounds + 1):
        for index, target in enumerate(found):
            for clients in args.counts:
                window = measure(target, clients, args)
                windows.setdefault((index, clients), []).append(window)
                run = merge(target, clients, [window])
                print(
                    f"round {round_number}: {run.model:>7} {run.target:>14} x {clients:<2}: {run.rate:6.0f} req/s  "
                    f"p50 {run.p50_ms:6.2f} ms  p99 {run.p99_ms:7.2f} ms  errors {run.errors}  "
                    f"others' CPU {run.other_cpu * 100:3.0f}%",
                    file=sys.stderr,
                )
    return [merge(found[index], clients, group) for (index, clients), group in windows.items()]


def _per_request(cores: float | None, run: Run) -> str:
    return f"{cores * 1000 / run.rate:.2f}" if cores is not None and run.rate else ""


def table(runs: list[Run]) -> str:
    floor = {(r.model, r.clients): r for r in runs if r.target == "in-process"}
    mlflow = {(r.model, r.clients): r for r in runs if r.target == "mlflow-w1"}
    lines = [
        "| model | target | clients | requests | req/s | p50 ms | p99 ms | errors | load | server CPU "
        "| server ms/req | client ms/req | others' CPU | p50 - in-process ms | req/s ÷ mlflow-w1 |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        base, other = floor.get((r.model, r.clients)), mlflow.get((r.model, r.clients))
        added = f"{r.p50_ms - base.p50_ms:+.2f}" if base and r.target != "in-process" else ""
        ratio = f"{r.rate / other.rate:.2f}" if other and other.rate and r.target.startswith("drydock") else ""
        cpu = f"{r.server_cpu * 100:.0f}%" if r.server_cpu is not None else ""
        lines.append(
            f"| {r.model} | {r.target} | {r.clients} | {r.requests} | {r.rate:.0f} | {r.p50_ms:.2f} | "
            f"{r.p99_ms:.2f} | {r.errors} | {r.load:.2f} | {cpu} | {_per_request(r.server_cpu, r)} | "
            f"{_per_request(r.client_cpu, r)} | {r.other_cpu * 100:.0f}% | {added} | {ratio} |"
        )
    return "\n".join(lines)


def deploy_table(models: list[Model]) -> str:
    lines = ["| model | deploys | first s | median s | max s |", "|---|---:|---:|---:|---:|"]
    for m in models:
        if m.deploy_s:
            lines.append(
                f"| {m.kind} | {len(m.deploy_s)} | {m.deploy_s[0]:.2f} | {statistics.median(m.deploy_s):.2f} "
                f"| {max(m.deploy_s):.2f} |"
            )
    return "\n".join(lines)


def goals(runs: list[Run], models: list[Model]) -> list[str]:
    """One line per goal and model: the number, the goal, met or missed and by how much."""
    find = {(r.model, r.target, r.clients): r for r in runs}
    out = []
    for m in models:
        floor = find.get((m.kind, "in-process", 1))
        for target in ("drydock-raw", "drydock-boto3"):
            run = find.get((m.kind, target, 1))
            if floor and run:
                added = run.p50_ms - floor.p50_ms
                verdict = "met" if added <= 1.0 else f"missed by {added - 1.0:.2f} ms"
                out.append(
                    f"- {m.kind}, {target}, 1 client: p50 adds {added:.2f} ms over in-process (goal ≤ 1 ms): {verdict}"
                )
        for clients in sorted({r.clients for r in runs}):
            drydock, baseline = find.get((m.kind, "drydock-raw", clients)), find.get((m.kind, "mlflow-w1", clients))
            if drydock and baseline and baseline.rate:
                ratio = drydock.rate / baseline.rate
                verdict = "met" if ratio >= 2.0 else f"missed ({ratio / 2.0:.0%} of the goal)"
                efficiency = ""
                if drydock.server_cpu and baseline.server_cpu:
                    per_core = (drydock.rate / drydock.server_cpu) / (baseline.rate / baseline.server_cpu)
                    efficiency = f"; per second of server CPU, Drydock answers {per_core:.2f}x as many"
                out.append(
                    f"- {m.kind}, {clients} client{'s' if clients != 1 else ''}: drydock-raw {drydock.rate:.0f} "
                    f"req/s ÷ mlflow-w1 {baseline.rate:.0f} req/s = {ratio:.2f} (goal ≥ 2): {verdict}{efficiency}"
                )
        if m.deploy_s:
            worst = max(m.deploy_s)
            verdict = "met" if worst < 3.0 else f"missed by {worst - 3.0:.2f} s"
            out.append(
                f"- {m.kind}: CreateEndpoint → InService at most {worst:.2f} s over {len(m.deploy_s)} "
                f"deploys (goal < 3 s): {verdict}"
            )
    return out


LEGEND = """Targets: *in-process* is the model's predict on the parsed row in the client process (the floor);
*drydock-raw* is InvokeEndpoint on a keep-alive connection SigV4-signed per request by a lean signer;
*drydock-boto3* is boto3's `invoke_endpoint`; *replica-direct* posts to the endpoint's model server,
bypassing the gateway; *mlflow-wN* is `mlflow models serve --env-manager local --workers N` (1 is its
default), sent MLflow's JSON `{"inputs": [[...]]}` (its CSV path, through `pandas.read_csv`, is slower).
Clients are processes. Each row's time is split into interleaved rounds (every target and concurrency
once per round), so that other people's work on the shared machine falls on all rows alike; latencies
are pooled over the rounds. *load* is the highest 1-minute load average as a round of the row started
(it includes the tail of the previous window's clients); *server CPU* is the CPU of the server's
process tree (Drydock: gateway and replicas; MLflow: the CLI and its uvicorn) over wall time, 100% =
one core; *server ms/req* and *client ms/req* are CPU per request; *others' CPU* is what the rest of
the machine used meanwhile (other people's work, and kernel network time no process is charged for)."""


def append_to_doc(info: dict[str, str], args: argparse.Namespace, text: str) -> None:
    command = (
        f"bench/endpoint.py --duration {args.duration:g} --rounds {args.rounds} --clients {args.clients} "
        f"--deploys {args.deploys} --deploy-gap {args.deploy_gap:g} "
        f"--mlflow-workers {','.join(map(str, args.mlflow_workers))}"
    )
    section = (
        f"\n## Real-time inference: InvokeEndpoint vs in-process and MLflow — {info['date']}\n\n"
        f"`{command}`: one embedded server with one instance per endpoint, MLflow on the same machine, "
        "client processes on the same machine, one row of text/csv per request.\n\n"
        f"- commit: {info['commit']}\n"
        f"- machine: {info['cpus']}, {info['memory']} memory; load average before the run {info['load']}\n"
        f"- python: {info['python']}; {info['clients']}; scikit-learn {sklearn.__version__}; "
        f"xgboost {xgb.__version__}; mlflow {info.get('mlflow', 'not run')}\n\n{LEGEND}\n\n{text}\n"
    )
    if args.note:
        section += f"\n{args.note}\n"
    with DOC.open("a") as doc:
        doc.write(section)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=12.0, help="seconds per target and concurrency, in all")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved passes the duration is split into")
    parser.add_argument("--clients", default="1,16", help="comma-separated client counts (default 1,16)")
    parser.add_argument("--deploys", type=int, default=3, help="CreateEndpoint → InService timings per model")
    parser.add_argument(
        "--deploy-gap",
        type=float,
        default=0.0,
        help="seconds between deploys (a script-mode model's later deploys take a warm worker once one is ready)",
    )
    parser.add_argument("--models", default="sklearn,xgboost", help="which models (default sklearn,xgboost)")
    parser.add_argument("--mlflow-workers", default="1", help="uvicorn worker counts for MLflow, '' for none")
    parser.add_argument(
        "--mlflow-format",
        choices=("json", "csv"),
        default="json",
        help="MLflow request body: {'inputs': [[row]]} or CSV with a header line (default json)",
    )
    parser.add_argument("--skip-drydock", action="store_true", help="only the in-process and MLflow rows")
    parser.add_argument("--max-load", type=float, default=1.5, help="wait while the 1-min load is above this")
    parser.add_argument("--max-wait", type=float, default=900.0, help="most seconds to wait for quiet before the run")
    parser.add_argument("--settle", type=float, default=20.0, help="most seconds to wait for quiet before each step")
    parser.add_argument("--no-doc", action="store_true", help="print only; do not append to docs/benchmarks.md")
    parser.add_argument("--note", default="", help="a paragraph to add under the results in the doc")
    args = parser.parse_args()
    args.mlflow_workers = [int(w) for w in args.mlflow_workers.split(",") if w]
    args.counts = [int(c) for c in args.clients.split(",")]
    return args


def main() -> None:
    args = parse_args()
    mlflow_version = mlflow_baseline.ensure_venv() if args.mlflow_workers else "not run"
    args.quiet = Quiet(args.max_load, args.max_wait, args.settle)
    args.quiet.wait(first=True)
    info = {**machine(), "mlflow": mlflow_version}
    with tempfile.TemporaryDirectory(prefix="drydock-bench-") as home:
        work = Path(home) / "work"
        work.mkdir()
        models = [m for m in build_models(work) if m.kind in args.models.split(",")]
        settings = {"DRYDOCK_DB": "", "DRYDOCK_STRICT_RESPONSES": "0", "DRYDOCK_LOG_LEVEL": "warning"}
        live = LiveServer(Path(home) / "drydock", extra_env=settings)
        live.start()
        try:
            live.client("s3").create_bucket(Bucket=BUCKET)
            if not args.skip_drydock:
                for model in models:
                    args.quiet.wait()
                    deploy(live, model, args.deploys, args.deploy_gap)
                    print(
                        f"{model.kind}: InService after {', '.join(f'{s:.2f}' for s in model.deploy_s)} s",
                        file=sys.stderr,
                    )
            with ExitStack() as stack:
                runs = run_all(targets(live, models, args, work, stack), args)
        finally:
            live.stop()
    lean_us, botocore_us = (seconds * 1e6 for seconds in signing_cost())
    raw_us, plain_us = (seconds * 1e6 for seconds in client_cost())
    text = "\n".join(
        [
            table(runs),
            "",
            "CreateEndpoint → InService, as a client polling DescribeEndpoint every 20 ms sees it:",
            "",
            deploy_table(models),
            "",
            "Client-side SigV4 signing per request, measured alone in this process: "
            f"{lean_us:.0f} µs by drydock-raw's signer (signing key kept for the day), "
            f"{botocore_us:.0f} µs by botocore's `SigV4Auth.add_auth` (as boto3 signs).",
            "",
            "One request and its answer against a one-line echo server in a thread of this process: "
            f"{raw_us:.0f} µs with the raw rows' HTTP client (drydock-raw, replica-direct, MLflow), "
            f"{plain_us:.0f} µs with `http.client` (the difference is the client's own cost).",
            "",
            "Goals:",
            "",
            *goals(runs, models),
        ]
    )
    if args.quiet.waited >= 1:
        text += (
            f"\n\nThe run waited {args.quiet.waited:.0f} s in all for the 1-minute load average to fall below "
            f"{args.max_load:g}."
        )
    print(text)
    if not args.no_doc:
        append_to_doc(info, args, text)
        print(f"\nappended to {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
