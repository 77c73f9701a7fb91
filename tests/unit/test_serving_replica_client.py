"""The router's HTTP/1.1 client against real sockets: framing, keep-alive reuse, a pooled connection the
server closed, a server that dies mid-answer, and one that does not answer in time."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

import pytest

from drydock.serving.replica_client import ReplicaClient, ReplicaConnectionError

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
TIMEOUT = 10.0


async def _serve(handler: Handler) -> tuple[asyncio.Server, str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    return await reader.readexactly(length)


def test_content_length_chunked_and_keep_alive() -> None:
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        while True:
            try:
                body = await _read_request(reader)
            except asyncio.IncompleteReadError:
                break
            if body == b"chunked":
                writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/csv\r\n\r\n")
                writer.write(b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
            else:
                writer.write(
                    b"HTTP/1.1 415 Unsupported\r\nContent-Length: %d\r\nX-Extra: 1\r\n\r\n%s" % (len(body), body)
                )
            await writer.drain()
        writer.close()

    async def run() -> None:
        server, url = await _serve(handler)
        client = ReplicaClient()
        first = await client.post(url, "/invocations", b"hello", {"Content-Type": "text/csv"}, TIMEOUT)
        assert (first.status, first.body, first.headers["x-extra"]) == (415, b"hello", "1")
        second = await client.post(url, "/invocations", b"chunked", {}, TIMEOUT)
        assert (second.status, second.body, second.headers["content-type"]) == (200, b"abcde", "text/csv")
        assert connections == 1  # the keep-alive connection was reused
        client.close()
        server.close()

    asyncio.run(run())


def test_a_pooled_connection_closed_by_the_server_is_retried_on_a_fresh_one() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        body = await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        writer.close()  # one request per connection, as after an idle timeout

    async def run() -> None:
        server, url = await _serve(handler)
        client = ReplicaClient()
        assert (await client.post(url, "/invocations", b"one", {}, TIMEOUT)).body == b"one"
        await asyncio.sleep(0.05)
        assert (await client.post(url, "/invocations", b"two", {}, TIMEOUT)).body == b"two"
        client.close()
        server.close()

    asyncio.run(run())


def test_a_server_that_dies_mid_answer_or_is_gone_fails_fast() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
        await writer.drain()
        writer.close()

    async def run() -> None:
        server, url = await _serve(handler)
        client = ReplicaClient()
        with pytest.raises(ReplicaConnectionError):
            await client.post(url, "/invocations", b"x", {}, TIMEOUT)
        server.close()
        await server.wait_closed()
        with pytest.raises(ReplicaConnectionError, match="cannot connect"):
            await client.post(url, "/invocations", b"x", {}, TIMEOUT)

    asyncio.run(run())


def test_an_answer_not_in_by_the_timeout_fails_and_its_connection_is_not_reused() -> None:
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        body = await _read_request(reader)
        if body == b"slow":
            await asyncio.sleep(1)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        with contextlib.suppress(ConnectionError):
            await _read_request(reader)
        writer.close()

    async def run() -> None:
        server, url = await _serve(handler)
        client = ReplicaClient()
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await client.post(url, "/invocations", b"slow", {}, 0.2)
        assert time.monotonic() - started < 0.9
        # The late answer must not be read as the next request's: a fresh connection is used.
        assert (await client.post(url, "/invocations", b"quick", {}, TIMEOUT)).body == b"quick"
        assert connections == 2
        client.close()
        server.close()

    asyncio.run(run())
