"""sagemaker-runtime routing: real boto3 runtime clients against the live server.

Hosting comes later, so no endpoint exists; every invocation must get the answer AWS gives for an
endpoint that does not exist, after the same validation AWS applies first.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from drydock.testing.live_server import LiveServer

ACCOUNT = "000000000000"
PAYLOAD_LIMIT = 6291456


@pytest.fixture(scope="module")
def runtime(server: LiveServer) -> Any:
    return server.client("sagemaker-runtime")


def failure(call: Any, **params: Any) -> tuple[int, str, str, dict[str, str]]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    response = caught.value.response
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-requestid"]
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
        headers,
    )


def test_invoke_missing_endpoint_is_validation_error(runtime: Any) -> None:
    status, code, message, headers = failure(
        runtime.invoke_endpoint, EndpointName="my-endpoint", Body=b'{"instances": [1]}', ContentType="application/json"
    )
    assert (status, code) == (400, "ValidationError")
    assert message == f"Endpoint my-endpoint of account {ACCOUNT} not found."
    assert headers["x-amzn-errortype"] == "ValidationError"


def test_async_and_streaming_invocations_route_too(runtime: Any) -> None:
    status, code, message, _ = failure(
        runtime.invoke_endpoint_async, EndpointName="async-ep", InputLocation="s3://bucket/input.json"
    )
    assert (status, code, message) == (400, "ValidationError", f"Endpoint async-ep of account {ACCOUNT} not found.")
    status, code, message, _ = failure(
        runtime.invoke_endpoint_with_response_stream, EndpointName="stream-ep", Body=b"hello"
    )
    assert (status, code, message) == (400, "ValidationError", f"Endpoint stream-ep of account {ACCOUNT} not found.")


@pytest.mark.parametrize(
    ("name", "constraint"),
    [
        ("bad_name", "Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9])*"),
        ("-leading-dash", "Member must satisfy regular expression pattern"),
        ("a" * 64, "Member must have length less than or equal to 63"),
        ("with space", "Member must satisfy regular expression pattern"),
    ],
)
def test_endpoint_name_is_validated_first(runtime: Any, name: str, constraint: str) -> None:
    status, code, message, _ = failure(runtime.invoke_endpoint, EndpointName=name, Body=b"x")
    assert (status, code) == (400, "ValidationError")
    assert message.startswith("1 validation error detected: Value '")
    assert "at 'endpointName' failed to satisfy constraint: " + constraint in message


def test_payload_over_six_megabytes_is_refused(runtime: Any) -> None:
    status, code, message, _ = failure(runtime.invoke_endpoint, EndpointName="big", Body=b"x" * (PAYLOAD_LIMIT + 1))
    assert (status, code) == (400, "ValidationError")
    assert message.startswith("Received payload exceeds")
    assert str(PAYLOAD_LIMIT) in message
    # Exactly at the limit is a valid request: it gets as far as looking for the endpoint.
    _, _, message, _ = failure(runtime.invoke_endpoint, EndpointName="big", Body=b"x" * PAYLOAD_LIMIT)
    assert message == f"Endpoint big of account {ACCOUNT} not found."


def test_headers_are_validated_against_the_model(runtime: Any) -> None:
    status, code, message, _ = failure(
        runtime.invoke_endpoint, EndpointName="ep", Body=b"x", CustomAttributes="accentué", TargetVariant="bad variant"
    )
    assert (status, code) == (400, "ValidationError")
    assert message.startswith("2 validation errors detected")
    assert "at 'customAttributes' failed to satisfy constraint: Member must satisfy regular expression" in message
    assert "Value 'bad variant' at 'targetVariant'" in message
    _, _, message, _ = failure(runtime.invoke_endpoint_async, EndpointName="ep", InputLocation="ftp://host/file")
    assert "Value 'ftp://host/file' at 'inputLocation'" in message


def test_other_apis_signed_as_sagemaker_are_named_as_not_implemented(server: LiveServer) -> None:
    featurestore = server.client("sagemaker-featurestore-runtime")
    status, code, message, _ = failure(
        featurestore.get_record, FeatureGroupName="fg", RecordIdentifierValueAsString="1"
    )
    assert (status, code) == (501, "NotImplemented")
    assert "GetRecord" in message and "sagemaker-featurestore-runtime" in message
    metrics = server.client("sagemaker-metrics")
    status, code, message, _ = failure(
        metrics.batch_get_metrics,
        MetricQueries=[
            {
                "MetricName": "loss",
                "ResourceArn": "arn:aws:sagemaker:us-east-1:000000000000:training-job/j",
                "MetricStat": "Avg",
                "Period": "OneMinute",
                "XAxisType": "Timestamp",
            }
        ],
    )
    assert (status, code) == (501, "NotImplemented")
    assert "BatchGetMetrics" in message
