"""Bad input never breaks the server: a few hundred generated malformed requests, each answered
with a 4xx in AWS's JSON shape (or 501 for a modelled operation Drydock does not serve), quickly,
and the server still healthy afterwards.

The requests are built from botocore's SageMaker model (wrong types, oversized and undersized
values, pattern and enum violations, out-of-range numbers, missing required members, junk nested
deep) plus bodies that are not JSON or not objects, unknown operations, bad runtime invocations and
wrong or missing credentials. Each is signed with botocore's signer over the exact bytes sent, so
the body can be anything.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import regex
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from drydock.services.sagemaker.handlers_index import api as sagemaker_api
from drydock.testing.live_server import ACCESS_KEY, REGION, SECRET_KEY, LiveServer
from drydock.wire.service_models import service_model

MODEL = service_model("sagemaker")
IMPLEMENTED = frozenset(sagemaker_api.implemented())
#: Every operation with an input shape; implemented ones are drawn more often, since their
#: handlers are where a bad value could get past validation.
OPERATIONS = sorted(op for op in MODEL.operation_names if MODEL.operation_model(op).input_shape is not None)
#: An answer slower than this counts as a hang.
DEADLINE_SECONDS = 5.0
JSON_TYPE = "application/x-amz-json-1.1"


@dataclass
class Case:
    """One malformed request and what kind of answer it must get."""

    kind: str
    operation: str = ""
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=dict)
    path: str = "/"
    #: How to sign: "valid", "wrong-secret", "unknown-key", "none" or "garbled".
    auth: str = "valid"
    service: str = "sagemaker"


# --- bad values, derived from a member's shape ------------------------------------------------------

JUNK = st.one_of(
    st.integers(min_value=-(10**6), max_value=10**6),
    st.booleans(),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


def deep_junk(depth: int) -> Any:
    value: Any = "bottom"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


def wrong_type(shape: Any) -> st.SearchStrategy[Any]:
    kind = shape.type_name
    if kind == "string":
        return st.one_of(st.integers(), st.booleans(), st.lists(st.text(max_size=3), max_size=2), st.just({"a": 1}))
    if kind in ("integer", "long"):
        return st.one_of(st.text(min_size=1, max_size=5), st.booleans(), st.just(1.5), st.just([1]), st.just({"n": 1}))
    if kind in ("float", "double"):
        return st.one_of(st.text(max_size=5), st.booleans(), st.just([1.0]))
    if kind == "boolean":
        return st.one_of(st.sampled_from(["true", "false", "yes"]), st.integers(0, 1), st.just([True]))
    if kind == "timestamp":
        return st.one_of(st.booleans(), st.just([1]), st.just({"t": 1}), st.sampled_from(["yesterday", "2024-13-45"]))
    if kind == "blob":
        return st.one_of(st.integers(), st.just("not base64!"), st.just([1, 2]))
    if kind == "list":
        return st.one_of(st.text(max_size=5), st.integers(), st.just({"a": 1}))
    if kind == "map":
        return st.one_of(st.lists(st.integers(), min_size=1, max_size=3), st.text(max_size=5), st.integers())
    return st.one_of(st.lists(st.integers(), max_size=2), st.text(max_size=5), st.integers())  # structure


def _java_pattern(pattern: str) -> Any:
    try:
        return regex.compile(pattern, regex.DOTALL)
    except regex.error:
        return None


NASTY_STRINGS = ["", " ", "a b", "line\nbreak", "ü", "../..", "<script>", "\x00", "-", "_", "a" * 300, "☃" * 3]


def constraint_violations(shape: Any) -> list[st.SearchStrategy[Any]]:
    """Values of the right type that break one of the shape's own constraints."""
    meta = shape.metadata
    kind = shape.type_name
    found: list[st.SearchStrategy[Any]] = []
    if kind == "string":
        if meta.get("max") is not None and meta["max"] <= 100_000:
            found.append(st.integers(1, 20).map(lambda extra, m=meta["max"]: "x" * (m + extra)))
        if meta.get("min", 0) >= 1:
            found.append(st.just(""))
        if meta.get("enum"):
            found.append(st.text(max_size=10).map(lambda text: f"NOT_AN_ENUM_{text}"))
        compiled = _java_pattern(meta["pattern"]) if meta.get("pattern") else None
        if compiled is not None:
            breaking = [s for s in NASTY_STRINGS if compiled.fullmatch(s) is None]
            if breaking:
                found.append(st.sampled_from(breaking))
    elif kind in ("integer", "long"):
        found.append(st.sampled_from([2**31, -(2**31) - 1, 10**30] if kind == "integer" else [2**63, -(2**63) - 1]))
        if meta.get("max") is not None:
            found.append(st.integers(1, 1000).map(lambda extra, m=meta["max"]: m + extra))
        if meta.get("min") is not None:
            found.append(st.integers(1, 1000).map(lambda extra, m=meta["min"]: m - extra))
    elif kind == "list" and meta.get("max") is not None and meta["max"] <= 100:
        found.append(st.just(["x"] * (meta["max"] + 1)))
    elif kind == "map" and meta.get("max") is not None and meta["max"] <= 100:
        found.append(st.just({f"k{i}": "v" for i in range(meta["max"] + 1)}))
    return found


