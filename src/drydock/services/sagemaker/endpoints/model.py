"""The Endpoint resource: what is stored and how Describe/List present it."""

from __future__ import annotations

from typing import Any

from drydock.services.sagemaker.resource_kind import ResourceKind
from drydock.serving.endpoint_record import INTERNAL_MEMBERS
from drydock.store.resources import Resource

ENDPOINT = ResourceKind(arn_type="endpoint", noun="endpoint")


def describe(resource: Resource) -> dict[str, Any]:
    document = {k: v for k, v in resource.document.items() if k not in INTERNAL_MEMBERS}
    return {
        **document,
        "EndpointArn": resource.arn,
        "CreationTime": resource.creation_time,
        "LastModifiedTime": resource.last_modified_time,
    }


def summary(resource: Resource) -> dict[str, Any]:
    return {
        "EndpointName": resource.name,
        "EndpointArn": resource.arn,
        "CreationTime": resource.creation_time,
        "LastModifiedTime": resource.last_modified_time,
        "EndpointStatus": resource.status,
    }
