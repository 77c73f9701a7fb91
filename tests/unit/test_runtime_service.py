"""The runtime service's plug-in point: a hosting layer's router gets validated invocations and its
results go back on the wire exactly as sagemaker-runtime's model lays them out."""

from __future__ import annotations

import json

import anyio
import pytest

from drydock.errors import NotImplementedOperationError, RuntimeValidationError
from drydock.services.runtime.errors import UnknownRoute
from drydock.services.runtime.service import RuntimeService
from drydock.serving.invocation import InferenceTarget, Invocation, InvocationResult, NoEndpoints
from drydock.wire.context import Principal, RequestContext
from drydock.wire.http import HttpRequest, HttpResponse
from drydock.wire.json_shapes import ShapeSerializer

PRINCIPAL = Principal(access_key_id="AK", arn="arn:aws:iam::123456789012:root", account="123456789012", user_id="u")


class EchoEndpoint:
    def __init__(self) -> None:
        self.seen: list[Invocation] = []

    async def invoke(self, invocation: Invocation) -> InvocationResult:
        self.seen.append(invocation)
        if invocation.operation == "InvokeEndpointAsync":
            return InvocationResult({"InferenceId": "inf-1", "OutputLocation": "s3://out/inf-1.out"})
        return InvocationResult(
            {
                "Body": invocation.params["Body"][::-1],
                "ContentType": "text/plain",
                "InvokedProductionVariant": "AllTraffic",
                "CustomAttributes": invocation.params.get("CustomAttributes"),
            }
        )


class OneEndpointRouter:
    def __init__(self, name: str, endpoint: EchoEndpoint) -> None:
        self.name = name
        self.endpoint = endpoint
        self.lookups: list[tuple[str, str, str]] = []

    async def find(self, account_id: str, region: str, endpoint_name: str) -> InferenceTarget | None:
        self.lookups.append((account_id, region, endpoint_name))
        return self.endpoint if endpoint_name == self.name else None


def call(service: RuntimeService, method: str, path: str, headers: dict[str, str], body: bytes) -> HttpResponse:
    request = HttpRequest(
        method=method, raw_path=path, path=path, query_string="", headers=headers, client="", body=body
    )
    ctx = RequestContext(
        request_id="req-1", principal=PRINCIPAL, region="eu-west-1", service="sagemaker", operation="", deps=None
    )
    response: HttpResponse = anyio.run(service.handle, request, ctx)
    assert ctx.operation and ctx.service in ("sagemaker-runtime", "sagemaker-featurestore-runtime")
    return response


@pytest.fixture
def echo() -> EchoEndpoint:
    return EchoEndpoint()


@pytest.fixture
def service(echo: EchoEndpoint) -> RuntimeService:
    return RuntimeService(OneEndpointRouter("live", echo), ShapeSerializer(strict=True))


def test_invoke_endpoint_reaches_the_router_and_renders_the_model_output(
    service: RuntimeService, echo: EchoEndpoint
) -> None:
    response = call(
        service,
        "POST",
        "/endpoints/live/invocations",
        {"content-type": "text/csv", "accept": "text/plain", "x-amzn-sagemaker-custom-attributes": "trace=1"},
        b"1,2,3",
    )
    assert response.status == 200
    assert response.body == b"3,2,1"
    assert response.header("Content-Type") == "text/plain"
    assert response.header("x-Amzn-Invoked-Production-Variant") == "AllTraffic"
    assert response.header("X-Amzn-SageMaker-Custom-Attributes") == "trace=1"
    invocation = echo.seen[0]
    assert (invocation.operation, invocation.endpoint_name, invocation.account_id, invocation.region) == (
        "InvokeEndpoint",
        "live",
        "123456789012",
        "eu-west-1",
    )
    assert invocation.params["ContentType"] == "text/csv" and invocation.params["Accept"] == "text/plain"


def test_a_combination_found_valid_is_remembered_but_every_new_one_is_checked(
    service: RuntimeService, echo: EchoEndpoint
) -> None:
    headers = {"content-type": "text/csv"}
    for body in (b"1,2", b"3,4"):  # the second call takes the remembered validation, with its own body
        assert call(service, "POST", "/endpoints/live/invocations", headers, body).body == body[::-1]
    assert [seen.params["Body"] for seen in echo.seen] == [b"1,2", b"3,4"]
    with pytest.raises(RuntimeValidationError) as caught:
        call(service, "POST", "/endpoints/live/invocations", {**headers, "accept": "x" * 1025}, b"5,6")
    assert "at 'accept' failed to satisfy constraint: Member must have length less than or equal to 1024" in (
        caught.value.message
    )


def test_async_invocation_is_202_with_json_and_headers(service: RuntimeService) -> None:
    response = call(
        service,
        "POST",
        "/endpoints/live/async-invocations",
        {"x-amzn-sagemaker-inputlocation": "s3://in/x.json", "x-amzn-sagemaker-requestttlseconds": "600"},
        b"",
    )
    assert response.status == 202
    assert json.loads(response.body) == {"InferenceId": "inf-1"}  # type: ignore[arg-type]
    assert response.header("X-Amzn-SageMaker-OutputLocation") == "s3://out/inf-1.out"


def test_numeric_header_that_is_not_a_number_is_named(service: RuntimeService) -> None:
    with pytest.raises(RuntimeValidationError) as caught:
        call(
            service,
            "POST",
            "/endpoints/live/async-invocations",
            {"x-amzn-sagemaker-inputlocation": "s3://in/x", "x-amzn-sagemaker-requestttlseconds": "soon"},
            b"",
        )
    assert "Value 'soon' at 'requestTTLSeconds' failed to satisfy constraint: Member must be an integer" in (
        caught.value.message
    )
    assert caught.value.code == "ValidationError"


def test_streaming_results_are_not_served_yet(service: RuntimeService) -> None:
    with pytest.raises(NotImplementedOperationError):
        call(service, "POST", "/endpoints/live/invocations-response-stream", {}, b"x")


def test_missing_endpoint_and_unknown_routes() -> None:
    service = RuntimeService(NoEndpoints(), ShapeSerializer(strict=True))
    with pytest.raises(RuntimeValidationError) as caught:
        call(service, "POST", "/endpoints/gone/invocations", {}, b"x")
    assert caught.value.message == "Endpoint gone of account 123456789012 not found."
    for method, path in [
        ("GET", "/endpoints/gone/invocations"),
        ("POST", "/endpoints//invocations"),
        ("POST", "/endpoints/a/b/invocations"),
        ("POST", "/"),
    ]:
        with pytest.raises(UnknownRoute) as unknown:
            call(service, method, path, {}, b"")
        assert (unknown.value.status, unknown.value.code) == (404, "UnknownOperationException")


def test_encoded_slash_stays_inside_the_endpoint_name() -> None:
    service = RuntimeService(NoEndpoints(), ShapeSerializer(strict=True))
    with pytest.raises(RuntimeValidationError) as caught:
        call(service, "POST", "/endpoints/a%2Fb/invocations", {}, b"x")
    assert "Value 'a/b' at 'endpointName'" in caught.value.message
