"""The three network clients of bench/endpoint.py, each one request per call, returning the body.

- :func:`boto3_invoker`: ``sagemaker-runtime`` ``invoke_endpoint`` through boto3, as users call it.
- :class:`SignedInvoker`: the same InvokeEndpoint on a keep-alive ``http.client`` connection, each
  request SigV4-signed by :class:`LeanSigner` — what a client written for speed pays, without the
  SDK (endpoint resolution, parameter validation, retries, response parsing, botocore's signer).
- :class:`InvocationsPoster`: ``POST /invocations`` straight to a model server on a keep-alive
  connection, unsigned: Drydock's replica without the gateway in front of it, or ``mlflow models
  serve`` (MLflow's scoring server has no authentication), with :func:`mlflow_request`'s body.
"""

from __future__ import annotations

import hashlib
import hmac
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


class LeanSigner:
    """SigV4 for ``POST`` requests with a ``Content-Type``, as a client written for speed signs them.

    Everything SigV4 asks is done for every request — a fresh ``X-Amz-Date``, the body's SHA-256,
    the canonical request and its hash, the HMAC with the signing key — but the signing key itself is
    kept for the day, as AWS's SigV4 documentation recommends, instead of derived anew, and nothing
    else is built (botocore's ``SigV4Auth`` constructs an ``AWSRequest``, splits the URL and walks
    every header on each call: ~0.15 ms). The server checks every signature, so a wrong one fails the
    run with a 403.
    """

    def __init__(self, host: str, service: str = "sagemaker") -> None:
        self.host = host
        self.service = service
        self._keys: dict[str, bytes] = {}

    def _key(self, date: str) -> bytes:
        key = self._keys.get(date)
        if key is None:
            key = f"AWS4{SECRET_KEY}".encode()
            for part in (date, REGION, self.service, "aws4_request"):
                key = hmac.digest(key, part.encode(), "sha256")
            self._keys = {date: key}
        return key

    def headers(self, path: str, content_type: str, body: bytes) -> dict[str, str]:
        """``path`` must need no URI-encoding (SigV4 would encode it once more for non-S3 services)."""
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        date = amz_date[:8]
        canonical = (
            f"POST\n{path}\n\ncontent-type:{content_type}\nhost:{self.host}\nx-amz-date:{amz_date}\n\n"
            f"content-type;host;x-amz-date\n{hashlib.sha256(body).hexdigest()}"
        )
        scope = f"{date}/{REGION}/{self.service}/aws4_request"
        to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        signature = hmac.digest(self._key(date), to_sign.encode(), "sha256").hex()
        return {
            "Content-Type": content_type,
            "X-Amz-Date": amz_date,
            "Authorization": (
                f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{scope}, "
                f"SignedHeaders=content-type;host;x-amz-date, Signature={signature}"
            ),
        }


class SignedInvoker:
    """InvokeEndpoint as bytes on one keep-alive connection, SigV4-signed per request by
    :class:`LeanSigner`."""

    def __init__(self, port: int, endpoint: str, row: bytes) -> None:
        self.path = f"/endpoints/{endpoint}/invocations"
        self.row = row
        self.signer = LeanSigner(f"127.0.0.1:{port}")
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)

    def __call__(self) -> bytes:
        headers = self.signer.headers(self.path, "text/csv", self.row)
        self.connection.request("POST", self.path, body=self.row, headers=headers)
        return _checked(self.connection, "InvokeEndpoint")


def signing_cost(requests: int = 2000) -> tuple[float, float]:
    """Seconds to SigV4-sign one InvokeEndpoint request: by :class:`LeanSigner` (as drydock-raw
    does) and by botocore's ``SigV4Auth`` (as boto3 does)."""
    path = "/endpoints/bench/invocations"
    lean = LeanSigner("127.0.0.1:7070")
    started = time.perf_counter()
    for _ in range(requests):
        lean.headers(path, "text/csv", b"1,2,3")
    lean_s = (time.perf_counter() - started) / requests
    signer = SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "sagemaker", REGION)
    url = f"http://127.0.0.1:7070{path}"
    started = time.perf_counter()
    for _ in range(requests):
        signer.add_auth(AWSRequest(method="POST", url=url, data=b"1,2,3", headers={"Content-Type": "text/csv"}))
    return lean_s, (time.perf_counter() - started) / requests


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
