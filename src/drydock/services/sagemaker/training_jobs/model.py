"""The TrainingJob resource: its stored document and how Describe and List present it."""

from __future__ import annotations

from typing import Any

from drydock.services.sagemaker.resource_kind import ResourceKind
from drydock.store.resources import Resource

# SageMaker answers a missing job with ValidationException "Requested resource not found.", which
# is also what botocore's TrainingJobCompletedOrStopped waiter treats as failure.
TRAINING_JOB = ResourceKind(
    arn_type="training-job", noun="training job", missing_message="Requested resource not found."
)

#: Request members echoed by DescribeTrainingJob.
ECHOED = (
    "TrainingJobName",
    "HyperParameters",
    "AlgorithmSpecification",
    "RoleArn",
    "InputDataConfig",
    "OutputDataConfig",
    "ResourceConfig",
    "VpcConfig",
    "StoppingCondition",
    "EnableNetworkIsolation",
    "EnableInterContainerTrafficEncryption",
    "EnableManagedSpotTraining",
    "CheckpointConfig",
    "DebugHookConfig",
    "ExperimentConfig",
    "DebugRuleConfigurations",
    "TensorBoardOutputConfig",
    "ProfilerConfig",
    "ProfilerRuleConfigurations",
    "Environment",
    "RetryStrategy",
    "RemoteDebugConfig",
    "InfraCheckConfig",
)


def describe(resource: Resource) -> dict[str, Any]:
    return {
        **resource.document,
        "CreationTime": resource.creation_time,
        "LastModifiedTime": resource.last_modified_time,
    }


def summary(resource: Resource) -> dict[str, Any]:
    doc = resource.document
    return {
        "TrainingJobName": resource.name,
        "TrainingJobArn": resource.arn,
        "CreationTime": resource.creation_time,
        "TrainingEndTime": doc.get("TrainingEndTime"),
        "LastModifiedTime": resource.last_modified_time,
        "TrainingJobStatus": doc["TrainingJobStatus"],
        "SecondaryStatus": doc["SecondaryStatus"],
    }
