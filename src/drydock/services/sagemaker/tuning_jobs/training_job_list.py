"""ListTrainingJobsForHyperParameterTuningJob: a tuning job's training jobs with what tuning made of them.

SortBy ``Name`` (the default), ``CreationTime``, ``Status`` or ``FinalObjectiveMetricValue`` (which
leaves out jobs without an objective value, as SageMaker does); SortOrder defaults to Ascending.
A tuning job has at most a few hundred training jobs, so the page is cut from the sorted list and the
NextToken carries the position, bound to the request's filters.
"""

from __future__ import annotations

from typing import Any

from drydock.core.arns import sagemaker_arn
from drydock.core.pagination import PageToken, decode_token, encode_token, fingerprint
from drydock.errors import ValidationError
from drydock.services.dependencies import Dependencies
from drydock.services.sagemaker.tuning_jobs.model import TUNING_JOB
from drydock.tuning.job_document import TRIALS
from drydock.tuning.summary import training_job_summary
from drydock.tuning.trial_record import TrialRecord
from drydock.tuning.tuning_config import TuningConfig

DEFAULT_MAX_RESULTS = 10
_SORT_KEYS = {
    "Name": lambda s: s["TrainingJobName"],
    "CreationTime": lambda s: s["CreationTime"],
    "Status": lambda s: s["TrainingJobStatus"],
    "FinalObjectiveMetricValue": lambda s: s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"],
}


def list_training_jobs(deps: Dependencies, request: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    job = TUNING_JOB.get(deps, request["HyperParameterTuningJobName"])
    config = TuningConfig.parse(job.document)
    objectives = {d.name: d.objective for d in config.definitions}
    summaries = []
    for raw in job.document.get(TRIALS) or []:
        trial = TrialRecord.from_json(raw)
        child = deps.resources.get(sagemaker_arn(deps.region, deps.account_id, "training-job", trial.training_job_name))
        if child is None:
            continue  # not created yet
        summaries.append(training_job_summary(trial, child, job.name, objectives[trial.definition]))
    status = request.get("StatusEquals")
    if status:
        summaries = [s for s in summaries if s["TrainingJobStatus"] == status]
    sort_by = request.get("SortBy") or "Name"
    if sort_by == "FinalObjectiveMetricValue":
        summaries = [s for s in summaries if s.get("FinalHyperParameterTuningJobObjectiveMetric")]
    descending = request.get("SortOrder") == "Descending"
    summaries.sort(key=lambda s: (_SORT_KEYS[sort_by](s), s["TrainingJobName"]), reverse=descending)
    stamp = fingerprint(job.arn, status, sort_by, descending)
    start = 0
    if request.get("NextToken"):
        after = decode_token(request["NextToken"], stamp).after
        if len(after) != 1 or not isinstance(after[0], int) or after[0] < 0:
            raise ValidationError("Invalid pagination token: pass back the NextToken of a previous page")
        start = after[0]
    limit = int(request.get("MaxResults") or DEFAULT_MAX_RESULTS)
    page = summaries[start : start + limit]
    more = start + limit < len(summaries)
    return page, encode_token(PageToken(stamp, [start + limit])) if more else None
