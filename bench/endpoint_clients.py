"""The three network clients of bench/endpoint.py, each one request per call, returning the body.

- :func:`boto3_invoker`: ``sagemaker-runtime`` ``invoke_endpoint`` through boto3, as users call it.
- :class:`SignedInvoker`: the same InvokeEndpoint on a keep-alive :class:`RawConnection`, each
  request SigV4-signed by :class:`LeanSigner` — what a client written for speed pays, without the
  SDK (endpoint resolution, parameter validation, retries, response parsing, botocore's signer).
- :class:`InvocationsPoster`: ``POST /invocations`` straight to a model server on a keep-alive
  :class:`RawConnection`, unsigned: Drydock's replica without the gateway in front of it, or ``mlflow
  models serve`` (MLflow's scoring server has no authentication), with :func:`mlflow_request`'s body.

The raw clients share the machine's two cores with the servers they measure, and with one client
every microsecond the client spends is serial with the server's, so they are lean the way load
generators (wrk, hey) are: ``http.client`` spends ~0.1 ms of Python a call (header objects, an
``email`` parser for the answer's headers); :class:`RawConnection` writes the request as one buffer
and parses the answer with httptools, ~20 µs. MLflow's rows and Drydock's use the same one.
:func:`client_cost` measures both against a local echo server and the bench prints them.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import httptools
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


class RawConnection:
    """One keep-alive HTTP/1.1 connection on a plain socket: each request written as one buffer, each
    answer read with httptools' response parser (sized or chunked). Reconnects once the server has
    said ``Connection: close``; a connection the server drops mid-answer is an error, as for any
    client."""

    def __init__(self, port: int, timeout: float = TIMEOUT_S) -> None:
        self.port = port
        self.timeout = timeout
        self.host = f"127.0.0.1:{port}"
        self._socket: socket.socket | None = None
        self._chunks: list[bytes] = []
        self._complete = False
        self._keep_alive = False
        self._parser: httptools.HttpResponseParser | None = None

    def _connected(self) -> socket.socket:
        if self._socket is None:
            self._socket = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
            self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self._socket

    def post(self, path: str, headers: str, body: bytes) -> tuple[int, bytes]:
        """``headers`` are extra header lines, each ending in CRLF; Host and Content-Length are added."""
        sock = self._connected()
        head = f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\n{headers}Content-Length: {len(body)}\r\n\r\n"
        sock.sendall(head.encode() + body)
        parser = self._parser = httptools.HttpResponseParser(self)
        self._chunks = []
        self._complete = False
        while not self._complete:
            data = sock.recv(262144)
            if not data:
                self.close()
                raise ConnectionError(f"the server on port {self.port} closed the connection mid-answer")
            parser.feed_data(data)
        if not self._keep_alive:
            self.close()
        return parser.get_status_code(), b"".join(self._chunks)

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    # httptools callbacks
    def on_headers_complete(self) -> None:
        # llhttp only knows once the headers are in; after the message it has reset.
        assert self._parser is not None
        self._keep_alive = self._parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        self._chunks.append(body)

    def on_message_complete(self) -> None:
        self._complete = True


def _checked(answer: tuple[int, bytes], who: str) -> bytes:
    status, body = answer
    if status != 200:
        raise RuntimeError(f"{who} answered {status}: {body[:200]!r}")
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

    def headers(self, path: str, content_type: str, body: bytes) -> str:
        """The signed request's Content-Type, X-Amz-Date and Authorization header lines. ``path`` must
        need no URI-encoding (SigV4 would encode it once more for non-S3 services)."""
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        date = amz_date[:8]
        canonical = (
            f"POST\n{path}\n\ncontent-type:{content_type}\nhost:{self.host}\nx-amz-date:{amz_date}\n\n"
            f"content-type;host;x-amz-date\n{hashlib.sha256(body).hexdigest()}"
        )
        scope = f"{date}/{REGION}/{self.service}/aws4_request"
        to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        signature = hmac.digest(self._key(date), to_sign.encode(), "sha256").hex()
        return (
            f"Content-Type: {content_type}\r\nX-Amz-Date: {amz_date}\r\n"
            f"Authorization: AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{scope}, "
            f"SignedHeaders=content-type;host;x-amz-date, Signature={signature}\r\n"
        )


class SignedInvoker:
    """InvokeEndpoint as bytes on one keep-alive connection, SigV4-signed per request by
    :class:`LeanSigner`."""

    def __init__(self, port: int, endpoint: str, row: bytes) -> None:
        self.path = f"/endpoints/{endpoint}/invocations"
        self.row = row
        self.connection = RawConnection(port)
        self.signer = LeanSigner(self.connection.host)

    def __call__(self) -> bytes:
        headers = self.signer.headers(self.path, "text/csv", self.row)
        return _checked(self.connection.post(self.path, headers, self.row), "InvokeEndpoint")


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
        self.headers = f"Content-Type: {content_type}\r\n"
        self.connection = RawConnection(port)

    def __call__(self) -> bytes:
        return _checked(self.connection.post("/invocations", self.headers, self.body), "POST /invocations")


def client_cost(requests: int = 3000) -> tuple[float, float]:
    """Seconds a request-answer exchange takes against a one-line echo server in a thread of this
    process: :class:`RawConnection` (as the raw clients send) and ``http.client``. The server's work is
    the same for both, so the difference is what the client itself costs."""
    body = b"1.0," * 29 + b"1.0"

    def raw(port: int) -> Callable[[], object]:
        connection = RawConnection(port)
        return lambda: connection.post("/invocations", "Content-Type: text/csv\r\n", body)

    def plain(port: int) -> Callable[[], object]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)

        def call() -> bytes:
            connection.request("POST", "/invocations", body=body, headers={"Content-Type": "text/csv"})
            return connection.getresponse().read()

        return call

    return _echo_timed(raw, requests), _echo_timed(plain, requests)


def _echo_timed(client: Callable[[int], Callable[[], object]], requests: int) -> float:
    answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n[0.5]"
    with socket.create_server(("127.0.0.1", 0)) as listener:

        def echo() -> None:
            connection, _ = listener.accept()
            with connection:
                parser = httptools.HttpRequestParser(_Answering(connection, answer))
                while data := connection.recv(65536):
                    parser.feed_data(data)

        server = threading.Thread(target=echo, daemon=True)
        server.start()
        call = client(listener.getsockname()[1])
        for _ in range(200):
            call()
        started = time.perf_counter()
        for _ in range(requests):
            call()
        elapsed = (time.perf_counter() - started) / requests
        del call  # closes the connection, which ends the echo thread
        server.join(5)
    return elapsed


class _Answering:
    """httptools callbacks for :func:`client_cost`'s echo server: one fixed answer per request."""

    def __init__(self, connection: socket.socket, answer: bytes) -> None:
        self.connection = connection
        self.answer = answer

    def on_message_complete(self) -> None:
        self.connection.sendall(self.answer)
