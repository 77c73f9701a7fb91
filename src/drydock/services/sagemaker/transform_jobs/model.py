"""The TransformJob resource: its stored document and how Describe and List present it."""

from __future__ import annotations

from typing import Any

from drydock.services.sagemaker.resource_kind import ResourceKind
from drydock.serving.transform.job_record import INTERNAL_MEMBERS
from drydock.store.resources import Resource

# SageMaker answers a missing job as it does for training jobs.
TRANSFORM_JOB = ResourceKind(
    arn_type="transform-job", noun="transform job", missing_message="Requested resource not found."
)

#: Request members echoed by DescribeTransformJob.
ECHOED = (
    "TransformJobName",
    "ModelName",
    "MaxConcurrentTransforms",
    "ModelClientConfig",
    "MaxPayloadInMB",
    "BatchStrategy",
    "Environment",
    "TransformInput",
    "TransformOutput",
    "DataCaptureConfig",
    "TransformResources",
    "DataProcessing",
    "ExperimentConfig",
)


def describe(resource: Resource) -> dict[str, Any]:
    document = {k: v for k, v in resource.document.items() if k not in INTERNAL_MEMBERS}
    return {**document, "TransformJobArn": resource.arn, "CreationTime": resource.creation_time}


def summary(resource: Resource) -> dict[str, Any]:
    doc = resource.document
    return {
        "TransformJobName": resource.name,
        "TransformJobArn": resource.arn,
        "CreationTime": resource.creation_time,
        "TransformEndTime": doc.get("TransformEndTime"),
        "LastModifiedTime": resource.last_modified_time,
        "TransformJobStatus": resource.status,
        "FailureReason": doc.get("FailureReason"),
    }
