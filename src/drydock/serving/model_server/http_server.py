"""The model server's HTTP/1.1 layer: an asyncio protocol over httptools' parser, on uvloop.

Every InvokeEndpoint crosses this layer once, so it does only what SageMaker's serving contract
(reference §7.1) needs: ``GET /ping`` answers 200 while the container is healthy; ``POST
/invocations`` carries the client's body, Content-Type and Accept, and
``X-Amzn-SageMaker-Custom-Attributes`` both ways; batch transform asks ``GET /execution-parameters``
for MaxConcurrentTransforms, BatchStrategy and MaxPayloadInMB. A general ASGI server costs about
60 µs a request more than this (a task per request, the ASGI message dicts, the head and the body
written separately); here a request is parsed by httptools' callbacks and answered with one write.

Where an invocation runs:

- normally on the inference thread pool (``SAGEMAKER_MODEL_SERVER_WORKERS`` threads), so ``/ping``
  still answers while a long prediction runs, several requests predict at once, and one that overruns
  ``SAGEMAKER_MODEL_SERVER_TIMEOUT`` is answered 504 while its thread finishes in the background;
- *inline* on the event loop when that cannot matter: nothing else is predicting, the body is small
  and this model's last invocation took under :data:`INLINE_MAX_SECONDS`. Handing a request to a
  thread and back costs ~50 µs (more on a loaded machine), a fifth of a small model's prediction.
  After a slow invocation the next one goes to the pool again.

Connections are kept alive for :data:`KEEP_ALIVE_SECONDS` of idleness; pipelined requests on one
connection are answered in order. A body over the payload limit is answered 413 and the connection
closed once the body has been read (closing earlier would reset the connection under a client still
sending, and it could lose the answer).
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import json
import logging
import signal
import socket
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import cast

import httptools

from drydock.core.http_parsing import feed_request_bytes
from drydock.serving.model_server.handler import InferenceRequest, InferenceResponse, ModelHandler, ModelHandlerError

log = logging.getLogger("drydock.serving.model_server")

CUSTOM_ATTRIBUTES = "X-Amzn-SageMaker-Custom-Attributes"
_ATTRIBUTES_HEADER = CUSTOM_ATTRIBUTES.lower().encode()
_TEXT = b"text/plain; charset=utf-8"
_JSON = b"application/json"
#: Longer than the idle expiry of any sane client pool (httpx: 5 s, the runtime's router: less), so
#: the server never closes a kept-alive connection at the moment a client reuses it.
KEEP_ALIVE_SECONDS = 75.0
#: Invocations this quick (the model's last one) and with a body this small may run on the event loop.
INLINE_MAX_SECONDS = 0.002
INLINE_MAX_BODY = 64 * 1024
#: How often a stopping server looks whether its in-flight invocations have been answered.
_DRAIN_POLL_SECONDS = 0.05


@dataclass
class _Request:
    method: str
    path: str
    content_type: str | None = None
    accept: str | None = None
    attributes: str | None = None
    declared: int | None = None
    expects_continue: bool = False
    chunks: list[bytes] = field(default_factory=list)
    size: int = 0
    too_large: bool = False
    keep_alive: bool = True


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes
    content_type: bytes
    headers: tuple[tuple[bytes, bytes], ...] = ()
    close: bool = False


class ModelServer:
    """Serves one loaded :class:`ModelHandler` on a listening socket until SIGTERM or SIGINT."""

    def __init__(
        self,
        handler: ModelHandler,
        *,
        workers: int,
        timeout_seconds: float,
        max_body_bytes: int | None,
        max_payload_mb: int,
    ) -> None:
        self.handler = handler
        self.timeout_seconds = timeout_seconds
        self.max_body_bytes = max_body_bytes
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="inference")
        #: Invocations running on the pool (including ones already answered 504).
        self._running = 0
        #: Seconds the last invocation took; ``None`` until one has been timed on the pool.
        self._last_seconds: float | None = None
        self._connections: set[_Connection] = set()
        # What SageMaker's XGBoost and inference-toolkit containers answer: the batch transform
        # engine uses it when the job itself names no MaxConcurrentTransforms/BatchStrategy/MaxPayloadInMB.
        self._execution_parameters = json.dumps(
            {"MaxConcurrentTransforms": workers, "BatchStrategy": "MULTI_RECORD", "MaxPayloadInMB": max_payload_mb}
        ).encode()

    async def serve(self, listener: socket.socket) -> None:
        """Accept on ``listener`` until SIGTERM/SIGINT, then stop accepting, let the invocations in
        flight be answered (up to the invocation timeout) and close every connection."""
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        server = await loop.create_server(lambda: _Connection(self), sock=listener, backlog=2048)
        await stop.wait()
        server.close()
        deadline = time.monotonic() + self.timeout_seconds
        while any(c.busy for c in self._connections) and time.monotonic() < deadline:
            await asyncio.sleep(_DRAIN_POLL_SECONDS)
        for connection in list(self._connections):
            connection.close()
        await server.wait_closed()

    def close(self) -> None:
        # An invocation that overran its timeout may still hold a thread; the process is ending anyway.
        self._pool.shutdown(wait=False, cancel_futures=True)

    # --- requests, called by the connections on the event loop ------------------------------------

    def opened(self, connection: _Connection) -> None:
        self._connections.add(connection)

    def closed(self, connection: _Connection) -> None:
        self._connections.discard(connection)

    def dispatch(self, request: _Request, answer: Callable[[_Answer], None]) -> None:
        """Answer ``request`` through ``answer``, now or once its invocation has run."""
        path, method = request.path, request.method
        if request.too_large:
            answer(self._too_large())
        elif path == "/invocations":
            if method == "POST":
                self._invoke(request, answer)
            else:
                answer(_Answer(405, b"Method Not Allowed", _TEXT, ((b"allow", b"POST"),)))
        elif path == "/ping":
            if method in ("GET", "HEAD"):
                # Only a loaded model gets this far: the server binds its port after load().
                answer(_Answer(200, b"", _TEXT))
            else:
                answer(_Answer(405, b"Method Not Allowed", _TEXT, ((b"allow", b"GET"),)))
        elif path == "/execution-parameters" and method == "GET":
            answer(_Answer(200, self._execution_parameters, _JSON))
        else:
            answer(_Answer(404, b"Not Found", _TEXT))

    def exceeds_limit(self, size: int) -> bool:
        return self.max_body_bytes is not None and size > self.max_body_bytes

    def _too_large(self) -> _Answer:
        message = (
            f"The request body exceeds the model server's limit of {self.max_body_bytes or 0} bytes (MaxPayloadInMB)"
        )
        log.warning("Invocation failed with 413: %s", message)
        return _Answer(413, message.encode(), _TEXT, close=True)

    def _invoke(self, request: _Request, answer: Callable[[_Answer], None]) -> None:
        chunks = request.chunks
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        inference = InferenceRequest(body, request.content_type, request.accept, request.attributes)
        last = self._last_seconds
        if self._running == 0 and len(body) <= INLINE_MAX_BODY and last is not None and last < INLINE_MAX_SECONDS:
            answer(self._run(inference))
            return
        self._running += 1
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._pool, self._run, inference)
        timer = loop.call_later(self.timeout_seconds, self._overran, future, answer)
        future.add_done_callback(lambda done: self._ran(done, timer, answer))

    def _run(self, request: InferenceRequest) -> _Answer:
        """One invocation (on a pool thread, or inline), timed."""
        started = time.perf_counter()
        try:
            response = self.handler.invoke(request)
        except ModelHandlerError as error:
            log.warning("Invocation failed with %d: %s", error.status, _one_line(error.message))
            return _Answer(error.status, error.message.encode(), _TEXT)
        except Exception as error:  # the handler's bug: the client gets its message, the log the traceback
            log.exception("Invocation failed with 500: %s", _one_line(str(error)))
            return _Answer(500, (str(error) or type(error).__name__).encode(), _TEXT)
        finally:
            self._last_seconds = time.perf_counter() - started
        return _response_answer(response)

    def _ran(
        self, future: asyncio.Future[_Answer], timer: asyncio.TimerHandle, answer: Callable[[_Answer], None]
    ) -> None:
        self._running -= 1
        timer.cancel()
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:  # _run answers every exception itself; this is the pool refusing work
            answer(_Answer(503, f"The model server is stopping: {error}".encode(), _TEXT, close=True))
        else:
            answer(future.result())

    def _overran(self, future: asyncio.Future[_Answer], answer: Callable[[_Answer], None]) -> None:
        if future.done():
            return
        message = f"The model did not answer within {self.timeout_seconds:g} seconds (SAGEMAKER_MODEL_SERVER_TIMEOUT)"
        log.warning("Invocation failed with 504: %s", message)
        answer(_Answer(504, message.encode(), _TEXT))


class _Connection(asyncio.Protocol):
    """One client connection: httptools calls the ``on_*`` methods as it parses."""

    def __init__(self, server: ModelServer) -> None:
        self.server = server
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.loop = asyncio.get_running_loop()
        #: Requests parsed and not yet answered, oldest first; the first is being served.
        self.queue: deque[_Request] = deque()
        self.request: _Request | None = None
        self._url = b""
        self._idle: asyncio.TimerHandle | None = None

    @property
    def busy(self) -> bool:
        return bool(self.queue)

    # --- asyncio.Protocol ------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's TCP transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)
        self.server.opened(self)
        self._wait_idle()

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.closed(self)
        self.transport = None
        if self._idle is not None:
            self._idle.cancel()

    def data_received(self, data: bytes) -> None:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        feed_request_bytes(self.parser, data, self._reject)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    # --- httptools callbacks ---------------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._url = b""
        self.request = None

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        request = self._current()
        name = name.lower()
        if name == b"content-type":
            request.content_type = value.decode("latin-1")
        elif name == b"accept":
            request.accept = value.decode("latin-1")
        elif name == _ATTRIBUTES_HEADER:
            request.attributes = value.decode("latin-1")
        elif name == b"content-length":
            with contextlib.suppress(ValueError):  # the parser itself rejects a malformed one
                request.declared = int(value)
        elif name == b"expect":
            request.expects_continue = value.lower() == b"100-continue"

    def on_headers_complete(self) -> None:
        request = self._current()
        if request.declared is not None and self.server.exceeds_limit(request.declared):
            request.too_large = True
        elif request.expects_continue and self.transport is not None:
            # curl sends "Expect: 100-continue" with bodies over 1 KiB and waits up to a second for it.
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, chunk: bytes) -> None:
        request = self._current()
        if request.too_large:
            return  # read and dropped: the answer is 413 once the body is over
        request.size += len(chunk)
        if self.server.exceeds_limit(request.size):
            request.too_large = True
            request.chunks.clear()
        else:
            request.chunks.append(chunk)

    def on_message_complete(self) -> None:
        request = self._current()
        request.keep_alive = self.parser.should_keep_alive()
        self.request = None
        self.queue.append(request)
        if len(self.queue) == 1:
            self.server.dispatch(request, partial(self._answer, request))

    # --- answering -------------------------------------------------------------------------------

    def _current(self) -> _Request:
        if self.request is None:
            path = httptools.parse_url(self._url).path.decode("latin-1") if self._url else "/"
            self.request = _Request(method=self.parser.get_method().decode("latin-1"), path=path)
        return self.request

    def _answer(self, request: _Request, answer: _Answer) -> None:
        if not self.queue or self.queue[0] is not request:
            return  # answered already (504, then the late result), or the connection was reset
        self.queue.popleft()
        close = answer.close or not request.keep_alive
        if self.transport is None or self.transport.is_closing():
            self.queue.clear()
            return
        self.transport.write(_encode(answer, close, head_only=request.method == "HEAD"))
        if close:
            self.queue.clear()
            self.transport.close()
        elif self.queue:
            self.server.dispatch(self.queue[0], partial(self._answer, self.queue[0]))
        else:
            self._wait_idle()

    def _reject(self, message: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(_encode(_Answer(400, message, _TEXT), close=True, head_only=False))
            self.transport.close()
        self.queue.clear()

    def _wait_idle(self) -> None:
        self._idle = self.loop.call_later(KEEP_ALIVE_SECONDS, self.close)


def _response_answer(response: InferenceResponse) -> _Answer:
    headers: tuple[tuple[bytes, bytes], ...] = ()
    if response.custom_attributes is not None:
        headers = ((_ATTRIBUTES_HEADER, _header_value(response.custom_attributes)),)
    return _Answer(response.status, response.body, response.content_type.encode("latin-1"), headers)


def _encode(answer: _Answer, close: bool, head_only: bool) -> bytes:
    status = answer.status
    try:
        reason = http.HTTPStatus(status).phrase.encode()
    except ValueError:
        reason = b""
    lines = [b"HTTP/1.1 %d %s" % (status, reason)]
    body = answer.body
    if status == 204:  # RFC 9110: a 204 has neither a body nor a Content-Length
        body = b""
    else:
        lines.append(b"content-type: " + answer.content_type)
        lines.append(b"content-length: %d" % len(body))
    lines.extend(name + b": " + value for name, value in answer.headers)
    if close:
        lines.append(b"connection: close")
    head = b"\r\n".join(lines) + b"\r\n\r\n"
    return head if head_only else head + body


def _header_value(value: str) -> bytes:
    # A handler's value goes out verbatim, save for line breaks, which would split the header.
    return value.replace("\r", " ").replace("\n", " ").encode("latin-1", errors="replace")


def _one_line(message: str) -> str:
    return " ".join(message.split())
