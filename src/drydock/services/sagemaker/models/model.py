"""The Model resource: what is stored and how Describe/List present it."""

from __future__ import annotations

from typing import Any

from drydock.services.sagemaker.resource_kind import ResourceKind
from drydock.store.resources import Resource

MODEL = ResourceKind(arn_type="model", noun="model")

#: Request members kept in the stored document (Tags live in the tags table).
STORED_MEMBERS = (
    "ModelName",
    "PrimaryContainer",
    "Containers",
    "InferenceExecutionConfig",
    "ExecutionRoleArn",
    "VpcConfig",
    "EnableNetworkIsolation",
)


def describe(resource: Resource) -> dict[str, Any]:
    return {**resource.document, "ModelArn": resource.arn, "CreationTime": resource.creation_time}


def summary(resource: Resource) -> dict[str, Any]:
    return {"ModelName": resource.name, "ModelArn": resource.arn, "CreationTime": resource.creation_time}
