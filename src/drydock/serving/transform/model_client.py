"""Calls one replica's ``/invocations`` from batch transform's worker threads.

Each thread keeps its own keep-alive connection. Failures the container may recover from (5xx, a
dropped connection, a timeout) are retried up to InvocationsMaxRetries times, as SageMaker's
ModelClientConfig promises; 4xx answers are the data's fault and are returned at once.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

RETRY_PAUSE_SECONDS = 0.2


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    #: Seconds the model took, for the job's metrics.
    seconds: float

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class ModelClient:
    def __init__(self, url: str, content_type: str | None, accept: str | None, timeout: float, retries: int) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.headers = {"Content-Type": content_type or "application/octet-stream"}
        if accept:
            self.headers["Accept"] = accept
        self.timeout = timeout
        self.retries = retries
        self._local = threading.local()

    def execution_parameters(self) -> dict[str, Any]:
        """The container's ``GET /execution-parameters`` answer, or ``{}`` when it has none."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            connection.request("GET", "/execution-parameters")
            response = connection.getresponse()
            body = response.read()
            if response.status != 200:
                return {}
            document = json.loads(body)
            return document if isinstance(document, dict) else {}
        except (OSError, ValueError):
            return {}
        finally:
            connection.close()

    def invoke(self, body: bytes) -> Answer:
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                connection = self._connection()
                connection.request("POST", "/invocations", body=body, headers=self.headers)
                response = connection.getresponse()
                answer = Answer(response.status, response.read(), time.perf_counter() - started)
            except (OSError, http.client.HTTPException) as exc:
                self._drop()
                answer = Answer(0, f"{type(exc).__name__}: {exc}".encode(), time.perf_counter() - started)
            if answer.ok or 400 <= answer.status < 500 or attempt >= self.retries:
                return answer
            attempt += 1
            time.sleep(RETRY_PAUSE_SECONDS)

    def _connection(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self._local.connection = connection
        return connection

    def _drop(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None
