"""Hyperparameter tuning: search quality on analytic benchmarks, Hyperband's compute, tuner overhead.

Starts a real ``drydock server`` and tunes two classic test functions, wrapped as script-mode
training jobs (a scikit-learn framework image running ``train.py`` that logs the objective):
Branin (2-D, minimum 0.397887) and Hartmann6 (6-D, minimum -3.32237). It measures, over several seeds:

1. **regret** (best value found minus the known minimum) after 30 and 50 training jobs: Drydock's
   Bayesian and Random strategies, one training job at a time per tuning job (a few tuning jobs side
   by side, ``--at-once``), against Optuna's TPESampler run in this process on the same function,
   ranges and budget, with its defaults and multivariate (the issue's goal: Bayesian no worse than
   in-process TPE). Median and mean over ``--seeds`` seeds. Regret over a few seeds is noisy, and a
   server run costs a minute; but with one job at a time a Bayesian run depends only on its seed and
   results, so Drydock's sampler code (``TuningStudy``) replayed in this process reproduces it
   exactly (checked on every server run) and extends the comparison to ``--replay-seeds`` seeds;
2. **Hyperband's compute**: Branin as a 27-epoch "learning curve" (each epoch logs the objective plus
   a bias that shrinks to 0 by the last epoch and is larger in some regions than others, so early
   epochs rank configurations roughly but not exactly), tuned by Random (every job runs its 27
   epochs) and by Hyperband (MinResource 1, MaxResource 27, twice the jobs). Compute is the number of
   epochs the jobs logged; the comparison is the compute each needed to first reach the median final
   quality of Random (true Branin value of the best job that ran to its end), over
   ``--hyperband-seeds`` seeds;
3. **tuner overhead per trial**: one Bayesian job, one training job at a time, alone on the server:
   (tuning job wall time - the training jobs' own Create..End time) / trials.

Prints a table and appends a dated section to docs/benchmarks.md (machine, load, date, commit).
A script, not a test: ``.venv/bin/python bench/tuning.py [--seeds 10] [--hyperband-seeds 5]``.
"""

from __future__ import annotations

import argparse
import io
import math
import statistics
import sys
import tarfile
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna

sys.path.insert(0, str(Path(__file__).resolve().parent))
from control_plane import machine

from drydock.testing.live_server import LiveServer
from drydock.tuning.trial_record import TrialState
from drydock.tuning.tuning_config import TuningConfig
from drydock.tuning.tuning_study import TuningStudy

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
BUCKET = "bench-tuning"
ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
EPOCHS = 27

FUNCTIONS = '''
import math
A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
P = [[0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886], [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
     [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650], [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381]]
ALPHA = [1.0, 1.2, 3.0, 3.2]

def branin(x):
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x[1] - b * x[0] ** 2 + c * x[0] - 6) ** 2 + 10 * (1 - t) * math.cos(x[0]) + 10

def hartmann6(x):
    return -sum(ALPHA[i] * math.exp(-sum(A[i][j] * (x[j] - P[i][j]) ** 2 for j in range(6))) for i in range(4))

def curve_bias(x, epoch, epochs):
    """What a learning curve adds before its end: 0 at the last epoch, region-dependent before it."""
    return 20 * (epochs / epoch - 1) / (epochs - 1) * (1 + 0.5 * math.sin(2 * x[0] + x[1]))
'''
PROGRAM = (
    FUNCTIONS
    + """
import argparse, time
parser = argparse.ArgumentParser()
parser.add_argument("--function")
parser.add_argument("--epochs", type=int, default=1)
parser.add_argument("--sleep", type=float, default=0.0)
for i in range(1, 7):
    parser.add_argument(f"--x{i}", type=float, default=0.0)
args, _ = parser.parse_known_args()
x = [getattr(args, f"x{i}") for i in range(1, 7)]
value = {"branin": branin, "hartmann6": hartmann6}[args.function](x)
for epoch in range(1, args.epochs + 1):
    time.sleep(args.sleep)
    bias = curve_bias(x, epoch, args.epochs) if args.epochs > 1 else 0.0
    print(f"epoch {epoch} objective: {value + bias:.8f}", flush=True)
"""
)
namespace: dict[str, Any] = {}
exec(FUNCTIONS, namespace)  # the same functions, to score proposals and run Optuna in-process
SPACES = {
    "branin": ([(-5.0, 10.0), (0.0, 15.0)], 0.397887),
    "hartmann6": ([(0.0, 1.0)] * 6, -3.32237),
}


def archive() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("train.py")
        info.size = len(PROGRAM.encode())
        tar.addfile(info, io.BytesIO(PROGRAM.encode()))
    return buffer.getvalue()


def true_value(function: str, tuned: dict[str, str]) -> float:
    x = [float(tuned.get(f"x{i}", 0.0)) for i in range(1, 7)]
    return float(namespace[function](x))


