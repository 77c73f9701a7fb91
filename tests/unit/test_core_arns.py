"""SageMaker ARNs as AWS forms them: lower-cased names, and parsing that rejects what is not an ARN."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drydock.core.arns import Arn, parse_arn, sagemaker_arn
from drydock.errors import ValidationError

NAMES = st.from_regex(r"[a-zA-Z0-9]([\-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?", fullmatch=True)


def test_arn_has_aws_shape_and_lower_cases_the_name() -> None:
    # CreateModel(ModelName="MyModel") answers ModelArn ".../model/mymodel" on AWS.
    assert sagemaker_arn("us-east-1", "123456789012", "model", "MyModel") == (
        "arn:aws:sagemaker:us-east-1:123456789012:model/mymodel"
    )
    assert sagemaker_arn("eu-west-1", "000000000000", "endpoint-config", "Cfg-1") == (
        "arn:aws:sagemaker:eu-west-1:000000000000:endpoint-config/cfg-1"
    )


def test_names_differing_only_in_case_share_an_arn() -> None:
    assert sagemaker_arn("us-east-1", "1", "model", "ABC") == sagemaker_arn("us-east-1", "1", "model", "abc")


@given(name=NAMES, kind=st.sampled_from(["model", "endpoint-config", "endpoint", "training-job"]))
def test_parse_reads_back_what_was_formed(name: str, kind: str) -> None:
    parsed = parse_arn(sagemaker_arn("ap-south-1", "123456789012", kind, name))
    assert parsed == Arn("aws", "sagemaker", "ap-south-1", "123456789012", kind, name.lower())
    assert str(parsed) == sagemaker_arn("ap-south-1", "123456789012", kind, name)


def test_parse_keeps_slashes_and_colons_inside_the_resource_id() -> None:
    parsed = parse_arn("arn:aws:sagemaker:us-east-1:1:model-package/group/3")
    assert (parsed.resource_type, parsed.resource_id) == ("model-package", "group/3")
    parsed = parse_arn("arn:aws-cn:s3:::bucket/key:with:colons")
    assert (parsed.partition, parsed.region, parsed.account) == ("aws-cn", "", "")
    assert parsed.resource_id == "key:with:colons"


@pytest.mark.parametrize(
    "text",
    ["", "model/x", "arn:aws:sagemaker:us-east-1:1", "arn:aws:sagemaker:us-east-1:1:model", "urn:aws:s:r:a:t/x"],
)
def test_parse_rejects_non_arns_as_validation_errors(text: str) -> None:
    with pytest.raises(ValidationError, match="Invalid ARN"):
        parse_arn(text)
