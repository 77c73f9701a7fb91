"""Request validation against botocore's models, worded as AWS words it.

The messages matter: the SageMaker SDK and users read "at 'modelName'" to learn which member was
wrong, and AWS (Java's ``Matcher.matches``) applies every pattern to the whole value.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from botocore.model import DenormalizedStructureBuilder

from drydock.errors import ValidationError
from drydock.wire.service_models import operation_model, service_model
from drydock.wire.validation import pattern_matches, validate_input


def sagemaker_input(operation: str) -> Any:
    return operation_model("sagemaker", operation).input_shape


def problems(shape: Any, params: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        validate_input(shape, params)
    assert caught.value.code == "ValidationException"
    assert caught.value.status == 400
    return caught.value.message


def synthetic(members: dict[str, Any]) -> Any:
    return DenormalizedStructureBuilder().with_members(members).build_model()


def test_valid_input_is_normalised() -> None:
    parsed = validate_input(
        sagemaker_input("ListModels"),
        {
            "MaxResults": 10.0,
            "CreationTimeAfter": 1704067200,
            "CreationTimeBefore": "2024-06-01T00:00:00Z",
            "SortBy": "Name",
            "UnknownMember": "ignored as AWS's JSON services do",
        },
    )
    assert parsed == {
        "MaxResults": 10,
        "CreationTimeAfter": dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        "CreationTimeBefore": dt.datetime(2024, 6, 1, tzinfo=dt.UTC),
        "SortBy": "Name",
    }


def test_missing_required_member_is_named() -> None:
    assert problems(sagemaker_input("CreateModel"), {}) == (
        "1 validation error detected: Value null at 'modelName' failed to satisfy constraint: Member must not be null"
    )


def test_pattern_violation_names_member_and_pattern() -> None:
    message = problems(sagemaker_input("DescribeModel"), {"ModelName": "bad_name"})
    assert message == (
        "1 validation error detected: Value 'bad_name' at 'modelName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?"
    )


def test_nested_and_list_members_are_named_with_aws_paths() -> None:
    message = problems(
        sagemaker_input("CreateModel"),
        {
            "ModelName": "m",
            "PrimaryContainer": {"Image": "has space", "Environment": {"K": 5}},
            "Containers": [{"Image": "ok"}, {"ContainerHostname": "-bad"}],
            "Tags": [{"Key": "k", "Value": "<script>"}],
        },
    )
    assert message.startswith("4 validation errors detected: ")
    assert "Value 'has space' at 'primaryContainer.image'" in message
    assert (
        "Value 5 at 'primaryContainer.environment.K' failed to satisfy constraint: Member must be a string" in message
    )
    assert "Value '-bad' at 'containers.2.member.containerHostname'" in message
    assert "Value '<script>' at 'tags.1.member.value'" in message


def test_too_long_value_reports_length_not_pattern() -> None:
    message = problems(sagemaker_input("DescribeModel"), {"ModelName": "a" * 64 + "_"})
    assert message.endswith("Member must have length less than or equal to 63")
    assert message.startswith("1 validation error detected:")


def test_enum_and_range_violations() -> None:
    message = problems(sagemaker_input("ListModels"), {"SortBy": "Size", "MaxResults": 0})
    assert (
        "Value 'Size' at 'sortBy' failed to satisfy constraint: Member must satisfy enum value set: "
        "[Name, CreationTime]" in message
    )
    assert (
        "Value 0 at 'maxResults' failed to satisfy constraint: Member must have value greater than or "
        "equal to 1" in message
    )


@pytest.mark.parametrize("value", ["5", True, 1.5, [1], {"a": 1}])
def test_wrong_types_are_refused(value: Any) -> None:
    assert "at 'maxResults' failed to satisfy constraint: Member must be an integer" in problems(
        sagemaker_input("ListModels"), {"MaxResults": value}
    )


def test_integers_outside_java_int_are_refused_even_without_a_model_bound() -> None:
    shape = synthetic({"Count": {"type": "integer"}, "Big": {"type": "long"}})
    assert validate_input(shape, {"Count": 2**31 - 1, "Big": 2**63 - 1}) == {"Count": 2**31 - 1, "Big": 2**63 - 1}
    message = problems(shape, {"Count": 2**31, "Big": -(2**63) - 1})
    assert "at 'count' failed to satisfy constraint: Member must have value less than or equal to 2147483647" in message
    assert "at 'big' failed to satisfy constraint: Member must have value greater than or equal to" in message


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), 10**400])
def test_non_finite_numbers_are_refused(value: Any) -> None:
    shape = synthetic({"Ratio": {"type": "double"}})
    assert "Member must be a finite number" in problems(shape, {"Ratio": value})


def test_timestamps() -> None:
    shape = synthetic({"When": {"type": "timestamp"}})
    assert validate_input(shape, {"When": "1704067200.5"})["When"] == dt.datetime(
        2024, 1, 1, 0, 0, 0, 500000, tzinfo=dt.UTC
    )
    for bad in ["yesterday", True, [1], 1e20]:
        assert "Member must be a timestamp" in problems(shape, {"When": bad})


def test_blobs_are_base64_and_never_echoed() -> None:
    shape = synthetic({"Data": {"type": "blob", "max": 4}})
    assert validate_input(shape, {"Data": "AQID"}) == {"Data": b"\x01\x02\x03"}
    assert "Member must be base64-encoded binary data" in problems(shape, {"Data": "not base64!"})
    message = problems(shape, {"Data": "QUJDREVGR0g="})
    assert "Member must have length less than or equal to 4" in message
    assert "ABCDEFGH" not in message


def test_many_problems_are_counted_and_the_list_capped() -> None:
    shape = sagemaker_input("CreateModel")
    tags = [{"Key": "", "Value": "<"} for _ in range(8)]
    message = problems(shape, {"ModelName": "_", "Tags": tags})
    assert message.startswith("17 validation errors detected: ")
    assert message.count("failed to satisfy constraint") == 10


def test_non_object_body_is_refused() -> None:
    assert "Member must be a structure" in problems(sagemaker_input("ListModels"), ["not", "an", "object"])


def test_deeply_nested_recursive_shape_is_refused_not_crashed() -> None:
    expression: dict[str, Any] = {"Filters": [{"Name": "a"}]}
    for _ in range(2000):
        expression = {"SubExpressions": [expression]}
    assert "nested too deeply" in problems(
        sagemaker_input("Search"), {"Resource": "Model", "SearchExpression": expression}
    )


# --- patterns: whole-value matching and Java's regex dialect ------------------------------------


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?", "model-1", True),
        ("[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?", "model_1", False),
        # Anchored at the start only (sagemaker-runtime's EndpointName): still the whole value.
        ("^[a-zA-Z0-9](-*[a-zA-Z0-9])*", "my-endpoint", True),
        ("^[a-zA-Z0-9](-*[a-zA-Z0-9])*", "my_endpoint", False),
        # "$" must not accept a trailing newline, as it would in a search.
        ("^[a-z]+$", "abc\n", False),
        ("^[a-z]+$", "abc", True),
        ("\\p{ASCII}*", "text/csv; charset=utf-8", True),
        ("\\p{ASCII}*", "café", False),
        ("\\A\\S[\\p{Print}]*\\z", "model.tar.gz", True),
        ("\\A\\S[\\p{Print}]*\\z", " leading-space", False),
        ("\\A\\S[\\p{Print}]*\\z", "tab\tinside", False),
        ("([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)", "Équipe données 42", True),
        ("([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)", "a<b", False),
        ("[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]*", "emoji 😀\tok", True),
        ("[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]*", "bell\x07", False),
        (
            "arn:[\\p{Alnum}\\-]+:lambda:[\\p{Alnum}\\-]+:[0-9]{12}:function:.*",
            "arn:aws:lambda:us-east-1:123456789012:function:f",
            True,
        ),
    ],
)
def test_pattern_matches_like_java(pattern: str, value: str, expected: bool) -> None:
    assert pattern_matches(pattern, value) is expected


def test_every_pattern_in_the_models_we_serve_compiles() -> None:
    from drydock.wire.validation import _compiled

    for service in ("sagemaker", "sagemaker-runtime", "logs", "sts", "cloudtrail", "s3"):
        model = service_model(service)
        for name in model.shape_names:
            pattern = model.shape_for(name).metadata.get("pattern")
            if pattern:
                assert _compiled(pattern) is not None, (service, name, pattern)


def test_backtracking_pattern_is_bounded_in_time() -> None:
    # ComputeQuotaTargetTeamName has no max length and a pattern that backtracks exponentially.
    shape = synthetic({"Team": {"type": "string", "pattern": "[a-z0-9]([-a-z0-9]*[a-z0-9]){0,39}?"}})
    started = time.monotonic()
    message = problems(shape, {"Team": "a" * 50_000 + "!"})
    assert time.monotonic() - started < 2
    assert "Member must satisfy regular expression pattern" in message