def tuning_request(strategy: str, function: str, jobs: int, parallel: int, seed: int, **extra: Any) -> dict[str, Any]:
    """The CreateHyperParameterTuningJob request (without its name) for one benchmark run."""
    bounds, _ = SPACES[function]
    ranges = [
        {"Name": f"x{i + 1}", "MinValue": repr(lo), "MaxValue": repr(hi), "ScalingType": "Linear"}
        for i, (lo, hi) in enumerate(bounds)
    ]
    static = {
        "sagemaker_program": '"train.py"',
        "sagemaker_submit_directory": f'"s3://{BUCKET}/code/sourcedir.tar.gz"',
        "function": f'"{function}"',
        **extra.pop("static", {}),
    }
    return {
        "HyperParameterTuningJobConfig": {
            "Strategy": strategy,
            "ResourceLimits": {"MaxNumberOfTrainingJobs": jobs, "MaxParallelTrainingJobs": parallel},
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "objective"},
            "ParameterRanges": {"ContinuousParameterRanges": ranges},
            "RandomSeed": seed,
            **extra,
        },
        "TrainingJobDefinition": {
            "AlgorithmSpecification": {
                "TrainingImage": IMAGE,
                "TrainingInputMode": "File",
                "MetricDefinitions": [{"Name": "objective", "Regex": r"objective: (-?[0-9.]+)"}],
            },
            "StaticHyperParameters": static,
            "RoleArn": ROLE,
            "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/output"},
            "HyperParameterTuningResourceConfig": {
                "InstanceType": "ml.m5.large",
                "InstanceCount": 1,
                "VolumeSizeInGB": 1,
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": 600},
        },
    }


def create(sm: Any, strategy: str, function: str, jobs: int, parallel: int, seed: int, **extra: Any) -> str:
    name = f"{strategy[:4].lower()}-{function[:4]}-{uuid.uuid4().hex[:8]}"
    sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name, **tuning_request(strategy, function, jobs, parallel, seed, **extra)
    )
    return name


def replay_values(function: str, trials: int, seed: int) -> list[float]:
    """Drydock's Bayesian search run in this process: its TuningStudy, fed the values a job would log.

    With one training job at a time the server's proposals depend only on the seed and the results,
    so this reproduces a server run exactly (the quality section checks that) at a fraction of the cost.
    """
    config = TuningConfig.parse(tuning_request("Bayesian", function, trials, 1, seed))
    study = TuningStudy("replay", config, [], [])
    values = []
    for _ in range(trials):
        proposal = study.ask()
        value = round(true_value(function, proposal.hyperparameters), 8)  # as the job logs it
        study.tell(proposal.number, TrialState.COMPLETE, value)
        values.append(value)
    return values


def wait_all(sm: Any, names: list[str], timeout: float = 3600) -> None:
    deadline = time.monotonic() + timeout
    pending = set(names)
    while pending:
        for name in list(pending):
            status = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)[
                "HyperParameterTuningJobStatus"
            ]
            if status in ("Completed", "Failed", "Stopped"):
                if status != "Completed":
                    raise RuntimeError(f"{name} ended {status}")
                pending.discard(name)
        if time.monotonic() > deadline:
            raise RuntimeError(f"still running: {sorted(pending)}")
        time.sleep(1.0)


def jobs_of(sm: Any, name: str) -> list[dict[str, Any]]:
    found, token = [], None
    while True:
        page = sm.list_training_jobs_for_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=name, MaxResults=100, **({"NextToken": token} if token else {})
        )
        found += page["TrainingJobSummaries"]
        if not (token := page.get("NextToken")):
            return sorted(found, key=lambda s: int(s["TrainingJobName"].split("-")[-2]))


def regret_at(values: list[float], minimum: float, budget: int) -> float:
    return min(values[:budget]) - minimum


def optuna_values(function: str, trials: int, seed: int, multivariate: bool = False) -> list[float]:
    bounds, _ = SPACES[function]
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed, multivariate=multivariate))
    study.optimize(
        lambda t: namespace[function](
            [t.suggest_float(f"x{i + 1}", lo, hi) for i, (lo, hi) in enumerate(bounds)] + [0.0] * (6 - len(bounds))
        ),
        n_trials=trials,
    )
    return [float(t.value) for t in study.trials if t.value is not None]


Regrets = dict[str, dict[str, list[float]]]
IN_PROCESS = {"Optuna TPE in-process": False, "Optuna multivariate TPE in-process": True}


def add_regrets(regrets: Regrets, function: str, label: str, values: list[float], budget: int) -> None:
    for b in (30, budget):
        regrets.setdefault(f"{function} {b}", {}).setdefault(label, []).append(
            regret_at(values, SPACES[function][1], b)
        )


