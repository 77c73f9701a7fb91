"""CreateHyperParameterTuningJob and StopHyperParameterTuningJob rules, as SageMaker enforces them.

Create checks the whole request before anything runs: the strategy's rules and the search space
(:class:`~drydock.tuning.tuning_config.TuningConfig`), each training job definition by building the
training job it would launch and running CreateTrainingJob's own checks on it, the objective metric
against the metrics the job will emit (its MetricDefinitions, or the built-in algorithm's), and the
warm-start parents. Then it stores the job InProgress; the tuning reconciler does the rest.
"""

from __future__ import annotations

from typing import Any

from drydock.engine.training.commands import UnknownImage, resolve_command
from drydock.errors import ClientError, ValidationError
from drydock.services.dependencies import Dependencies
from drydock.services.sagemaker.training_jobs.service import training_job_document
from drydock.services.sagemaker.tuning_jobs.model import (
    ECHOED,
    EMPTY_OBJECTIVE_COUNTERS,
    EMPTY_STATUS_COUNTERS,
    TUNING_JOB,
)
from drydock.store.resources import Resource
from drydock.tuning.child_request import OBJECTIVE_HYPERPARAMETER, child_request, resource_config
from drydock.tuning.job_document import STATUS, TRIALS
from drydock.tuning.status import TuningStatus
from drydock.tuning.tuning_config import MAX_TRAINING_JOBS, Definition, TuningConfig
from drydock.tuning.warm_start import launched_jobs

#: SageMaker's message when the objective is not among the metrics the job emits.
MISSING_METRIC = (
    "A metric is required for this hyperparameter tuning job objective. Provide a metric in the metric definitions."
)


def create_tuning_job(deps: Dependencies, request: dict[str, Any]) -> Resource:
    if request.get("Autotune"):
        raise ValidationError("Autotune is not supported by Drydock; give the strategy and parameter ranges")
    config = TuningConfig.parse(request)
    name = request["HyperParameterTuningJobName"]
    metrics = [_check_definition(deps, name, definition) for definition in config.definitions]
    if request.get("WarmStartConfig"):
        _check_parents(deps, request["WarmStartConfig"], config)
    document: dict[str, Any] = {key: request[key] for key in ECHOED if key in request}
    _complete_definitions(document, config, metrics)
    document["HyperParameterTuningJobArn"] = TUNING_JOB.arn(deps, name)
    document[STATUS] = TuningStatus.IN_PROGRESS.value
    document["TrainingJobStatusCounters"] = dict(EMPTY_STATUS_COUNTERS)
    document["ObjectiveStatusCounters"] = dict(EMPTY_OBJECTIVE_COUNTERS)
    document[TRIALS] = []
    return TUNING_JOB.create(deps, name, document, request.get("Tags"), status=TuningStatus.IN_PROGRESS.value)


def _complete_definitions(document: dict[str, Any], config: TuningConfig, metrics: list[list[dict[str, str]]]) -> None:
    """Store the request as Describe shows it and the SDK's ``HyperparameterTuner.attach`` reads it:
    each definition with ``_tuning_objective_metric`` among its static hyperparameters (SageMaker adds
    it; attach removes it), with the ResourceConfig its training jobs get (attach reads ResourceConfig,
    though the SDK sends HyperParameterTuningResourceConfig) and with the metric definitions in effect
    (a built-in algorithm's, when the request gave none); ParameterRanges with all three lists."""
    single = document.get("TrainingJobDefinition")
    stored = [single] if single else document["TrainingJobDefinitions"]
    for spec, definition, effective in zip(stored, config.definitions, metrics, strict=True):
        statics = dict(spec.get("StaticHyperParameters") or {})
        statics[OBJECTIVE_HYPERPARAMETER] = definition.objective.metric_name
        spec["StaticHyperParameters"] = statics
        spec.setdefault("ResourceConfig", resource_config(spec))
        spec["AlgorithmSpecification"].setdefault("MetricDefinitions", effective)
    ranges = [document["HyperParameterTuningJobConfig"].get("ParameterRanges")]
    ranges += [spec.get("HyperParameterRanges") for spec in stored]
    for item in ranges:
        for kind in ("IntegerParameterRanges", "ContinuousParameterRanges", "CategoricalParameterRanges"):
            if item is not None:
                item.setdefault(kind, [])


def stop_tuning_job(deps: Dependencies, name: str) -> None:
    job = TUNING_JOB.get(deps, name)
    refused: list[str] = []

    def change(resource: Resource) -> Resource | None:
        status = TuningStatus(resource.status or resource.document[STATUS])
        if status is TuningStatus.STOPPING:
            return None
        if status is not TuningStatus.IN_PROGRESS:
            refused.append(status.value)
            return None
        return resource.revised({**resource.document, STATUS: TuningStatus.STOPPING.value}, TuningStatus.STOPPING.value)

    deps.resources.modify(job.arn, change)
    if refused:
        raise ValidationError(f"The hyperparameter tuning job {name} is {refused[0]} and can no longer be stopped.")


