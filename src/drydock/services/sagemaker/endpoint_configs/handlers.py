"""Wire handlers for EndpointConfigs."""

from __future__ import annotations

from typing import Any

from drydock.services.dependencies import deps_of
from drydock.services.sagemaker.api import api
from drydock.services.sagemaker.endpoint_configs.model import ENDPOINT_CONFIG, describe, summary
from drydock.services.sagemaker.endpoint_configs.service import create_endpoint_config
from drydock.wire.context import RequestContext


@api.operation("CreateEndpointConfig")
def create(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    resource = create_endpoint_config(deps_of(ctx), request)
    return {"EndpointConfigArn": resource.arn}


@api.operation("DescribeEndpointConfig")
def describe_endpoint_config(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    return describe(ENDPOINT_CONFIG.get(deps_of(ctx), request["EndpointConfigName"]))


@api.operation("ListEndpointConfigs")
def list_endpoint_configs(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    page = ENDPOINT_CONFIG.list(deps_of(ctx), request)
    return {"EndpointConfigs": [summary(r) for r in page.items], "NextToken": page.next_token}


@api.operation("DeleteEndpointConfig")
def delete(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    ENDPOINT_CONFIG.delete(deps_of(ctx), request["EndpointConfigName"])
    return {}