def bad_value(shape: Any) -> st.SearchStrategy[Any]:
    options = [wrong_type(shape), *constraint_violations(shape)]
    if shape.type_name in ("string", "integer", "long", "boolean", "timestamp"):
        options.append(st.integers(50, 200).map(deep_junk))
    return st.one_of(options)


def bad_document(shape: Any, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """A structure with exactly one member made invalid, possibly one or two levels down."""
    names = sorted(shape.members)

    def for_member(name: str) -> st.SearchStrategy[dict[str, Any]]:
        member = shape.members[name]
        choices = [bad_value(member)]
        if depth < 2 and member.type_name == "structure" and member.members:
            choices.append(bad_document(member, depth + 1))
        if depth < 2 and member.type_name == "list" and member.member.type_name == "structure":
            choices.append(bad_document(member.member, depth + 1).map(lambda item: [item]))
        return st.one_of(choices).map(lambda value: {name: value})

    return st.sampled_from(names).flatmap(for_member)


def json_bytes(document: Any) -> bytes:
    return json.dumps(document).encode()


# --- the cases --------------------------------------------------------------------------------------

operation_names = st.one_of(st.sampled_from(sorted(IMPLEMENTED)), st.sampled_from(OPERATIONS))


def _member_case(operation: str) -> st.SearchStrategy[Case]:
    shape = MODEL.operation_model(operation).input_shape
    if not shape.members:
        return st.just(Case("non-object", operation, b"[]"))
    return bad_document(shape).map(lambda document: Case("bad-member", operation, json_bytes(document)))


member_cases = operation_names.flatmap(_member_case)

missing_required_cases = st.sampled_from(
    [op for op in OPERATIONS if MODEL.operation_model(op).input_shape.required_members]
).map(lambda op: Case("missing-required", op, b"{}"))

not_json_cases = st.tuples(
    operation_names,
    st.one_of(
        st.binary(min_size=1, max_size=64).filter(lambda data: not data.strip().startswith((b"{", b"[", b'"'))),
        st.sampled_from(
            [
                b'{"ModelName": ',
                b"{'single': 'quotes'}",
                b"\xff\xfe{}",
                b'{"a": NaN}',
                b'{"a": -Infinity}',
                b'{"a": "\\ud800"}',
                b"[" * 5000,
                b'{"a":' * 3000,
                b'{"n": ' + b"9" * 5000 + b"}",
            ]
        ),
    ),
).map(lambda pair: Case("not-json", pair[0], pair[1]))

non_object_cases = st.tuples(
    operation_names, st.sampled_from([b"[]", b"[1,2]", b"1", b'"text"', b"null", b"true", b"-0.5"])
).map(lambda pair: Case("non-object", pair[0], pair[1]))

huge_number_cases = st.tuples(
    st.sampled_from(["ListModels", "ListEndpointConfigs", "ListTags"]),
    st.sampled_from([b"1e400", b"-1e400", b"123456789012345678901234567890", b"1.5", b"-1"]),
).map(lambda pair: Case("huge-number", pair[0], b'{"MaxResults": ' + pair[1] + b"}"))

unknown_operation_cases = st.one_of(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=20)
    .filter(lambda name: name not in MODEL.operation_names)
    .map(lambda name: Case("unknown-operation", name)),
    st.sampled_from(["Nope_20200101.ListThings", "SageMaker", "", ".ListModels"]).map(
        lambda target: Case("unknown-target", "", headers={"X-Amz-Target": target})
    ),
)

