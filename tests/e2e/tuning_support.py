"""Helpers for tuning e2e tests: a tiny script-mode training program, tuning job requests, polling.

The program is a framework (scikit-learn image) entry point, as HyperparameterTuner runs them: a
tuning job's AlgorithmSpecification has no ContainerEntrypoint. It logs ``epoch <n> loss: <v>``
once per epoch, with a loss that falls with the epochs and is lowest at x=0.3, y=0.6, opt=a, so
early stopping and Hyperband have intermediate values to judge and every test knows the optimum.
"""

from __future__ import annotations

import io
import tarfile
import time
from typing import Any

from tests.e2e.training_support import ROLE

PROGRAM = b"""
import argparse, time
parser = argparse.ArgumentParser()
for name, default in (("x", 0.5), ("y", 0.5), ("sleep", 0.0)):
    parser.add_argument(f"--{name}", type=float, default=default)
parser.add_argument("--opt", default="a")
parser.add_argument("--epochs", type=int, default=1)
args, _ = parser.parse_known_args()  # tuning adds --_tuning_objective_metric, as on SageMaker
penalty = {"a": 0.0, "b": 0.1, "c": 0.2}[args.opt]
for epoch in range(1, args.epochs + 1):
    time.sleep(args.sleep)
    loss = (args.x - 0.3) ** 2 + (args.y - 0.6) ** 2 + penalty + 1.0 / epoch
    print(f"epoch {epoch} loss: {loss:.6f}", flush=True)
"""
SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ENDED = ("Completed", "Failed", "Stopped")


def source_archive() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("train.py")
        info.size = len(PROGRAM)
        archive.addfile(info, io.BytesIO(PROGRAM))
    return buffer.getvalue()


def program_definition(bucket: str, **static: str) -> dict[str, Any]:
    """A TrainingJobDefinition that runs :data:`PROGRAM`, as the SDK sends it for a framework estimator."""
    return {
        "AlgorithmSpecification": {
            "TrainingImage": SKLEARN_IMAGE,
            "TrainingInputMode": "File",
            "MetricDefinitions": [{"Name": "loss", "Regex": r"loss: ([0-9.]+)"}],
        },
        "StaticHyperParameters": {
            "sagemaker_program": '"train.py"',
            "sagemaker_submit_directory": f'"s3://{bucket}/code/sourcedir.tar.gz"',
            **static,
        },
        "RoleArn": ROLE,
        "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/output"},
        "HyperParameterTuningResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
        "StoppingCondition": {"MaxRuntimeInSeconds": 300},
    }


def tuning_config(
    strategy: str, ranges: dict[str, Any], max_jobs: int | None, parallel: int, **extra: Any
) -> dict[str, Any]:
    limits: dict[str, Any] = {"MaxParallelTrainingJobs": parallel}
    if max_jobs is not None:
        limits["MaxNumberOfTrainingJobs"] = max_jobs
    return {
        "Strategy": strategy,
        "ResourceLimits": limits,
        "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"},
        "ParameterRanges": ranges,
        **extra,
    }


def wait_for_tuning(sagemaker: Any, name: str, statuses: tuple[str, ...] = ENDED, timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        job = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        if job["HyperParameterTuningJobStatus"] in statuses:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"{name} still {job['HyperParameterTuningJobStatus']} after {timeout}s: {job}")
        time.sleep(0.1)


def training_jobs(sagemaker: Any, name: str, **kwargs: Any) -> list[dict[str, Any]]:
    """Every training job of the tuning job, following NextToken, in the order SageMaker lists them."""
    found: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=name, MaxResults=4, **kwargs, **({"NextToken": token} if token else {})
        )
        found += page["TrainingJobSummaries"]
        token = page.get("NextToken")
        if not token:
            return found


def sequence(summary: dict[str, Any]) -> int:
    """The NNN of ``<tuning job>-<NNN>-<8 hex>``."""
    return int(summary["TrainingJobName"].split("-")[-2])


def training_seconds(summary: dict[str, Any]) -> float:
    return float((summary["TrainingEndTime"] - summary["TrainingStartTime"]).total_seconds())
