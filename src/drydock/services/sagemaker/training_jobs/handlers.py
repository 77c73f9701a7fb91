"""Wire handlers for training jobs."""

from __future__ import annotations

from typing import Any

from drydock.services.dependencies import deps_of
from drydock.services.sagemaker.api import api
from drydock.services.sagemaker.training_jobs.model import TRAINING_JOB, describe, summary
from drydock.services.sagemaker.training_jobs.service import create_training_job, stop_training_job
from drydock.wire.context import RequestContext


@api.operation("CreateTrainingJob")
def create(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    deps = deps_of(ctx)
    resource = create_training_job(deps, request)
    deps.training.wake()
    return {"TrainingJobArn": resource.arn}


@api.operation("DescribeTrainingJob")
def describe_training_job(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    return describe(TRAINING_JOB.get(deps_of(ctx), request["TrainingJobName"]))


@api.operation("ListTrainingJobs")
def list_training_jobs(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    page = TRAINING_JOB.list(deps_of(ctx), request)
    return {"TrainingJobSummaries": [summary(r) for r in page.items], "NextToken": page.next_token}


@api.operation("StopTrainingJob")
def stop(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    stop_training_job(deps_of(ctx), request["TrainingJobName"])
    return {}