auth_cases = st.tuples(
    st.sampled_from(sorted(IMPLEMENTED)), st.sampled_from(["wrong-secret", "unknown-key", "none", "garbled"])
).map(lambda pair: Case("auth", pair[0], b"{}", auth=pair[1]))

#: What HTTP allows in a header value (RFC 9110: visible ASCII, space, and latin-1 text): anything
#: else is refused by the HTTP parser itself before any AWS protocol is involved.
HEADER_CHARACTERS = st.characters(min_codepoint=32, max_codepoint=126) | st.characters(
    min_codepoint=160, max_codepoint=255
)

runtime_cases = st.tuples(
    st.text(max_size=70),
    st.sampled_from(["invocations", "async-invocations", "invocations-response-stream", "nope"]),
    st.dictionaries(
        st.sampled_from(
            [
                "X-Amzn-SageMaker-Target-Variant",
                "X-Amzn-SageMaker-Inference-Id",
                "X-Amzn-SageMaker-Custom-Attributes",
                "X-Amzn-SageMaker-RequestTTLSeconds",
            ]
        ),
        st.text(alphabet=HEADER_CHARACTERS, max_size=80),
        max_size=2,
    ),
).map(
    lambda triple: Case(
        "runtime",
        path=f"/endpoints/{quote(triple[0], safe='')}/{triple[1]}",
        headers=triple[2],
        body=b"payload",
        service="runtime",
    )
)

ALL_CASES = st.one_of(
    member_cases,
    member_cases,
    member_cases,
    missing_required_cases,
    not_json_cases,
    non_object_cases,
    huge_number_cases,
    unknown_operation_cases,
    auth_cases,
    runtime_cases,
)


# --- sending and judging ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def http(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=DEADLINE_SECONDS * 2) as client:
        yield client


def send(http: httpx.Client, server: LiveServer, case: Case) -> httpx.Response:
    headers = dict(case.headers)
    if case.service == "sagemaker":
        headers.setdefault("X-Amz-Target", f"SageMaker.{case.operation}")
        headers["Content-Type"] = JSON_TYPE
    request = AWSRequest(method="POST", url=server.url + case.path, data=case.body, headers=headers)
    if case.auth != "none":
        key = "AKIDNOBODY0000000000" if case.auth == "unknown-key" else ACCESS_KEY
        secret = "wrong-secret" if case.auth == "wrong-secret" else SECRET_KEY
        SigV4Auth(Credentials(key, secret), "sagemaker", REGION).add_auth(request)
        if case.auth == "garbled":
            request.headers["Authorization"] = request.headers["Authorization"][:40] + "?,,=="
    prepared = request.prepare()
    wire = [(k, v if isinstance(v, bytes) else v.encode("latin-1")) for k, v in prepared.headers.items()]
    return http.post(prepared.url, headers=wire, content=case.body)


def judge(case: Case, response: httpx.Response, elapsed: float) -> None:
    sent = f"{case.kind} {case.operation or case.path}: {case.body[:120]!r}"
    what = f"{sent} -> {response.status_code} {response.text[:300]}"
    assert elapsed < DEADLINE_SECONDS, what
    assert response.headers.get("x-amzn-requestid"), what
    body = response.json()
    assert isinstance(body, dict) and body.get("__type") and body.get("message"), what
    status = response.status_code
    if case.kind == "auth":
        assert status == 403, what
        return
    if status == 501:
        # Only a modelled operation that Drydock does not serve, and only for input that passed validation.
        assert case.service == "sagemaker" and case.operation not in IMPLEMENTED, what
        assert body["__type"] == "NotImplemented" and case.operation in body["message"], what
        return
    assert 400 <= status < 500, what
    if case.kind in ("bad-member", "missing-required"):
        assert (status, body["__type"]) == (400, "ValidationException"), what
    if case.kind in ("not-json", "non-object"):
        assert (status, body["__type"]) == (400, "SerializationException"), what
    if case.kind.startswith("unknown"):
        assert body["__type"] == "UnknownOperationException", what
    if case.service == "runtime":
        assert response.headers["x-amzn-errortype"] == body["__type"], what