def regret_table(regrets: Regrets, columns: list[str]) -> list[str]:
    lines = ["| function | trials | " + " | ".join(columns) + " |", "|---|---:|" + "---:|" * len(columns)]
    for key, by in regrets.items():
        function, trials = key.split()
        cells = [f"{statistics.median(by[k]):.3g} ({statistics.mean(by[k]):.3g})" for k in columns]
        lines.append(f"| {function} | {trials} | " + " | ".join(cells) + " |")
    return lines


def quality_section(sm: Any, seeds: list[int], budget: int, at_once: int) -> tuple[list[str], int]:
    """Regret of server runs next to in-process Optuna; how many Bayesian runs the replay reproduced."""
    wanted = [(f, seed, strategy) for f in SPACES for seed in seeds for strategy in ("Bayesian", "Random")]
    runs: dict[tuple[str, int, str], str] = {}
    for start in range(0, len(wanted), at_once):  # a few tuning jobs at a time: the machine is shared
        wave = {key: create(sm, key[2], key[0], budget, 1, key[1]) for key in wanted[start : start + at_once]}
        wait_all(sm, list(wave.values()))
        runs |= wave
    regrets: Regrets = {}
    reproduced = 0
    for (function, seed, strategy), name in runs.items():
        values = [round(true_value(function, s["TunedHyperParameters"]), 8) for s in jobs_of(sm, name)]
        add_regrets(regrets, function, f"Drydock {strategy}", values, budget)
        if strategy == "Bayesian":
            reproduced += values == replay_values(function, budget, seed)
    for function in SPACES:
        for seed in seeds:
            for label, multivariate in IN_PROCESS.items():
                add_regrets(regrets, function, label, optuna_values(function, budget, seed, multivariate), budget)
    return regret_table(regrets, ["Drydock Bayesian", "Drydock Random", *IN_PROCESS]), reproduced


def replay_section(seeds: list[int], budget: int) -> list[str]:
    regrets: Regrets = {}
    for function in SPACES:
        for seed in seeds:
            add_regrets(regrets, function, "Drydock Bayesian (replayed)", replay_values(function, budget, seed), budget)
            for label, multivariate in IN_PROCESS.items():
                add_regrets(regrets, function, label, optuna_values(function, budget, seed, multivariate), budget)
    return regret_table(regrets, ["Drydock Bayesian (replayed)", *IN_PROCESS])


def epochs_logged(logs: Any, job: str) -> int:
    group = "/aws/sagemaker/TrainingJobs"
    stream = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=f"{job}/")["logStreams"][0]
    events = logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"], startFromHead=True)
    return sum("objective:" in event["message"] for event in events["events"])


