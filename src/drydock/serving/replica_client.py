"""A lean HTTP/1.1 client for the router's hop to a replica: keep-alive connections pooled per replica.

Every InvokeEndpoint crosses this hop, so it is kept to what the serving contract needs: one POST with
a body, one answer framed by Content-Length, chunked encoding or the connection's end. Each pooled
connection is an asyncio protocol fed to httptools' response parser, so a request is one write and its
answer is assembled from the parser's callbacks, without the stream reader's buffering and
coroutine hops. A connection that breaks is dropped, never reused; a request on a pooled connection
that turns out to be closed by the server before any byte of the answer is retried once on a fresh
one (the server never saw it), anything later is not.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

import httptools

#: Idle connections kept per replica; more are opened under load and closed when not needed.
MAX_IDLE = 32


class ReplicaConnectionError(Exception):
    """The replica could not be reached, or dropped the connection before answering."""


class _ClosedBeforeAnswer(ReplicaConnectionError):
    """The connection ended before a single byte of the answer."""


@dataclass(frozen=True)
class ReplicaAnswer:
    status: int
    headers: dict[str, str]
    body: bytes


class _Connection(asyncio.Protocol):
    """One keep-alive connection to a replica; one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[ReplicaAnswer] | None = None
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []
        self.received = False
        self.framed_by_close = False
        self.closed = False
        self.timer: asyncio.TimerHandle | None = None

    @property
    def usable(self) -> bool:
        return not self.closed and self.transport is not None and not self.transport.is_closing()

    def send(self, request: bytes, deadline: float) -> asyncio.Future[ReplicaAnswer]:
        """The answer to ``request``; ``TimeoutError`` if it is not all in by ``deadline`` (loop time).
        A timer handle, not ``asyncio.timeout``: this is on every invocation's path, and it is cheaper."""
        assert self.transport is not None and self.waiter is None
        loop = asyncio.get_running_loop()
        self.waiter = loop.create_future()
        self.timer = loop.call_at(deadline, self._timed_out)
        self.headers, self.body, self.received, self.framed_by_close = {}, [], False, False
        self.transport.write(request)
        return self.waiter

    def _timed_out(self) -> None:
        self.timer = None
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(TimeoutError())

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    # --- asyncio.Protocol ------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's TCP transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.received = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(ReplicaConnectionError(f"malformed answer from the replica: {error}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is None or self.waiter.done():
            return
        if self.framed_by_close:  # a body that ends with the connection: it has ended
            self._complete()
        elif not self.received:
            self._fail(_ClosedBeforeAnswer("the replica closed the connection"))
        else:
            self._fail(ReplicaConnectionError("the replica closed the connection mid-answer"))

    # --- httptools callbacks ---------------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1").strip()

    def on_headers_complete(self) -> None:
        headers = self.headers
        self.framed_by_close = (
            "content-length" not in headers and "chunked" not in headers.get("transfer-encoding", "").lower()
        )

    def on_body(self, chunk: bytes) -> None:
        self.body.append(chunk)

    def on_message_complete(self) -> None:
        self._complete()

    def _complete(self) -> None:
        self._stop_timer()
        waiter, self.waiter = self.waiter, None
        if waiter is None or waiter.done():
            return
        if self.framed_by_close or not self.parser.should_keep_alive():
            self.headers["connection"] = "close"
        body = self.body[0] if len(self.body) == 1 else b"".join(self.body)
        waiter.set_result(ReplicaAnswer(self.parser.get_status_code(), self.headers, body))

    def _stop_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _fail(self, error: ReplicaConnectionError) -> None:
        self._stop_timer()
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)


class _Pool:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.idle: list[_Connection] = []


class ReplicaClient:
    """Event-loop only (not thread-safe); one per router."""

    def __init__(self) -> None:
        self._pools: dict[str, _Pool] = {}

    async def post(self, url: str, path: str, body: bytes, headers: Mapping[str, str], timeout: float) -> ReplicaAnswer:
        """POST ``body`` to the replica at ``url``; ``TimeoutError`` after ``timeout`` seconds."""
        return await self._post(url, path, body, headers, asyncio.get_running_loop().time() + timeout)

    async def _post(
        self, url: str, path: str, body: bytes, headers: Mapping[str, str], deadline: float
    ) -> ReplicaAnswer:
        pool = self._pools.get(url)
        if pool is None:
            parts = urlsplit(url)
            pool = self._pools[url] = _Pool(parts.hostname or "127.0.0.1", parts.port or 80)
        head = f"POST {path} HTTP/1.1\r\nHost: {pool.host}:{pool.port}\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
        request = head.encode("latin-1") + body
        connection = None
        while pool.idle and connection is None:
            candidate = pool.idle.pop()
            connection = candidate if candidate.usable else None
        reused = connection is not None
        if connection is None:
            async with asyncio.timeout_at(deadline):
                connection = await self._open(pool)
        try:
            answer = await connection.send(request, deadline)
        except ReplicaConnectionError as exc:
            connection.close()
            if not (reused and isinstance(exc, _ClosedBeforeAnswer)):
                raise
            # A pooled connection the replica had closed (idle timeout): it never saw this request.
            return await self._post(url, path, body, headers, deadline)
        except BaseException:
            connection.close()  # a timeout or cancellation leaves the connection mid-answer
            raise
        if answer.headers.get("connection", "").lower() == "close" or len(pool.idle) >= MAX_IDLE:
            connection.close()
        else:
            pool.idle.append(connection)
        return answer

    def forget(self, url: str) -> None:
        """Close the idle connections to a replica that is gone."""
        pool = self._pools.pop(url, None)
        for connection in pool.idle if pool else []:
            connection.close()

    def close(self) -> None:
        for url in list(self._pools):
            self.forget(url)

    @staticmethod
    async def _open(pool: _Pool) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, connection = await loop.create_connection(_Connection, pool.host, pool.port)
        except OSError as exc:
            raise ReplicaConnectionError(f"cannot connect to {pool.host}:{pool.port}: {exc}") from None
        return connection
