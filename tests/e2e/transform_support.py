"""Helpers for batch transform e2e tests."""

from __future__ import annotations

import time
from typing import Any

ENDED = ("Completed", "Failed", "Stopped")


def wait_for_transform(sagemaker: Any, name: str, statuses: tuple[str, ...] = ENDED, timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        job = sagemaker.describe_transform_job(TransformJobName=name)
        if job["TransformJobStatus"] in statuses:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"{name} still {job['TransformJobStatus']} after {timeout}s")
        time.sleep(0.1)


def transform_request(name: str, model: str, source: str, output: str, **extra: Any) -> dict[str, Any]:
    data_type = extra.pop("S3DataType", "S3Prefix")
    split = extra.pop("SplitType", "Line")
    content_type = extra.pop("ContentType", "text/csv")
    return {
        "TransformJobName": name,
        "ModelName": model,
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": data_type, "S3Uri": source}},
            "ContentType": content_type,
            "SplitType": split,
        },
        "TransformOutput": {"S3OutputPath": output, "AssembleWith": "Line"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": extra.pop("InstanceCount", 1)},
        **extra,
    }
