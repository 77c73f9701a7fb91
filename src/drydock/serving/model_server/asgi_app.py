"""The model server's HTTP surface as a raw ASGI application: the hot path of every InvokeEndpoint.

SageMaker's serving contract (reference §7.1): ``GET /ping`` answers 200 while the container is
healthy; ``POST /invocations`` carries the client's body, Content-Type and Accept, and
``X-Amzn-SageMaker-Custom-Attributes`` in both directions; batch transform asks
``GET /execution-parameters`` for MaxConcurrentTransforms, BatchStrategy and MaxPayloadInMB. No
framework sits between uvicorn and this class, so an invocation costs a header scan, a body read and
a hand-off to the inference thread pool: predictions run there so that ``/ping`` still answers while a
long one is in flight, and several requests predict at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from drydock.serving.model_server.handler import InferenceRequest, InferenceResponse, ModelHandler, ModelHandlerError

# ASGI messages are plain dicts whose value types depend on their "type" key (ASGI spec 2.x).
Scope = Mapping[str, Any]
Message = Mapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger("drydock.serving.model_server")

CUSTOM_ATTRIBUTES = "X-Amzn-SageMaker-Custom-Attributes"
_ATTRIBUTES_HEADER = CUSTOM_ATTRIBUTES.lower().encode()
_TEXT = b"text/plain; charset=utf-8"
_JSON = b"application/json"


class _ClientGone(Exception):
    """The client disconnected before it had sent the whole body."""


class ModelServerApp:
    """Serves one loaded :class:`ModelHandler`. ``close`` when the server has stopped."""

    def __init__(
        self,
        handler: ModelHandler,
        *,
        workers: int,
        timeout_seconds: float,
        max_body_bytes: int | None,
        max_payload_mb: int,
    ) -> None:
        self._handler = handler
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="inference")
        self._timeout = timeout_seconds
        self._max_body = max_body_bytes
        # What SageMaker's XGBoost and inference-toolkit containers answer: the batch transform
        # engine uses it when the job itself names no MaxConcurrentTransforms/BatchStrategy/MaxPayloadInMB.
        self._execution_parameters = json.dumps(
            {"MaxConcurrentTransforms": workers, "BatchStrategy": "MULTI_RECORD", "MaxPayloadInMB": max_payload_mb}
        ).encode()

    def close(self) -> None:
        # An invocation that overran its timeout may still hold a thread; the process is ending anyway.
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan and websockets are switched off in uvicorn
            return
        path, method = scope["path"], scope["method"]
        if path == "/invocations":
            if method == "POST":
                await self._invoke(scope, receive, send)
            else:
                await _respond(send, 405, b"Method Not Allowed", _TEXT, [(b"allow", b"POST")])
        elif path == "/ping":
            if method in ("GET", "HEAD"):
                # Only a loaded model gets this far: the server binds its port after load().
                await _respond(send, 200, b"", _TEXT)
            else:
                await _respond(send, 405, b"Method Not Allowed", _TEXT, [(b"allow", b"GET")])
        elif path == "/execution-parameters" and method == "GET":
            await _respond(send, 200, self._execution_parameters, _JSON)
        else:
            await _respond(send, 404, b"Not Found", _TEXT)

    async def _invoke(self, scope: Scope, receive: Receive, send: Send) -> None:
        content_type = accept = attributes = None
        declared = 0
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value.decode("latin-1")
            elif name == b"accept":
                accept = value.decode("latin-1")
            elif name == _ATTRIBUTES_HEADER:
                attributes = value.decode("latin-1")
            elif name == b"content-length":
                declared = int(value)  # the HTTP parser has already rejected a malformed one
        if self._max_body is not None and declared > self._max_body:
            await self._too_large(send)
            return
        try:
            body = await self._read_body(receive)
        except _ClientGone:
            return  # nobody is left to answer
        if body is None:
            await self._too_large(send)
            return
        request = InferenceRequest(body, content_type, accept, attributes)
        loop = asyncio.get_running_loop()
        try:
            response = await asyncio.wait_for(
                loop.run_in_executor(self._pool, self._handler.invoke, request), self._timeout
            )
        except ModelHandlerError as error:
            log.warning("Invocation failed with %d: %s", error.status, _one_line(error.message))
            await _respond(send, error.status, error.message.encode(), _TEXT)
            return
        except TimeoutError:
            message = f"The model did not answer within {self._timeout:g} seconds (SAGEMAKER_MODEL_SERVER_TIMEOUT)"
            log.warning("Invocation failed with 504: %s", message)
            await _respond(send, 504, message.encode(), _TEXT)
            return
        except Exception as error:  # the handler's bug: the client gets its message, the log the traceback
            log.exception("Invocation failed with 500: %s", _one_line(str(error)))
            await _respond(send, 500, (str(error) or type(error).__name__).encode(), _TEXT)
            return
        await _respond_with(send, response)

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole request body, or None once it outgrows the limit (the rest is never buffered)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _ClientGone
            chunk = message.get("body", b"")
            size += len(chunk)
            if self._max_body is not None and size > self._max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def _too_large(self, send: Send) -> None:
        limit = self._max_body or 0
        message = f"The request body exceeds the model server's limit of {limit} bytes (MaxPayloadInMB)"
        log.warning("Invocation failed with 413: %s", message)
        # Close the connection: the unread rest of the body must not be parsed as the next request.
        await _respond(send, 413, message.encode(), _TEXT, [(b"connection", b"close")])


async def _respond_with(send: Send, response: InferenceResponse) -> None:
    extra: list[tuple[bytes, bytes]] = []
    if response.custom_attributes is not None:
        extra.append((_ATTRIBUTES_HEADER, _header_value(response.custom_attributes)))
    await _respond(send, response.status, response.body, response.content_type.encode("latin-1"), extra)


async def _respond(
    send: Send, status: int, body: bytes, content_type: bytes, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    if status == 204:  # RFC 9110: a 204 has neither a body nor a Content-Length
        headers = extra or []
        body = b""
    else:
        headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _header_value(value: str) -> bytes:
    # A handler's value goes out verbatim, save for line breaks, which would split the header.
    return value.replace("\r", " ").replace("\n", " ").encode("latin-1", errors="replace")


def _one_line(message: str) -> str:
    return " ".join(message.split())
