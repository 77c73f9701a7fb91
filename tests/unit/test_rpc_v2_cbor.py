"""smithy rpc-v2-cbor against botocore's own serializer and parser: what botocore writes we decode and
validate into the values it was given; what we write botocore reads back as the handler returned it;
errors come out with the codes boto3 shows for CloudWatch (query-compatible) in CBOR and in JSON."""

from __future__ import annotations

import datetime as dt
import json
import struct
from typing import Any

import cbor2
import pytest
from botocore.parsers import JSONParser, RpcV2CBORParser
from botocore.serialize import RpcV2CBORSerializer

from drydock.errors import (
    DrydockError,
    InvalidParameterCombination,
    InvalidParameterValue,
    MetricsInvalidNextToken,
    MissingAuthenticationToken,
    NotImplementedOperationError,
    SerializationError,
    UnknownOperationError,
    ValidationError,
)
from drydock.wire.error_responses import Protocol, error_response
from drydock.wire.modelled_errors import ModelledErrors
from drydock.wire.rpc_v2_cbor import CborShapeSerializer, decode_body
from drydock.wire.service_models import service_model
from drydock.wire.validation import validate_input

MODEL = service_model("cloudwatch")
WHEN = dt.datetime(2026, 3, 4, 5, 6, 7, 250000, tzinfo=dt.UTC)


def botocore_body(operation: str, params: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    request = RpcV2CBORSerializer().serialize_to_request(params, MODEL.operation_model(operation))
    assert request["url_path"] == f"/service/GraniteServiceVersion20100801/operation/{operation}"
    return request["body"], request["headers"]


def botocore_reads(operation: str, body: bytes) -> dict[str, Any]:
    shape = MODEL.operation_model(operation).output_shape
    response = {"body": body, "headers": {"smithy-protocol": "rpc-v2-cbor"}, "status_code": 200}
    parsed = RpcV2CBORParser().parse(response, shape)
    parsed.pop("ResponseMetadata")
    return parsed


def test_botocore_request_decodes_into_the_values_it_was_given() -> None:
    params = {
        "Namespace": "App/Service",
        "MetricData": [
            {
                "MetricName": "Latency",
                "Dimensions": [{"Name": "Host", "Value": "a"}],
                "Timestamp": WHEN,
                "Value": 1.5,
                "Unit": "Milliseconds",
                "StorageResolution": 1,
            },
            {"MetricName": "Sizes", "Values": [1.0, 2.0], "Counts": [3.0, 4.0]},
            {"MetricName": "Set", "StatisticValues": {"SampleCount": 2, "Sum": 3, "Minimum": 1, "Maximum": 2}},
        ],
    }
    body, headers = botocore_body("PutMetricData", params)
    assert headers["smithy-protocol"] == "rpc-v2-cbor" and headers["Content-Type"] == "application/cbor"
    decoded = validate_input(MODEL.operation_model("PutMetricData").input_shape, decode_body(body))
    # Timestamps arrive as tag 1 and come out as aware datetimes, to the millisecond botocore sends.
    assert decoded["MetricData"][0]["Timestamp"] == WHEN
    assert decoded["MetricData"][0]["Timestamp"].tzinfo is not None
    assert decoded["MetricData"][1]["Values"] == [1.0, 2.0]
    assert decoded["MetricData"][2]["StatisticValues"] == {
        "SampleCount": 2.0,
        "Sum": 3.0,
        "Minimum": 1.0,
        "Maximum": 2.0,
    }
    assert decoded["Namespace"] == "App/Service"


def test_our_answer_parses_in_botocore_as_the_handler_returned_it() -> None:
    result = {
        "Label": "Latency",
        "Datapoints": [
            {
                "Timestamp": WHEN,
                "SampleCount": 3.0,
                "Average": 2,  # an int for a double member is written as a double
                "Unit": "Milliseconds",
                "ExtendedStatistics": {"p99": 4.5},
            }
        ],
    }
    shape = MODEL.operation_model("GetMetricStatistics").output_shape
    body = cbor2.dumps(CborShapeSerializer(strict=True).serialize(shape, result))
    assert botocore_reads("GetMetricStatistics", body) == {
        "Label": "Latency",
        "Datapoints": [
            {
                "Timestamp": WHEN,
                "SampleCount": 3.0,
                "Average": 2.0,
                "Unit": "Milliseconds",
                "ExtendedStatistics": {"p99": 4.5},
            }
        ],
    }
    # Timestamps go out as tag 1 (0xc1) over a double (0xfb) of epoch seconds.
    assert b"\xc1\xfb" + struct.pack(">d", WHEN.timestamp()) in body


def test_strict_serializer_refuses_members_the_model_lacks() -> None:
    shape = MODEL.operation_model("ListMetrics").output_shape
    with pytest.raises(DrydockError, match="does not define"):
        CborShapeSerializer(strict=True).serialize(shape, {"Metrics": [], "Bogus": 1})


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"\xa0\x00", "bytes after"),
        (b"\x80", "must be a CBOR map"),
        (b"\xa1\x61", "not valid CBOR"),  # truncated
        (b"\xa2\x61a\x01\x61a\x02", "not valid CBOR"),  # duplicate key
        (b"\xa1\x01\x01", "not valid CBOR"),  # integer key
        (b"\xa1\x62\xff\xfe\x01", "not valid CBOR"),  # bad UTF-8 key
        (b"\x81" * 1000 + b"\x00", "not valid CBOR"),  # nested past the limit
        (b"\x9b" + (2**62).to_bytes(8, "big"), "not valid CBOR"),  # a length the body does not hold
        (b"\xa1\x61a\xc1\x63abc", "not valid CBOR"),  # tag 1 over text
    ],
)
def test_malformed_bodies_are_serialization_errors(body: bytes, problem: str) -> None:
    with pytest.raises(SerializationError, match=problem):
        decode_body(body)


