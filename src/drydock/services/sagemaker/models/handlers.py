"""Wire handlers for Models."""

from __future__ import annotations

from typing import Any

from drydock.services.dependencies import deps_of
from drydock.services.sagemaker.api import api
from drydock.services.sagemaker.models.model import MODEL, describe, summary
from drydock.services.sagemaker.models.service import create_model
from drydock.wire.context import RequestContext


@api.operation("CreateModel")
def create(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    resource = create_model(deps_of(ctx), request)
    return {"ModelArn": resource.arn}


@api.operation("DescribeModel")
def describe_model(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    return describe(MODEL.get(deps_of(ctx), request["ModelName"]))


@api.operation("ListModels")
def list_models(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    page = MODEL.list(deps_of(ctx), request)
    return {"Models": [summary(r) for r in page.items], "NextToken": page.next_token}


@api.operation("DeleteModel")
def delete(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    MODEL.delete(deps_of(ctx), request["ModelName"])
    return {}
