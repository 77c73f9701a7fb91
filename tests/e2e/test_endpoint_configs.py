"""EndpointConfigs end to end with real boto3."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.test_models import XGB_IMAGE, error_of


@pytest.fixture
def model(sagemaker: Any, request: pytest.FixtureRequest) -> str:
    name = f"ec-model-{abs(hash(request.node.name)) % 10**8}"
    sagemaker.create_model(ModelName=name, PrimaryContainer={"Image": XGB_IMAGE})
    return name


def test_full_endpoint_config_round_trips(sagemaker: Any, model: str) -> None:
    arn = sagemaker.create_endpoint_config(
        EndpointConfigName="full-config",
        ProductionVariants=[
            {
                "VariantName": "A",
                "ModelName": model,
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 2,
                "InitialVariantWeight": 3.0,
            },
            {"VariantName": "B", "ModelName": model, "InstanceType": "ml.m5.large", "InitialInstanceCount": 1},
        ],
        ShadowProductionVariants=[
            {"VariantName": "Shadow", "ModelName": model, "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
        ],
        DataCaptureConfig={
            "EnableCapture": True,
            "InitialSamplingPercentage": 50,
            "DestinationS3Uri": "s3://bucket/capture",
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        },
        Tags=[{"Key": "stage", "Value": "test"}],
    )["EndpointConfigArn"]
    assert arn.endswith(":endpoint-config/full-config")
    described = sagemaker.describe_endpoint_config(EndpointConfigName="full-config")
    variants = {v["VariantName"]: v for v in described["ProductionVariants"]}
    assert variants["A"]["InitialVariantWeight"] == 3.0
    assert variants["A"]["InitialInstanceCount"] == 2
    # SageMaker fills the default weight of 1.0.
    assert variants["B"]["InitialVariantWeight"] == 1.0
    assert described["ShadowProductionVariants"][0]["VariantName"] == "Shadow"
    assert described["DataCaptureConfig"]["InitialSamplingPercentage"] == 50
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "stage", "Value": "test"}]


def test_serverless_and_async_configs(sagemaker: Any, model: str) -> None:
    sagemaker.create_endpoint_config(
        EndpointConfigName="serverless-config",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": model,
                "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5},
            }
        ],
    )
    described = sagemaker.describe_endpoint_config(EndpointConfigName="serverless-config")
    assert described["ProductionVariants"][0]["ServerlessConfig"] == {"MemorySizeInMB": 2048, "MaxConcurrency": 5}

    sagemaker.create_endpoint_config(
        EndpointConfigName="async-config",
        ProductionVariants=[
            {"VariantName": "AllTraffic", "ModelName": model, "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
        ],
        AsyncInferenceConfig={
            "ClientConfig": {"MaxConcurrentInvocationsPerInstance": 4},
            "OutputConfig": {"S3OutputPath": "s3://bucket/async-out"},
        },
    )
    described = sagemaker.describe_endpoint_config(EndpointConfigName="async-config")
    assert described["AsyncInferenceConfig"]["OutputConfig"]["S3OutputPath"] == "s3://bucket/async-out"


def test_missing_model_is_reported_as_sagemaker_does(sagemaker: Any) -> None:
    code, message = error_of(
        sagemaker.create_endpoint_config,
        EndpointConfigName="orphan",
        ProductionVariants=[
            {"VariantName": "A", "ModelName": "no-such-model", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
        ],
    )
    assert code == "ValidationException"
    assert message == 'Could not find model "arn:aws:sagemaker:us-east-1:000000000000:model/no-such-model".'


@pytest.mark.parametrize(
    ("variants", "extra", "fragment"),
    [
        (
            [
                {"VariantName": "A", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1},
                {"VariantName": "A", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1},
            ],
            {},
            "unique",
        ),
        ([{"VariantName": "A"}], {}, "InstanceType and InitialInstanceCount"),
        (
            [
                {
                    "VariantName": "A",
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": 1,
                    "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 1},
                }
            ],
            {},
            "cannot be combined",
        ),
        (
            [{"VariantName": "A", "ServerlessConfig": {"MemorySizeInMB": 1536, "MaxConcurrency": 1}}],
            {},
            "MemorySizeInMB",
        ),
        ([{"VariantName": "A", "InstanceType": "ml.not-a-type", "InitialInstanceCount": 1}], {}, "enum value set"),
        (
            [{"VariantName": "A", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}],
            {
                "DataCaptureConfig": {
                    "InitialSamplingPercentage": 101,
                    "DestinationS3Uri": "s3://b/c",
                    "CaptureOptions": [{"CaptureMode": "Input"}],
                }
            },
            "less than or equal to 100",
        ),
        (
            [{"VariantName": "A", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}],
            {"AsyncInferenceConfig": {"OutputConfig": {"S3OutputPath": "/local/path"}}},
            "s3OutputPath",
        ),
    ],
)
def test_bad_endpoint_configs(
    sagemaker: Any, model: str, variants: list[dict[str, Any]], extra: dict[str, Any], fragment: str
) -> None:
    for variant in variants:
        variant.setdefault("ModelName", model)
    code, message = error_of(
        sagemaker.create_endpoint_config, EndpointConfigName="bad-config", ProductionVariants=variants, **extra
    )
    assert code == "ValidationException"
    assert fragment in message


def test_duplicate_and_missing_configs(sagemaker: Any, model: str) -> None:
    variants = [{"VariantName": "A", "ModelName": model, "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}]
    sagemaker.create_endpoint_config(EndpointConfigName="dup-config", ProductionVariants=variants)
    code, message = error_of(
        sagemaker.create_endpoint_config, EndpointConfigName="dup-config", ProductionVariants=variants
    )
    assert (code, message.startswith("Cannot create already existing endpoint configuration")) == (
        "ValidationException",
        True,
    )
    sagemaker.delete_endpoint_config(EndpointConfigName="dup-config")
    code, message = error_of(sagemaker.describe_endpoint_config, EndpointConfigName="dup-config")
    assert code == "ValidationException"
    assert message.startswith("Could not find endpoint configuration")
