"""CreateTrainingJob and StopTrainingJob rules, as SageMaker enforces them."""

from __future__ import annotations

import time
from typing import Any

import regex

from drydock.engine.training.commands import UnknownImage, resolve_command
from drydock.engine.training.job_record import STATUS_MESSAGES, JobRecord, transition
from drydock.engine.training.status import JobStatus, Secondary
from drydock.errors import ValidationError
from drydock.services.dependencies import Dependencies
from drydock.services.sagemaker.training_jobs.model import ECHOED, TRAINING_JOB
from drydock.store.resources import Resource

#: SageMaker's default MaxRuntimeInSeconds (one day) when the caller sends none.
DEFAULT_MAX_RUNTIME = 86400


def create_training_job(deps: Dependencies, request: dict[str, Any], tuning_job_arn: str | None = None) -> Resource:
    """Validate and store a training job; ``tuning_job_arn`` names the tuning job that launched it."""
    document = training_job_document(deps, request)
    if tuning_job_arn is not None:
        document["TuningJobArn"] = tuning_job_arn
    name = request["TrainingJobName"]
    return TRAINING_JOB.create(deps, name, document, request.get("Tags"), status=JobStatus.IN_PROGRESS.value)


def training_job_document(deps: Dependencies, request: dict[str, Any]) -> dict[str, Any]:
    """The stored Describe document of a new job, after every check CreateTrainingJob makes (no side effects)."""
    algorithm = request.get("AlgorithmSpecification") or {}
    if not algorithm.get("TrainingImage") and not algorithm.get("AlgorithmName"):
        raise ValidationError("AlgorithmSpecification needs a TrainingImage or an AlgorithmName")
    if algorithm.get("AlgorithmName") and not algorithm.get("TrainingImage"):
        raise ValidationError("AlgorithmName (marketplace algorithms) is not supported; give a TrainingImage")
    for metric in algorithm.get("MetricDefinitions", []):
        try:
            compiled = regex.compile(metric["Regex"])
        except regex.error as exc:
            raise ValidationError(f"MetricDefinitions {metric['Name']!r}: invalid Regex: {exc}") from None
        if compiled.groups < 1:
            raise ValidationError(f"MetricDefinitions {metric['Name']!r}: the Regex needs a capture group")
    output = request["OutputDataConfig"]["S3OutputPath"]
    if not output.startswith(("s3://", "file://")):
        raise ValidationError("OutputDataConfig.S3OutputPath must be an s3:// URI")
    resources = request.get("ResourceConfig") or {}
    if not resources.get("InstanceType") or not resources.get("InstanceCount"):
        raise ValidationError("ResourceConfig needs InstanceType and InstanceCount")
    stopping = dict(request.get("StoppingCondition") or {})
    stopping.setdefault("MaxRuntimeInSeconds", DEFAULT_MAX_RUNTIME)
    if request.get("EnableManagedSpotTraining"):
        wait = stopping.get("MaxWaitTimeInSeconds")
        if wait is None or wait < stopping["MaxRuntimeInSeconds"]:
            raise ValidationError(
                "Managed spot training needs StoppingCondition.MaxWaitTimeInSeconds of at least MaxRuntimeInSeconds"
            )
    document = {key: request[key] for key in ECHOED if key in request}
    document["StoppingCondition"] = stopping
    document.setdefault("HyperParameters", {})
    # SageMaker describes a job without a KMS key with KmsKeyId "", and the SDK's Estimator.attach
    # (HyperparameterTuner.best_estimator() too) reads it.
    document["OutputDataConfig"] = {"KmsKeyId": "", **request["OutputDataConfig"]}
    try:
        resolve_command(document)
    except UnknownImage as exc:
        raise ValidationError(str(exc)) from None
    name = request["TrainingJobName"]
    document["TrainingJobArn"] = TRAINING_JOB.arn(deps, name)
    document["TrainingJobStatus"] = JobStatus.IN_PROGRESS.value
    document["SecondaryStatus"] = Secondary.STARTING.value
    document["SecondaryStatusTransitions"] = [
        {"Status": "Starting", "StartTime": time.time(), "StatusMessage": STATUS_MESSAGES[Secondary.STARTING]}
    ]
    # Where the artifact will be; DescribeTrainingJob must always carry ModelArtifacts.
    document["ModelArtifacts"] = {"S3ModelArtifacts": f"{output.rstrip('/')}/{name}/output/model.tar.gz"}
    return document


def stop_training_job(deps: Dependencies, name: str) -> None:
    job = TRAINING_JOB.get(deps, name)
    record = JobRecord(deps.resources, job.arn, job.name)
    refused: list[str] = []

    def change(doc: dict[str, Any]) -> None:
        status = doc["TrainingJobStatus"]
        if status == JobStatus.STOPPING:
            return
        if status != JobStatus.IN_PROGRESS:
            refused.append(status)
            return
        transition(doc, Secondary.STOPPING)
        doc["TrainingJobStatus"] = JobStatus.STOPPING.value

    record.apply(change)
    if refused:
        raise ValidationError(f"The training job {name} is {refused[0]} and can no longer be stopped.")
