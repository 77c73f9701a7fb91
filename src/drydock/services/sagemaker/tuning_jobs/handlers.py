"""Wire handlers for hyperparameter tuning jobs."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from drydock.core.listing import ListQuery, SortKey
from drydock.services.dependencies import deps_of
from drydock.services.sagemaker.api import api
from drydock.services.sagemaker.tuning_jobs.model import TUNING_JOB, describe, summary
from drydock.services.sagemaker.tuning_jobs.service import create_tuning_job, delete_tuning_job, stop_tuning_job
from drydock.services.sagemaker.tuning_jobs.training_job_list import list_training_jobs
from drydock.wire.context import RequestContext


@api.operation("CreateHyperParameterTuningJob")
def create(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    deps = deps_of(ctx)
    resource = create_tuning_job(deps, request)
    deps.tuning.wake()
    return {"HyperParameterTuningJobArn": resource.arn}


@api.operation("DescribeHyperParameterTuningJob")
def describe_tuning_job(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    return describe(TUNING_JOB.get(deps_of(ctx), request["HyperParameterTuningJobName"]))


@api.operation("ListHyperParameterTuningJobs")
def list_tuning_jobs(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    # Unlike most List calls, this one sorts by Name, ascending, unless told otherwise.
    query = replace(
        ListQuery.from_request(request, default_sort=SortKey.NAME), descending=request.get("SortOrder") == "Descending"
    )
    page = deps_of(ctx).resources.list(TUNING_JOB.arn_type, query)
    return {"HyperParameterTuningJobSummaries": [summary(r) for r in page.items], "NextToken": page.next_token}


@api.operation("StopHyperParameterTuningJob")
def stop(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    deps = deps_of(ctx)
    stop_tuning_job(deps, request["HyperParameterTuningJobName"])
    deps.tuning.wake()
    return {}


@api.operation("DeleteHyperParameterTuningJob")
def delete(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    delete_tuning_job(deps_of(ctx), request["HyperParameterTuningJobName"])
    return {}


@api.operation("ListTrainingJobsForHyperParameterTuningJob")
def list_training_jobs_for_tuning_job(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    summaries, token = list_training_jobs(deps_of(ctx), request)
    return {"TrainingJobSummaries": summaries, "NextToken": token}
