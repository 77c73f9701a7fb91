"""What an SDK user sets up to run unchanged ``sagemaker`` (v2) code against Drydock, plus a network guard.

The script's environment is what ``eval "$(drydock env)"`` exports (AWS_ENDPOINT_URL, keys, region), so
every client the SDK builds from its boto3 session reaches Drydock. Two SDK paths ignore that endpoint
(docs/sdk.md): the default bucket name comes from STS at a hard-coded ``sts.<region>.amazonaws.com``
(avoided by ``default_bucket=`` and an explicit role), and telemetry GETs an amazonaws.com URL after
``fit()`` and friends (avoided by the ``TelemetryOptOut`` setting). :func:`refuse_outside_connections`
turns any other host into an immediate error and records it, so a test proves the SDK reached nothing
but Drydock, and a machine without internet never waits on a connect timeout. (It starts after
``import sagemaker``, which reaches nothing when the environment names a region.)

:func:`fit_and_describe` is the frame every script shares: options, guard, session, a timed ``train()``
and the fields of the result every test reads. This file runs in the SDK's venv (.venv-sdk), not
Drydock's: it imports nothing from drydock.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import boto3
import sagemaker

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
#: The SDK's defaults config (the same tree a ~/.config/sagemaker/config.yaml holds), given to the Session.
SDK_CONFIG = {"SchemaVersion": "1.0", "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}}}


def drydock_session(bucket: str) -> sagemaker.Session:
    boto_session = boto3.Session()  # endpoint, keys and region from the environment
    return sagemaker.Session(
        boto_session=boto_session,
        sagemaker_client=boto_session.client("sagemaker"),
        sagemaker_runtime_client=boto_session.client("sagemaker-runtime"),
        default_bucket=bucket,
        sagemaker_config=SDK_CONFIG,
    )


def refuse_outside_connections() -> list[str]:
    """Fail every name lookup or connection to a host other than Drydock's; return the hosts refused."""
    endpoint_host = urlsplit(os.environ["AWS_ENDPOINT_URL"]).hostname
    allowed = {endpoint_host, "127.0.0.1", "::1", "localhost"}
    refused: list[str] = []

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "socket.getaddrinfo":
            host = args[0]
        elif event == "socket.connect" and isinstance(args[1], tuple):
            host = args[1][0]
        else:
            return
        if isinstance(host, bytes):
            host = host.decode()
        if host is not None and host not in allowed:
            refused.append(host)
            raise OSError(f"refused a connection to {host}: only Drydock at {endpoint_host} is reachable")

    sys.addaudithook(hook)
    return refused


def fit_and_describe(
    train: Callable[[sagemaker.Session, str], Any],
) -> tuple[Any, sagemaker.Session, argparse.Namespace, dict[str, Any]]:
    """Run ``train(session, data_dir)`` as the script's options say; return the fitted estimator, the
    session, the options (--bucket, --data, --download) and the result fields every script prints."""
    parser = argparse.ArgumentParser()
    for option in ("--bucket", "--data", "--download"):
        parser.add_argument(option, required=True)
    options = parser.parse_args()
    refused = refuse_outside_connections()
    session = drydock_session(options.bucket)
    started = time.monotonic()
    estimator = train(session, options.data)
    fit_seconds = round(time.monotonic() - started, 1)
    job = estimator.latest_training_job.describe()
    result = {
        "job_name": estimator.latest_training_job.name,
        "status": job["TrainingJobStatus"],
        "model_data": estimator.model_data,
        "hyperparameters": job["HyperParameters"],
        "metrics": {m["MetricName"]: m["Value"] for m in job.get("FinalMetricDataList", [])},
        "fit_seconds": fit_seconds,
        "refused": refused,
    }
    return estimator, session, options, result


def emit(result: dict[str, Any]) -> None:
    """The script's result, as the last line of its output (the SDK's log tailing prints before it)."""
    print(json.dumps(result), flush=True)
