"""Models end to end with real boto3: what the SageMaker SDK and users rely on."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

XGB_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"


def error_of(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def test_create_describe_delete_model(sagemaker: Any) -> None:
    arn = sagemaker.create_model(
        ModelName="Xgb-Model-1",
        PrimaryContainer={
            "Image": XGB_IMAGE,
            "ModelDataUrl": "s3://bucket/job/output/model.tar.gz",
            "Environment": {"SAGEMAKER_PROGRAM": "inference.py"},
        },
        ExecutionRoleArn=ROLE,
        Tags=[{"Key": "team", "Value": "ml"}],
    )["ModelArn"]
    # AWS lower-cases names inside ARNs.
    assert arn == "arn:aws:sagemaker:us-east-1:000000000000:model/xgb-model-1"

    described = sagemaker.describe_model(ModelName="Xgb-Model-1")
    assert described["ModelName"] == "Xgb-Model-1"
    assert described["ModelArn"] == arn
    assert described["PrimaryContainer"]["Environment"] == {"SAGEMAKER_PROGRAM": "inference.py"}
    assert described["ExecutionRoleArn"] == ROLE
    assert described["CreationTime"].year >= 2024
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ml"}]

    sagemaker.delete_model(ModelName="Xgb-Model-1")
    code, message = error_of(sagemaker.describe_model, ModelName="Xgb-Model-1")
    assert code == "ValidationException"
    assert message == f'Could not find model "{arn}".'


def test_duplicate_model_is_the_message_the_sdk_matches(sagemaker: Any) -> None:
    sagemaker.create_model(ModelName="dup-model", PrimaryContainer={"Image": XGB_IMAGE})
    code, message = error_of(sagemaker.create_model, ModelName="dup-model", PrimaryContainer={"Image": XGB_IMAGE})
    assert code == "ValidationException"
    assert message.startswith("Cannot create already existing model")
    # Names are case-insensitive, as the lower-cased ARN implies.
    code, _ = error_of(sagemaker.create_model, ModelName="DUP-MODEL", PrimaryContainer={"Image": XGB_IMAGE})
    assert code == "ValidationException"


def test_inference_pipeline_containers(sagemaker: Any) -> None:
    sagemaker.create_model(
        ModelName="pipeline-model",
        Containers=[
            {"ContainerHostname": "pre", "Image": XGB_IMAGE},
            {"ContainerHostname": "main", "Image": XGB_IMAGE, "ModelDataUrl": "s3://b/model.tar.gz"},
        ],
        InferenceExecutionConfig={"Mode": "Direct"},
    )
    described = sagemaker.describe_model(ModelName="pipeline-model")
    assert [c["ContainerHostname"] for c in described["Containers"]] == ["pre", "main"]
    assert described["InferenceExecutionConfig"] == {"Mode": "Direct"}


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"ModelName": "bad_name", "PrimaryContainer": {"Image": XGB_IMAGE}}, "at 'modelName'"),
        ({"ModelName": "x" * 64, "PrimaryContainer": {"Image": XGB_IMAGE}}, "length less than or equal to 63"),
        ({"ModelName": "no-container"}, "PrimaryContainer or Containers"),
        (
            {
                "ModelName": "both",
                "PrimaryContainer": {"Image": XGB_IMAGE},
                "Containers": [{"Image": XGB_IMAGE}],
            },
            "not both",
        ),
        (
            {"ModelName": "bad-url", "PrimaryContainer": {"Image": XGB_IMAGE, "ModelDataUrl": "ftp://x/y"}},
            "at 'primaryContainer.modelDataUrl'",
        ),
        (
            {"ModelName": "bad-mode", "PrimaryContainer": {"Image": XGB_IMAGE, "Mode": "Sometimes"}},
            "enum value set",
        ),
        (
            {
                "ModelName": "direct-no-host",
                "Containers": [{"Image": XGB_IMAGE}, {"Image": XGB_IMAGE}],
                "InferenceExecutionConfig": {"Mode": "Direct"},
            },
            "ContainerHostname",
        ),
    ],
)
def test_bad_models_are_rejected_with_a_clear_message(sagemaker: Any, kwargs: dict[str, Any], fragment: str) -> None:
    code, message = error_of(sagemaker.create_model, **kwargs)
    assert code == "ValidationException"
    assert fragment in message


def test_delete_missing_model(sagemaker: Any) -> None:
    code, message = error_of(sagemaker.delete_model, ModelName="never-made")
    assert code == "ValidationException"
    assert "Could not find model" in message
