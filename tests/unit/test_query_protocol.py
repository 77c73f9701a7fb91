"""The query protocol against botocore's own serializer: what botocore writes, we read back."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qsl, urlencode

from botocore.serialize import create_serializer

from drydock.wire.query_protocol import QueryService, _Decoder
from drydock.wire.registry import OperationRegistry
from drydock.wire.service_models import service_model
from drydock.wire.validation import validate_input


def round_trip(service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    model = service_model(service).operation_model(operation)
    body = create_serializer("query").serialize_to_request(params, model)["body"]
    # On the wire the pairs are form-encoded; decode them as the service does.
    pairs = dict(parse_qsl(urlencode(body), keep_blank_values=True))
    pairs.pop("Action")
    pairs.pop("Version")
    return validate_input(model.input_shape, _Decoder(pairs).structure(model.input_shape, ""))


def test_lists_of_structures_and_scalars() -> None:
    params = {
        "RoleArn": "arn:aws:iam::000000000000:role/r",
        "RoleSessionName": "session",
        "DurationSeconds": 900,
        "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}],
        "TransitiveTagKeys": ["a"],
        "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
    }
    assert round_trip("sts", "AssumeRole", params) == params


def test_maps_and_empty_lists() -> None:
    # SNS writes maps as Name.entry.N.key/value; botocore sends an empty list as a bare "Tags=".
    params = {"Name": "t", "Attributes": {"a": "1", "b": "2"}, "Tags": [{"Key": "k", "Value": "v"}]}
    assert round_trip("sns", "CreateTopic", params) == params
    params = {"UserName": "u", "Tags": []}
    assert round_trip("iam", "CreateUser", params) == params


def test_response_document_matches_what_botocore_parses() -> None:
    from botocore.parsers import create_parser

    service = QueryService(OperationRegistry("sts"), strict=True)
    operation = service_model("sts").operation_model("GetSessionToken")
    expires = dt.datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=dt.UTC)
    result = {
        "Credentials": {"AccessKeyId": "AKID", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": expires}
    }
    document = service.render(operation, result, "req-1")
    parsed = create_parser("query").parse(
        {"body": document.encode(), "headers": {}, "status_code": 200}, operation.output_shape
    )
    assert parsed["Credentials"] == result["Credentials"]
    assert parsed["ResponseMetadata"]["RequestId"] == "req-1"
