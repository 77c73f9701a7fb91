"""The three network clients of bench/endpoint.py, each one request per call, returning the body.

- :func:`boto3_invoker`: ``sagemaker-runtime`` ``invoke_endpoint`` through boto3, as users call it.
- :class:`SignedInvoker`: the same InvokeEndpoint on a keep-alive ``http.client`` connection, each
  request signed by botocore's ``SigV4Auth`` — a real client's signing cost without the rest of the
  SDK (endpoint resolution, parameter validation, retries, response parsing).
- :class:`InvocationsPoster`: ``POST /invocations`` straight to a model server on a keep-alive
  connection, unsigned: Drydock's replica without the gateway in front of it, or ``mlflow models
  serve`` (MLflow's scoring server has no authentication), with :func:`mlflow_request`'s body.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from drydock.testing.live_server import ACCESS_KEY, REGION, SECRET_KEY, LiveServer

TIMEOUT_S = 60


def boto3_invoker(live: LiveServer, endpoint: str, row: bytes) -> Callable[[], bytes]:
    runtime: Any = live.client("sagemaker-runtime")

    def invoke() -> bytes:
        answer = runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=row)
        return bytes(answer["Body"].read())

    return invoke


def _checked(connection: http.client.HTTPConnection, who: str) -> bytes:
    response = connection.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"{who} answered {response.status}: {body[:200]!r}")
    return body


class SignedInvoker:
    """InvokeEndpoint as bytes on one keep-alive connection, SigV4-signed per request by botocore."""

    def __init__(self, port: int, endpoint: str, row: bytes) -> None:
        self.path = f"/endpoints/{endpoint}/invocations"
        self.url = f"http://127.0.0.1:{port}{self.path}"
        self.row = row
        self.signer = SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "sagemaker", REGION)
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)

    def __call__(self) -> bytes:
        request = AWSRequest(method="POST", url=self.url, data=self.row, headers={"Content-Type": "text/csv"})
        self.signer.add_auth(request)  # X-Amz-Date and Authorization, fresh for every request
        self.connection.request("POST", self.path, body=self.row, headers=dict(request.headers.items()))
        return _checked(self.connection, "InvokeEndpoint")


def signing_cost(requests: int = 2000) -> float:
    """Seconds botocore takes to SigV4-sign one InvokeEndpoint request like :class:`SignedInvoker`'s."""
    signer = SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "sagemaker", REGION)
    url = "http://127.0.0.1:7070/endpoints/bench/invocations"
    started = time.perf_counter()
    for _ in range(requests):
        signer.add_auth(AWSRequest(method="POST", url=url, data=b"1,2,3", headers={"Content-Type": "text/csv"}))
    return (time.perf_counter() - started) / requests


def mlflow_request(row: bytes, body_format: str) -> tuple[bytes, str]:
    """The row as MLflow's scoring server takes it: JSON ``inputs``, or CSV with a header line."""
    values = [float(v) for v in row.decode().split(",")]
    if body_format == "json":
        return json.dumps({"inputs": [values]}).encode(), "application/json"
    # MLflow reads CSV with pandas.read_csv, whose first line is the header.
    header = ",".join(f"f{i}" for i in range(len(values)))
    return f"{header}\n".encode() + row, "text/csv"


class InvocationsPoster:
    """``POST /invocations`` on one keep-alive connection, unsigned: a model server's own door."""

    def __init__(self, port: int, body: bytes, content_type: str) -> None:
        self.body = body
        self.headers = {"Content-Type": content_type}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)

    def __call__(self) -> bytes:
        self.connection.request("POST", "/invocations", body=self.body, headers=self.headers)
        return _checked(self.connection, "POST /invocations")
