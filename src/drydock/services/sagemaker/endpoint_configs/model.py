"""The EndpointConfig resource: what is stored and how Describe/List present it."""

from __future__ import annotations

from typing import Any

from drydock.services.sagemaker.resource_kind import ResourceKind
from drydock.store.resources import Resource

ENDPOINT_CONFIG = ResourceKind(arn_type="endpoint-config", noun="endpoint configuration")

STORED_MEMBERS = (
    "EndpointConfigName",
    "ProductionVariants",
    "DataCaptureConfig",
    "KmsKeyId",
    "AsyncInferenceConfig",
    "ExplainerConfig",
    "ShadowProductionVariants",
    "ExecutionRoleArn",
    "VpcConfig",
    "EnableNetworkIsolation",
)


def describe(resource: Resource) -> dict[str, Any]:
    return {
        **resource.document,
        "EndpointConfigArn": resource.arn,
        "CreationTime": resource.creation_time,
    }


def summary(resource: Resource) -> dict[str, Any]:
    return {
        "EndpointConfigName": resource.name,
        "EndpointConfigArn": resource.arn,
        "CreationTime": resource.creation_time,
    }