def hyperband_section(sm: Any, logs: Any, seeds: list[int], jobs: int, sleep: float) -> list[str]:
    static = {"epochs": str(EPOCHS), "sleep": str(sleep)}
    hb = {"StrategyConfig": {"HyperbandStrategyConfig": {"MinResource": 1, "MaxResource": EPOCHS}}}
    runs = {("Random", seed): create(sm, "Random", "branin", jobs, 3, seed, static=static) for seed in seeds} | {
        ("Hyperband", seed): create(sm, "Hyperband", "branin", 2 * jobs, 3, seed, static=static, **hb) for seed in seeds
    }
    wait_all(sm, list(runs.values()))
    curves: dict[tuple[str, int], list[tuple[int, float]]] = {}
    for key, name in runs.items():
        done = sorted(jobs_of(sm, name), key=lambda s: s["TrainingEndTime"])
        spent, best, curve = 0, math.inf, []
        for summary in done:
            spent += epochs_logged(logs, summary["TrainingJobName"])
            if summary["TrainingJobStatus"] == "Completed":
                best = min(best, true_value("branin", summary["TunedHyperParameters"]) - SPACES["branin"][1])
            curve.append((spent, best))
        curves[key] = curve
    target = statistics.median(curves[("Random", s)][-1][1] for s in seeds)

    def to_target(curve: list[tuple[int, float]]) -> float:
        return next((float(spent) for spent, best in curve if best <= target), math.inf)

    lines = [
        f"Target: Random's median final regret after {jobs} full jobs, {target:.4g}.",
        "",
        "| strategy | jobs | median epochs run | median final regret | median epochs to reach the target "
        "| runs reaching it |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for strategy in ("Random", "Hyperband"):
        mine = [curves[(strategy, s)] for s in seeds]
        reach = [to_target(c) for c in mine]
        count = jobs * (2 if strategy == "Hyperband" else 1)
        used = statistics.median(c[-1][0] for c in mine)
        final = statistics.median(c[-1][1] for c in mine)
        needed = statistics.median(reach)
        reached = sum(r < math.inf for r in reach)
        lines.append(f"| {strategy} | {count} | {used:.0f} | {final:.4g} | {needed:.0f} | {reached}/{len(seeds)} |")
    return lines


def overhead_section(sm: Any, trials: int) -> list[str]:
    name = create(sm, "Bayesian", "hartmann6", trials, 1, 0)
    wait_all(sm, [name])
    job = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    wall = (job["HyperParameterTuningEndTime"] - job["CreationTime"]).total_seconds()
    children = jobs_of(sm, name)
    training = sum((s["TrainingEndTime"] - s["CreationTime"]).total_seconds() for s in children)
    started = time.perf_counter()
    optuna_values("hartmann6", trials, 0)
    in_process = (time.perf_counter() - started) / trials
    return [
        "| trials | tuning job wall s | training jobs' own s | overhead per trial s "
        "| Optuna ask+tell in-process per trial s |",
        "|---:|---:|---:|---:|---:|",
        f"| {trials} | {wall:.1f} | {training:.1f} | {(wall - training) / trials:.3f} | {in_process:.4f} |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="seeds for the regret comparison")
    parser.add_argument("--at-once", type=int, default=10, help="tuning jobs running side by side")
    parser.add_argument("--replay-seeds", type=int, default=50, help="seeds for the in-process replay")
    parser.add_argument("--hyperband-seeds", type=int, default=5)
    parser.add_argument("--budget", type=int, default=50)
    parser.add_argument("--hyperband-jobs", type=int, default=20)
    parser.add_argument("--epoch-seconds", type=float, default=0.3)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    info = machine()
    seeds = list(range(args.seeds))
    with tempfile.TemporaryDirectory() as home:
        live = LiveServer(Path(home), extra_env={"DRYDOCK_MAX_CPUS": "64", "DRYDOCK_MAX_MEMORY_MIB": "1048576"})
        live.start()
        try:
            s3, sm = live.client("s3"), live.client("sagemaker")
            s3.create_bucket(Bucket=BUCKET)
            s3.put_object(Bucket=BUCKET, Key="code/sourcedir.tar.gz", Body=archive())
            timed: dict[str, float] = {}

            def step(label: str, run: Callable[[], Any]) -> Any:
                started = time.monotonic()
                result = run()
                timed[label] = time.monotonic() - started
                print(f"{label}: {timed[label]:.0f} s", file=sys.stderr)
                return result

            overhead = step("overhead", lambda: overhead_section(sm, 20))
            quality, reproduced = step("quality", lambda: quality_section(sm, seeds, args.budget, args.at_once))
            hb_seeds = list(range(args.hyperband_seeds))
            hyperband = step(
                "hyperband",
                lambda: hyperband_section(sm, live.client("logs"), hb_seeds, args.hyperband_jobs, args.epoch_seconds),
            )
        finally:
            live.stop()
    replay = step("replay", lambda: replay_section(list(range(args.replay_seeds)), args.budget))
    text = "\n".join(
        [
            f"Regret (best found minus the minimum): median (mean) over {len(seeds)} seeds; one training job at a "
            "time for Drydock:",
            "",
            *quality,
            "",
            f"The server's Bayesian runs are exactly what Drydock's sampler code proposes when run in this process "
            f"with the same seed ({reproduced} of {len(seeds) * len(SPACES)} runs identical), so that code, replayed "
            f"in-process over {args.replay_seeds} seeds, gives the comparison more seeds than server runs can:",
            "",
            *replay,
            "",
            f"Hyperband vs Random on Branin as a {EPOCHS}-epoch learning curve ({args.epoch_seconds:g} s an epoch), "
            f"3 jobs at a time, median over {args.hyperband_seeds} seeds:",
            "",
            *hyperband,
            "",
            "Tuner overhead (Hartmann6, Bayesian, one job at a time, alone on the server):",
            "",
            *overhead,
        ]
    )
    print(text)
    if not args.no_doc:
        section = [
            "",
            f"## Hyperparameter tuning: regret, Hyperband compute, overhead — {info['date']}",
            "",
            f"`bench/tuning.py --seeds {args.seeds} --budget {args.budget} --hyperband-seeds {args.hyperband_seeds} "
            f"--hyperband-jobs {args.hyperband_jobs} --epoch-seconds {args.epoch_seconds:g}`: "
            "one embedded server; Branin and Hartmann6 as script-mode training jobs (scikit-learn image).",
            "",
            f"- commit: {info['commit']}",
            f"- machine: {info['cpus']}, {info['memory']} memory; load average before the run {info['load']}",
            f"- python: {info['python']}; {info['clients']}; optuna {optuna.__version__}",
            "",
            text,
            "",
        ]
        with DOC.open("a") as doc:
            doc.write("\n".join(section))


if __name__ == "__main__":
    main()
