"""The CreateTrainingJob request of a tuning job's training job, built from its definition.

As SageMaker does: the job is named ``<tuning job>-<NNN>-<8 hex>`` (NNN counts the tuning job's
jobs from 001); its hyperparameters are the definition's StaticHyperParameters, the tuned values and
``_tuning_objective_metric`` (the objective's name, which built-in algorithms read); a
HyperParameterTuningResourceConfig (what the SDK sends) becomes the job's ResourceConfig, taking
the first of its InstanceConfigs when it lists several; and each job checkpoints under its own name
inside CheckpointConfig.S3Uri, so jobs never resume from each other's checkpoints.
"""

from __future__ import annotations

import uuid
from typing import Any

from drydock.tuning.tuning_config import Definition

#: The hyperparameter SageMaker adds to every training job of a tuning job.
OBJECTIVE_HYPERPARAMETER = "_tuning_objective_metric"

#: Definition members a training job takes over as they are.
_COPIED = (
    "RoleArn",
    "InputDataConfig",
    "VpcConfig",
    "OutputDataConfig",
    "StoppingCondition",
    "EnableNetworkIsolation",
    "EnableInterContainerTrafficEncryption",
    "EnableManagedSpotTraining",
    "RetryStrategy",
    "Environment",
)
_ALGORITHM = ("TrainingImage", "TrainingInputMode", "AlgorithmName", "MetricDefinitions")


def child_name(tuning_job_name: str, sequence: int) -> str:
    """``<tuning job>-<NNN>-<8 hex>``; ``sequence`` counts from 1."""
    return f"{tuning_job_name}-{sequence:03d}-{uuid.uuid4().hex[:8]}"


def child_request(definition: Definition, name: str, hyperparameters: dict[str, str]) -> dict[str, Any]:
    spec = definition.document
    request: dict[str, Any] = {"TrainingJobName": name}
    request.update({key: spec[key] for key in _COPIED if key in spec})
    algorithm = spec.get("AlgorithmSpecification") or {}
    request["AlgorithmSpecification"] = {key: algorithm[key] for key in _ALGORITHM if key in algorithm}
    request["ResourceConfig"] = resource_config(spec)
    request["HyperParameters"] = {
        **(spec.get("StaticHyperParameters") or {}),
        **hyperparameters,
        OBJECTIVE_HYPERPARAMETER: definition.objective.metric_name,
    }
    checkpoint = spec.get("CheckpointConfig")
    if checkpoint:
        request["CheckpointConfig"] = {**checkpoint, "S3Uri": f"{checkpoint['S3Uri'].rstrip('/')}/{name}"}
    return request


def resource_config(spec: dict[str, Any]) -> dict[str, Any]:
    """The definition's ResourceConfig, or its HyperParameterTuningResourceConfig in that shape."""
    if spec.get("ResourceConfig"):
        return dict(spec["ResourceConfig"])
    tuning = spec.get("HyperParameterTuningResourceConfig") or {}
    # AllocationStrategy "Prioritized": the first InstanceConfig is the preferred one.
    chosen = (tuning.get("InstanceConfigs") or [tuning])[0]
    config = {key: chosen[key] for key in ("InstanceType", "InstanceCount", "VolumeSizeInGB") if key in chosen}
    if tuning.get("VolumeKmsKeyId"):
        config["VolumeKmsKeyId"] = tuning["VolumeKmsKeyId"]
    return config
