"""The HyperParameterTuningJob resource: its stored document and how Describe and List present it."""

from __future__ import annotations

import time
from typing import Any

from drydock.services.sagemaker.resource_kind import ResourceKind
from drydock.store.resources import Resource
from drydock.tuning.job_document import STATUS, public

TUNING_JOB = ResourceKind(
    arn_type="hyper-parameter-tuning-job", noun="hyperparameter tuning job", missing_is_resource_not_found=True
)

#: Request members echoed by DescribeHyperParameterTuningJob.
ECHOED = (
    "HyperParameterTuningJobName",
    "HyperParameterTuningJobConfig",
    "TrainingJobDefinition",
    "TrainingJobDefinitions",
    "WarmStartConfig",
)

EMPTY_STATUS_COUNTERS = {"Completed": 0, "InProgress": 0, "RetryableError": 0, "NonRetryableError": 0, "Stopped": 0}
EMPTY_OBJECTIVE_COUNTERS = {"Succeeded": 0, "Pending": 0, "Failed": 0}


def describe(resource: Resource) -> dict[str, Any]:
    doc = public(resource.document)
    created = resource.creation_time.timestamp()
    ended = doc.get("HyperParameterTuningEndTime")
    return {
        **doc,
        "CreationTime": resource.creation_time,
        "LastModifiedTime": resource.last_modified_time,
        # Wall-clock time the tuning job has run (SageMaker's ConsumedResources.RuntimeInSeconds).
        "ConsumedResources": {"RuntimeInSeconds": round((ended or time.time()) - created)},
    }


def summary(resource: Resource) -> dict[str, Any]:
    doc = resource.document
    config = doc["HyperParameterTuningJobConfig"]
    return {
        "HyperParameterTuningJobName": resource.name,
        "HyperParameterTuningJobArn": resource.arn,
        "HyperParameterTuningJobStatus": doc[STATUS],
        "Strategy": config["Strategy"],
        "CreationTime": resource.creation_time,
        "HyperParameterTuningEndTime": doc.get("HyperParameterTuningEndTime"),
        "LastModifiedTime": resource.last_modified_time,
        "TrainingJobStatusCounters": doc["TrainingJobStatusCounters"],
        "ObjectiveStatusCounters": doc["ObjectiveStatusCounters"],
        "ResourceLimits": config["ResourceLimits"],
    }