def test_odd_but_decodable_values_fail_validation_not_the_server() -> None:
    shape = MODEL.operation_model("GetMetricStatistics").input_shape
    bignum = b"\xc2\x59\x10\x00" + b"\xff" * 4096  # a 4 KB bignum: more digits than str() converts
    body = (
        b"\xa3"
        + b"\x66Period"
        + bignum
        + b"\x69Namespace"
        + b"\x41x"  # a byte string where text belongs
        + b"\x69StartTime"
        + b"\x63abc"  # text where a timestamp belongs
    )
    with pytest.raises(ValidationError) as caught:
        validate_input(shape, decode_body(body))
    message = caught.value.message
    assert "'period' failed to satisfy constraint: Member must have value less than or equal to" in message
    assert "-digit number>" in message
    assert "'namespace' failed to satisfy constraint: Member must be a string" in message
    assert "'startTime' failed to satisfy constraint: Member must be a timestamp" in message


def test_empty_body_is_an_empty_input() -> None:
    assert decode_body(b"") == {}


ERRORS = ModelledErrors(MODEL)


@pytest.mark.parametrize(
    ("error", "code", "status", "shape"),
    [
        (InvalidParameterValue("bad"), "InvalidParameterValue", 400, "InvalidParameterValueException"),
        (
            InvalidParameterCombination("both"),
            "InvalidParameterCombination",
            400,
            "InvalidParameterCombinationException",
        ),
        (ValidationError("1 validation error detected: ..."), "ValidationError", 400, "ValidationException"),
        (MetricsInvalidNextToken("token"), "InvalidNextToken", 400, "InvalidNextToken"),
    ],
)
def test_modelled_errors_read_back_with_the_query_codes(
    error: DrydockError, code: str, status: int, shape: str
) -> None:
    translated = ERRORS.translate(error)
    for protocol in (Protocol.RPC_V2_CBOR, Protocol.JSON):
        response = error_response(translated, protocol, "req-1")
        headers = {name.lower(): value for name, value in response.headers}
        assert headers["x-amzn-query-error"] == f"{code};Sender"
        parser = RpcV2CBORParser() if protocol is Protocol.RPC_V2_CBOR else JSONParser()
        assert isinstance(response.body, bytes)
        parsed = parser.parse(
            {"body": response.body, "headers": headers, "status_code": response.status},
            MODEL.operation_model("GetMetricData").output_shape,
        )
        assert response.status == status
        assert parsed["Error"]["Code"] == code
        assert parsed["Error"]["QueryErrorCode"] == shape
        assert parsed["Error"]["Message"] == error.message
    cbor_body = error_response(translated, Protocol.RPC_V2_CBOR, "req-1").body
    assert isinstance(cbor_body, bytes)
    assert cbor2.loads(cbor_body)["__type"] == f"com.amazonaws.cloudwatch#{shape}"


@pytest.mark.parametrize(
    ("error", "code", "status"),
    [
        (UnknownOperationError("Unknown operation 'Nope'"), "UnknownOperationException", 400),
        (NotImplementedOperationError("DescribeAlarms is not served"), "NotImplemented", 501),
        (MissingAuthenticationToken("sign it"), "MissingAuthenticationTokenException", 403),
    ],
)
def test_errors_the_model_does_not_declare_keep_their_names(error: DrydockError, code: str, status: int) -> None:
    translated = ERRORS.translate(error)
    response = error_response(translated, Protocol.RPC_V2_CBOR, "req-2")
    headers = {name.lower(): value for name, value in response.headers}
    assert "x-amzn-query-error" not in headers and headers["smithy-protocol"] == "rpc-v2-cbor"
    assert isinstance(response.body, bytes)
    parsed = RpcV2CBORParser().parse(
        {"body": response.body, "headers": headers, "status_code": response.status},
        MODEL.operation_model("ListMetrics").output_shape,
    )
    assert (response.status, parsed["Error"]["Code"]) == (status, code)


def test_json_services_that_are_not_query_compatible_keep_drydocks_codes() -> None:
    sagemaker = ModelledErrors(service_model("sagemaker"))
    assert not sagemaker.query_compatible
    response = error_response(ValidationError("bad"), Protocol.JSON, "req-3")
    assert isinstance(response.body, bytes)
    assert json.loads(response.body)["__type"] == "ValidationException"
    assert all(name.lower() != "x-amzn-query-error" for name, _ in response.headers)
