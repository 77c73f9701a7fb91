"""Wire handlers for Endpoints."""

from __future__ import annotations

from typing import Any

from drydock.services.dependencies import deps_of
from drydock.services.sagemaker.api import api
from drydock.services.sagemaker.endpoints.model import ENDPOINT, describe, summary
from drydock.services.sagemaker.endpoints.service import (
    create_endpoint,
    delete_endpoint,
    update_endpoint,
    update_weights_and_capacities,
)
from drydock.wire.context import RequestContext


@api.operation("CreateEndpoint")
def create(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    return {"EndpointArn": create_endpoint(deps_of(ctx), request).arn}


@api.operation("DescribeEndpoint")
def describe_endpoint(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    return describe(ENDPOINT.get(deps_of(ctx), request["EndpointName"]))


@api.operation("ListEndpoints")
def list_endpoints(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    page = ENDPOINT.list(deps_of(ctx), request)
    return {"Endpoints": [summary(r) for r in page.items], "NextToken": page.next_token}


@api.operation("UpdateEndpoint")
def update(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    return {"EndpointArn": update_endpoint(deps_of(ctx), request).arn}


@api.operation("UpdateEndpointWeightsAndCapacities")
def update_weights(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    return {"EndpointArn": update_weights_and_capacities(deps_of(ctx), request).arn}


@api.operation("DeleteEndpoint")
def delete(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    delete_endpoint(deps_of(ctx), request["EndpointName"])
    return {}
