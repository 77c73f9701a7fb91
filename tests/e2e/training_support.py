"""Helpers for training e2e tests: upload data, poll a job to an end state with a deadline."""

from __future__ import annotations

import io
import tarfile
import time
from typing import Any

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
ENDED = ("Completed", "Failed", "Stopped")


def wait_for_job(sagemaker: Any, name: str, statuses: tuple[str, ...] = ENDED, timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        job = sagemaker.describe_training_job(TrainingJobName=name)
        if job["TrainingJobStatus"] in statuses:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"{name} still {job['TrainingJobStatus']}/{job['SecondaryStatus']} after {timeout}s")
        time.sleep(0.1)


def wait_for_secondary(sagemaker: Any, name: str, secondary: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        job = sagemaker.describe_training_job(TrainingJobName=name)
        if job["SecondaryStatus"] == secondary:
            return job
        if job["TrainingJobStatus"] in ENDED or time.monotonic() > deadline:
            raise AssertionError(
                f"{name} never reached {secondary}: {job['TrainingJobStatus']}/{job['SecondaryStatus']}"
            )
        time.sleep(0.05)


def model_files(s3: Any, uri: str) -> dict[str, bytes]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        return {m.name.removeprefix("./"): archive.extractfile(m).read() for m in archive.getmembers() if m.isfile()}  # type: ignore[union-attr]


def job_log(logs: Any, name: str) -> list[str]:
    streams = logs.describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix=f"{name}/")
    lines: list[str] = []
    for stream in streams["logStreams"]:
        events = logs.get_log_events(
            logGroupName="/aws/sagemaker/TrainingJobs", logStreamName=stream["logStreamName"], startFromHead=True
        )["events"]
        lines += [e["message"] for e in events]
    return lines
