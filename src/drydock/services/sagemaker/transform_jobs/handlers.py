"""Wire handlers for transform jobs."""

from __future__ import annotations

from typing import Any

from drydock.services.dependencies import deps_of
from drydock.services.sagemaker.api import api
from drydock.services.sagemaker.transform_jobs.model import TRANSFORM_JOB, describe, summary
from drydock.services.sagemaker.transform_jobs.service import create_transform_job, stop_transform_job
from drydock.wire.context import RequestContext


@api.operation("CreateTransformJob")
def create(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    return {"TransformJobArn": create_transform_job(deps_of(ctx), request).arn}


@api.operation("DescribeTransformJob")
def describe_transform_job(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    return describe(TRANSFORM_JOB.get(deps_of(ctx), request["TransformJobName"]))


@api.operation("ListTransformJobs")
def list_transform_jobs(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    page = TRANSFORM_JOB.list(deps_of(ctx), request)
    return {"TransformJobSummaries": [summary(r) for r in page.items], "NextToken": page.next_token}


@api.operation("StopTransformJob")
def stop(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    stop_transform_job(deps_of(ctx), request["TransformJobName"])
    return {}
