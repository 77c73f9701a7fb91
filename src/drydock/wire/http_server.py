"""The gateway's HTTP/1.1 server: an asyncio protocol over httptools' parser, on uvloop.

It turns bytes into :class:`~drydock.wire.http.HttpRequest` and
:class:`~drydock.wire.http.HttpResponse` back into bytes, and nothing else: the gateway decides
everything about the answer. A general ASGI server (uvicorn, which this replaces) costs ~0.1 ms of
CPU a request more — the scope and message dicts, a header list translated twice, the head and the
body written separately — and every InvokeEndpoint pays it; here an answer with a whole body goes
out in one write.

What it keeps of a full server:

- **Keep-alive and pipelining**: requests on one connection are answered in order; reading pauses
  while a request waits behind another, so a pipelining client cannot make it buffer without bound.
- **Streamed request bodies with backpressure**: the handler starts once the head is in and reads the
  body as it arrives (S3 uploads of any size); the socket stops being read while more than
  :data:`READ_HIGH_WATER` bytes wait for the handler. ``Expect: 100-continue`` is answered when the
  handler first asks for the body, so a client whose request is refused unread never sends it.
- **Streamed responses**: an async-iterator body goes out as it is produced, raw when the handler set
  ``Content-Length`` (S3 GetObject), chunked otherwise; writing waits while the client is not
  reading. A HEAD answer carries its headers and no body.
- **Graceful stop**: on SIGTERM or SIGINT it stops accepting, closes idle connections, lets the
  requests in flight be answered (up to :data:`GRACEFUL_SECONDS`; a second signal stops waiting),
  then runs the shutdown hooks.

A request that answers before its body has arrived keeps the connection only if the rest of the body
can be read and dropped; a client waiting on ``100 Continue`` that never came would never send it,
so that connection is closed instead, as is any the handler marks ``Connection: close``.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import logging
import signal
import socket
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from email.utils import formatdate
from typing import cast
from urllib.parse import unquote

import httptools
import uvloop

from drydock.core.http_parsing import feed_request_bytes
from drydock.wire.http import ClientDisconnected, HttpRequest, HttpResponse

log = logging.getLogger("drydock.http")

Handler = Callable[[HttpRequest], Awaitable[HttpResponse]]
Hook = Callable[[], Awaitable[None]]

#: Idle seconds before a kept-alive connection is closed (botocore's pool keeps them longer and
#: reconnects transparently when the server has closed one).
KEEP_ALIVE_SECONDS = 30.0
#: How long a stopping server lets the requests in flight finish.
GRACEFUL_SECONDS = 10.0
#: Request body bytes held for a handler that has not read them yet before reading pauses.
READ_HIGH_WATER = 256 * 1024
_POLL_SECONDS = 0.05
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_NO_BODY_STATUS = frozenset({204, 304})


def _status_line(status: int) -> bytes:
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    return f"HTTP/1.1 {status} {reason}\r\n".encode()


_STATUS_LINES = {status.value: _status_line(status.value) for status in http.HTTPStatus}


class _Clock:
    """The ``Date`` header, formatted once a second."""

    def __init__(self) -> None:
        self._second = -1
        self._header = b""

    def date_header(self) -> bytes:
        now = int(time.time())
        if now != self._second:
            self._second = now
            self._header = f"date: {formatdate(now, usegmt=True)}\r\n".encode()
        return self._header


class HttpServer:
    """Serves ``handler`` on ``host:port`` until SIGTERM or SIGINT."""

    def __init__(
        self,
        handler: Handler,
        *,
        on_startup: list[Hook] | None = None,
        on_shutdown: list[Hook] | None = None,
        keep_alive_seconds: float = KEEP_ALIVE_SECONDS,
        graceful_seconds: float = GRACEFUL_SECONDS,
    ) -> None:
        self.handler = handler
        self.on_startup = on_startup or []
        self.on_shutdown = on_shutdown or []
        self.keep_alive_seconds = keep_alive_seconds
        self.graceful_seconds = graceful_seconds
        self.clock = _Clock()
        self._connections: set[_Connection] = set()
        self._stop = asyncio.Event()
        self._signals = 0

    async def serve(self, host: str, port: int, *, sock: socket.socket | None = None, signals: bool = True) -> None:
        """Run the startup hooks, serve until a signal (or :meth:`stop`), drain, run the shutdown
        hooks. ``sock``: an already bound socket to accept on instead of ``host:port``."""
        loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        if signals:
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, self.stop)
        for hook in self.on_startup:
            await hook()
        factory = lambda: _Connection(self)  # noqa: E731
        try:
            if sock is not None:
                server = await loop.create_server(factory, sock=sock, backlog=2048)
            else:
                server = await loop.create_server(factory, host, port, backlog=2048)
        except BaseException:
            await self._shutdown_hooks()
            raise
        log.info("listening on http://%s:%d", host, port)
        await self._stop.wait()
        server.close()
        await self._drain()
        await self._shutdown_hooks()

    def stop(self) -> None:
        """Stop as a signal does (from the event loop's thread); a second call stops waiting."""
        self._signals += 1
        if self._signals == 1:
            log.info("stopping: answering the requests in flight (a second signal stops at once)")
        self._stop.set()

    async def _drain(self) -> None:
        deadline = time.monotonic() + self.graceful_seconds
        while True:
            for connection in list(self._connections):
                if not connection.busy:
                    connection.close()
            if not self._connections or time.monotonic() >= deadline or self._signals > 1:
                break
            await asyncio.sleep(_POLL_SECONDS)
        for connection in list(self._connections):
            connection.close()

    async def _shutdown_hooks(self) -> None:
        for hook in self.on_shutdown:
            try:
                await hook()
            except Exception:
                log.exception("shutdown hook failed")

    def opened(self, connection: _Connection) -> None:
        self._connections.add(connection)

    def closed(self, connection: _Connection) -> None:
        self._connections.discard(connection)


class _Exchange:
    """One request on a connection: its body as it arrives, and where its answer stands.

    It is the request's body source (``HttpRequest.source``): the handler awaits :meth:`next_chunk`.
    """

    def __init__(self, connection: _Connection, request: HttpRequest, keep_alive: bool, http11: bool) -> None:
        self.connection = connection
        self.request = request
        self.keep_alive = keep_alive
        self.http11 = http11
        self.expects_continue = request.headers.get("expect", "").lower() == "100-continue"
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        #: The whole message (head and body) has been parsed.
        self.complete = False
        #: Answered before its body was all in: the rest of the body is read and dropped.
        self.answered = False
        self.task: asyncio.Task[None] | None = None
        self._arrival: asyncio.Future[None] | None = None

    def add(self, chunk: bytes) -> None:
        if self.answered:
            return
        self.chunks.append(chunk)
        self.buffered += len(chunk)
        self._wake()

    def finish(self) -> None:
        self.complete = True
        self._wake()

    def _wake(self) -> None:
        if self._arrival is not None and not self._arrival.done():
            self._arrival.set_result(None)

    async def next_chunk(self) -> bytes | None:
        """The next piece of the body; ``None`` at its end; ``ClientDisconnected`` if the client left."""
        connection = self.connection
        while not self.chunks:
            if self.complete:
                return None
            if connection.lost:
                raise ClientDisconnected()
            if self.expects_continue:
                self.expects_continue = False
                connection.write(_CONTINUE)
            connection.update_reading()
            self._arrival = connection.loop.create_future()
            await self._arrival
            self._arrival = None
        chunk = self.chunks.popleft()
        self.buffered -= len(chunk)
        if self.buffered < READ_HIGH_WATER:
            connection.update_reading()
        return chunk

    def drop_rest(self) -> None:
        """Answered: whatever of the body is still to come is read off the socket and dropped."""
        self.answered = True
        self.chunks.clear()
        self.buffered = 0

    def abandon(self) -> None:
        """The connection is gone: a handler waiting for the body hears of it."""
        self._wake()


class _Connection(asyncio.Protocol):
    """One client connection: httptools calls the ``on_*`` methods as it parses."""

    def __init__(self, server: HttpServer) -> None:
        self.server = server
        self.loop = asyncio.get_running_loop()
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.client = ""
        self.lost = False
        #: Exchanges whose head has been parsed and that are not finished, oldest first; the first
        #: one's handler is running (or its answer waits for the rest of its body).
        self.queue: deque[_Exchange] = deque()
        #: The exchange whose body the parser is reading.
        self.parsing: _Exchange | None = None
        self._url = b""
        self._headers: dict[str, str] = {}
        self._reading_paused = False
        self._write_paused = False
        self._drained: asyncio.Future[None] | None = None
        self._idle: asyncio.TimerHandle | None = None

    @property
    def busy(self) -> bool:
        return bool(self.queue) or self.parsing is not None

    # --- asyncio.Protocol ------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's TCP transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        self.client = str(peer[0]) if isinstance(peer, tuple) else ""
        self.server.opened(self)
        self._wait_idle()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.server.closed(self)
        if self._idle is not None:
            self._idle.cancel()
        for exchange in self.queue:
            exchange.abandon()
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def data_received(self, data: bytes) -> None:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        if feed_request_bytes(self.parser, data, self._reject):
            self.update_reading()

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    # --- httptools callbacks ---------------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = {}

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        headers = self._headers
        headers[key] = f"{headers[key]},{text}" if key in headers else text

    def on_headers_complete(self) -> None:
        parsed = httptools.parse_url(self._url or b"/")
        raw_path = (parsed.path or b"/").decode("latin-1")
        request = HttpRequest(
            method=self.parser.get_method().decode("latin-1"),
            raw_path=raw_path,
            path=unquote(raw_path) if "%" in raw_path else raw_path,
            query_string=(parsed.query or b"").decode("latin-1"),
            headers=self._headers,
            client=self.client,
        )
        exchange = _Exchange(self, request, self.parser.should_keep_alive(), self.parser.get_http_version() == "1.1")
        request.source = exchange
        self.parsing = exchange
        self.queue.append(exchange)
        if len(self.queue) == 1:
            exchange.task = self.loop.create_task(self._serve(exchange))

    def on_body(self, chunk: bytes) -> None:
        if self.parsing is not None:
            self.parsing.add(chunk)

    def on_message_complete(self) -> None:
        exchange = self.parsing
        self.parsing = None
        if exchange is None:
            return
        exchange.finish()
        if exchange.answered:
            self._next(exchange)

    # --- serving ---------------------------------------------------------------------------------

    async def _serve(self, exchange: _Exchange) -> None:
        request = exchange.request
        if exchange.complete:
            # The whole body is already here (any small request): no awaiting chunk by chunk.
            request.body, request.body_complete = b"".join(exchange.chunks), True
            exchange.chunks.clear()
            exchange.buffered = 0
        try:
            response = await self.server.handler(request)
        except Exception:
            log.exception("%s %s failed outside the gateway's error handling", request.method, request.path)
            response = HttpResponse(500, [("Content-Type", "text/plain")], b"Internal Server Error")
        try:
            await self._respond(exchange, response)
        except Exception:
            # A streamed body failed midway: the head is out, so the only honest signal is to close.
            log.exception("%s %s: the response body failed while being sent", request.method, request.path)
            self.close()
        exchange.drop_rest()
        if exchange.complete or self.lost:
            self._next(exchange)
        # else: the rest of the body is read and dropped; on_message_complete moves on.

    def _next(self, exchange: _Exchange) -> None:
        if self.queue and self.queue[0] is exchange:
            self.queue.popleft()
        if self.lost or (self.transport is not None and self.transport.is_closing()):
            return
        if self.queue:
            following = self.queue[0]
            following.task = self.loop.create_task(self._serve(following))
        self.update_reading()
        if not self.busy:
            self._wait_idle()

    async def _respond(self, exchange: _Exchange, response: HttpResponse) -> None:
        if self.lost:
            await _close_body(response.body)
            return
        request = exchange.request
        status = response.status
        head_only = request.method == "HEAD" or status in _NO_BODY_STATUS or status < 200
        close = not exchange.keep_alive or (not exchange.complete and exchange.expects_continue)
        head = [_STATUS_LINES.get(status) or _status_line(status), self.server.clock.date_header()]
        length_given = False
        for name, value in response.headers:
            lowered = name.lower()
            if lowered == "content-length":
                length_given = True
            elif lowered == "connection" and "close" in value.lower():
                close = True
                continue
            if "\r" in value or "\n" in value:  # a line break would end the header early
                value = value.replace("\r", " ").replace("\n", " ")
            head.append(f"{name}: {value}\r\n".encode("latin-1", "replace"))
        body = response.body
        streamed = not isinstance(body, bytes)
        chunked = False
        if not length_given and not (status in _NO_BODY_STATUS or status < 200):
            if not streamed:
                head.append(b"content-length: %d\r\n" % len(cast(bytes, body)))
            elif exchange.http11 and not head_only:
                head.append(b"transfer-encoding: chunked\r\n")
                chunked = True
            else:
                close = True  # an HTTP/1.0 client reads a body of unknown length to the close
        if close:
            head.append(b"connection: close\r\n")
        head.append(b"\r\n")
        if not streamed:
            self.write(b"".join(head) if head_only else b"".join(head) + cast(bytes, body))
        else:
            self.write(b"".join(head))
            if not head_only:
                await self._stream(cast(AsyncIterator[bytes], body), chunked)
            else:
                await _close_body(body)
        if close:
            self.close()

    async def _stream(self, body: AsyncIterator[bytes], chunked: bool) -> None:
        try:
            async for chunk in body:
                if self.lost:
                    return
                if not chunk:
                    continue
                self.write(b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk)
                if self._write_paused:
                    await self._drain_writes()
            if chunked:
                self.write(b"0\r\n\r\n")
        finally:
            await _close_body(body)

    async def _drain_writes(self) -> None:
        while self._write_paused and not self.lost:
            self._drained = self.loop.create_future()
            await self._drained
            self._drained = None

    # --- the socket ------------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.lost and not self.transport.is_closing():
            self.transport.write(data)

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def update_reading(self) -> None:
        """Read while the parser's current request is the one being served and its handler is
        keeping up; pause while a request waits behind another or a body piles up unread."""
        if self.transport is None or self.lost or self.transport.is_closing():
            return
        waiting = len(self.queue) > 1 or (self.parsing is not None and self.parsing.buffered > READ_HIGH_WATER)
        if waiting and not self._reading_paused:
            self._reading_paused = True
            self.transport.pause_reading()
        elif not waiting and self._reading_paused:
            self._reading_paused = False
            self.transport.resume_reading()

    def _reject(self, message: bytes) -> None:
        self.write(
            b"HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%b" % (len(message), message)
        )
        self.close()

    def _wait_idle(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
        self._idle = self.loop.call_later(self.server.keep_alive_seconds, self._expire)

    def _expire(self) -> None:
        self._idle = None
        if not self.busy:
            self.close()


async def _close_body(body: bytes | AsyncIterator[bytes]) -> None:
    """Let a streamed body that will not be (fully) sent release what it holds (an open file)."""
    close = getattr(body, "aclose", None)
    if close is not None:
        await close()


def run(server: HttpServer, host: str, port: int) -> None:
    """Serve on uvloop until a signal; exceptions from startup propagate."""
    with contextlib.suppress(KeyboardInterrupt):
        uvloop.run(server.serve(host, port))