def delete_tuning_job(deps: Dependencies, name: str) -> None:
    job = TUNING_JOB.get(deps, name)
    if not TuningStatus(job.status or job.document[STATUS]).ended:
        raise ValidationError(f"The hyperparameter tuning job {name} is {job.status}; stop it before deleting it.")
    # A running warm-start child rebuilds its search from its parents' results after a restart.
    for child in deps.resources.in_status(TUNING_JOB.arn_type, [TuningStatus.IN_PROGRESS, TuningStatus.STOPPING]):
        parents = (child.document.get("WarmStartConfig") or {}).get("ParentHyperParameterTuningJobs") or []
        if any(p.get("HyperParameterTuningJobName", "").lower() == job.name.lower() for p in parents):
            raise ValidationError(
                f"The hyperparameter tuning job {name} is a warm-start parent of {child.name}, which is "
                f"{child.status}; delete it once {child.name} has ended."
            )
    TUNING_JOB.delete(deps, name)


def _check_definition(deps: Dependencies, tuning_job_name: str, definition: Definition) -> list[dict[str, str]]:
    """Check one definition as CreateTrainingJob would; the metric definitions its jobs will have."""
    spec = definition.document
    where = f"TrainingJobDefinition {definition.name}" if definition.name else "TrainingJobDefinition"
    if not spec.get("ResourceConfig") and not spec.get("HyperParameterTuningResourceConfig"):
        raise ValidationError(f"{where} needs a ResourceConfig or a HyperParameterTuningResourceConfig")
    tuning = spec.get("HyperParameterTuningResourceConfig") or {}
    if tuning.get("InstanceConfigs") and (tuning.get("InstanceType") or tuning.get("InstanceCount")):
        raise ValidationError(
            f"{where}: give InstanceConfigs or InstanceType/InstanceCount/VolumeSizeInGB in "
            "HyperParameterTuningResourceConfig, not both"
        )
    static = spec.get("StaticHyperParameters") or {}
    both = sorted(set(static) & set(definition.space.names))
    if both:
        raise ValidationError(f"{where}: hyperparameters {both} are both static and tuned")
    sample = child_request(definition, f"{tuning_job_name}-001-00000000", definition.space.midpoint_hyperparameters())
    try:
        document = training_job_document(deps, sample)
        metrics = resolve_command(document).metric_definitions
    except ClientError as exc:
        raise ValidationError(f"{where}: {exc}") from None
    except UnknownImage as exc:
        raise ValidationError(f"{where}: {exc}") from None
    if definition.objective.metric_name not in {m["Name"] for m in metrics}:
        raise ValidationError(MISSING_METRIC)
    return metrics


def _check_parents(deps: Dependencies, warm: dict[str, Any], config: TuningConfig) -> None:
    total = config.max_jobs
    for item in warm["ParentHyperParameterTuningJobs"]:
        name = item.get("HyperParameterTuningJobName")
        if not name:
            raise ValidationError("Every ParentHyperParameterTuningJobs item needs a HyperParameterTuningJobName")
        parent = TUNING_JOB.get(deps, name)
        status = TuningStatus(parent.status or parent.document[STATUS])
        if not status.ended:
            raise ValidationError(f"The parent tuning job {name} is {status}; warm start needs parents that have ended")
        parent_config = TuningConfig.parse(parent.document)
        if parent_config.objective != config.objective:
            raise ValidationError(
                f"The objective of the parent tuning job {name} ({parent_config.objective.type} "
                f"{parent_config.objective.metric_name}) must be the same as this tuning job's"
            )
        if warm["WarmStartType"] == "IdenticalDataAndAlgorithm":
            _check_identical(name, parent_config, config)
        total += launched_jobs(parent.document)
    if total > MAX_TRAINING_JOBS:
        raise ValidationError(
            f"The parent tuning jobs' training jobs and this one's count against the limit of {MAX_TRAINING_JOBS} "
            f"training jobs; together they would be {total}"
        )


def _check_identical(name: str, parent: TuningConfig, config: TuningConfig) -> None:
    def fingerprint(definition: Definition) -> tuple[Any, ...]:
        spec = definition.document
        image = (spec.get("AlgorithmSpecification") or {}).get("TrainingImage")
        channels = sorted(
            (c["ChannelName"], c["DataSource"].get("S3DataSource", {}).get("S3Uri"))
            for c in spec.get("InputDataConfig") or []
        )
        return image, tuple(channels)

    if {fingerprint(d) for d in parent.definitions} != {fingerprint(d) for d in config.definitions}:
        raise ValidationError(
            f"An IdenticalDataAndAlgorithm warm start needs the same training image and input data as the parent "
            f"tuning job {name}; use TransferLearning to change them"
        )