@pytest.mark.filterwarnings("ignore:Generating overly large repr")
@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
@given(case=ALL_CASES)
def test_generated_bad_requests_get_4xx_in_aws_shape(server: LiveServer, http: httpx.Client, case: Case) -> None:
    event(case.kind)
    started = time.monotonic()
    response = send(http, server, case)
    judge(case, response, time.monotonic() - started)


def test_server_is_healthy_after_the_bad_requests(server: LiveServer, http: httpx.Client) -> None:
    response = http.get("/_drydock/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert "Models" in server.client("sagemaker").list_models()


# --- fixed cases: the message names the member, as AWS's does ----------------------------------------


def call(http: httpx.Client, server: LiveServer, operation: str, document: Any) -> tuple[int, dict[str, Any]]:
    response = send(http, server, Case("fixed", operation, json_bytes(document)))
    return response.status_code, response.json()


@pytest.mark.parametrize(
    ("operation", "document", "fragment"),
    [
        ("CreateModel", {"ModelName": "bad name!"}, "Value 'bad name!' at 'modelName' failed to satisfy constraint"),
        ("CreateModel", {}, "Value null at 'modelName' failed to satisfy constraint: Member must not be null"),
        (
            "CreateModel",
            {"ModelName": "m", "PrimaryContainer": {"Image": "x", "Environment": {"A": ["not", "a", "string"]}}},
            "at 'primaryContainer.environment.A' failed to satisfy constraint: Member must be a string",
        ),
        (
            "CreateEndpointConfig",
            {
                "EndpointConfigName": "c",
                "ProductionVariants": [{"VariantName": "v", "ModelName": "m", "InitialInstanceCount": 0}],
            },
            "Value 0 at 'productionVariants.1.member.initialInstanceCount' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1",
        ),
        ("ListModels", {"MaxResults": 1000}, "Value 1000 at 'maxResults'"),
        (
            "ListModels",
            {"SortBy": "Size"},
            "Value 'Size' at 'sortBy' failed to satisfy constraint: Member must "
            "satisfy enum value set: [Name, CreationTime]",
        ),
        ("ListModels", {"CreationTimeAfter": "last tuesday"}, "at 'creationTimeAfter' failed to satisfy constraint"),
        ("DescribeModel", {"ModelName": "m" * 64}, "Member must have length less than or equal to 63"),
        (
            "AddTags",
            {"ResourceArn": "arn:aws:sagemaker:us-east-1:000000000000:model/m", "Tags": [{"Key": "k<", "Value": "v"}]},
            "at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern",
        ),
    ],
)
def test_validation_messages_name_the_member(
    server: LiveServer, http: httpx.Client, operation: str, document: Any, fragment: str
) -> None:
    status, body = call(http, server, operation, document)
    assert (status, body["__type"]) == (400, "ValidationException")
    assert fragment in body["message"]


def test_unimplemented_operation_validates_then_answers_not_implemented(server: LiveServer, http: httpx.Client) -> None:
    operation = next(
        op
        for op in OPERATIONS
        if op not in IMPLEMENTED and MODEL.operation_model(op).input_shape.required_members == ["TrainingJobName"]
    )
    status, body = call(http, server, operation, {"TrainingJobName": "bad_name"})
    assert (status, body["__type"]) == (400, "ValidationException")
    assert "at 'trainingJobName'" in body["message"]
    status, body = call(http, server, operation, {"TrainingJobName": "good-name"})
    assert (status, body["__type"]) == (501, "NotImplemented")
    assert operation in body["message"]
