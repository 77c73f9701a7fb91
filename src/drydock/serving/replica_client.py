"""A lean HTTP/1.1 client for the router's hop to a replica: keep-alive connections pooled per replica.

Every InvokeEndpoint crosses this hop, so it is kept to what the serving contract needs: one POST with
a body, one answer with Content-Length (or chunked) framing. A general client (aiohttp) spends several
hundred microseconds per request on machinery this hop never uses; this one writes the request in one
call and parses the answer with the stream's own buffer. A connection that breaks is dropped, never
reused; a request on a pooled connection that turns out to be closed by the server before any byte of
the answer is retried once on a fresh one (the server never saw it), anything later is not.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

#: Idle connections kept per replica; more are opened under load and closed when not needed.
MAX_IDLE = 32
_LIMIT = 64 * 1024 * 1024


class ReplicaConnectionError(Exception):
    """The replica could not be reached, or dropped the connection before answering."""


@dataclass(frozen=True)
class ReplicaAnswer:
    status: int
    headers: dict[str, str]
    body: bytes


class _Pool:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []


class ReplicaClient:
    """Event-loop only (not thread-safe); one per router."""

    def __init__(self) -> None:
        self._pools: dict[str, _Pool] = {}

    async def post(self, url: str, path: str, body: bytes, headers: Mapping[str, str]) -> ReplicaAnswer:
        pool = self._pools.get(url)
        if pool is None:
            parts = urlsplit(url)
            pool = self._pools[url] = _Pool(parts.hostname or "127.0.0.1", parts.port or 80)
        head = f"POST {path} HTTP/1.1\r\nHost: {pool.host}:{pool.port}\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
        request = head.encode("latin-1") + body
        reused = bool(pool.idle)
        reader, writer = pool.idle.pop() if reused else await self._open(pool)
        try:
            writer.write(request)
            answer = await _read_answer(reader)
        except (ConnectionError, asyncio.IncompleteReadError, ReplicaConnectionError) as exc:
            writer.close()
            stale = isinstance(exc, _ClosedBeforeAnswer | ConnectionResetError | BrokenPipeError)
            if not (reused and stale):
                raise ReplicaConnectionError(str(exc) or type(exc).__name__) from None
            # A pooled connection the replica had closed (idle timeout): it never saw this request.
            return await self.post(url, path, body, headers)
        except BaseException:
            writer.close()  # a timeout or cancellation leaves the connection mid-answer
            raise
        if answer.headers.get("connection", "").lower() == "close" or len(pool.idle) >= MAX_IDLE:
            writer.close()
        else:
            pool.idle.append((reader, writer))
        return answer

    def forget(self, url: str) -> None:
        """Close the idle connections to a replica that is gone."""
        pool = self._pools.pop(url, None)
        for _, writer in pool.idle if pool else []:
            writer.close()

    def close(self) -> None:
        for url in list(self._pools):
            self.forget(url)

    @staticmethod
    async def _open(pool: _Pool) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        try:
            return await asyncio.open_connection(pool.host, pool.port, limit=_LIMIT)
        except OSError as exc:
            raise ReplicaConnectionError(f"cannot connect to {pool.host}:{pool.port}: {exc}") from None


class _ClosedBeforeAnswer(ReplicaConnectionError):
    """The connection ended before a single byte of the answer."""


async def _read_answer(reader: asyncio.StreamReader) -> ReplicaAnswer:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise _ClosedBeforeAnswer("the replica closed the connection") from None
        raise ReplicaConnectionError("the replica closed the connection mid-answer") from None
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split(" ", 2)[1])
    except (IndexError, ValueError):
        raise ReplicaConnectionError(f"malformed status line from the replica: {lines[0]!r}") from None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body = await _chunked(reader)
    else:
        body = await reader.read()  # framed by the connection's end
        headers["connection"] = "close"
    return ReplicaAnswer(status, headers, body)


async def _chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailers are sent by model servers
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
