"""The gateway's HTTP/1.1 server on a real socket: keep-alive and pipelining, ``Expect: 100-continue``,
request bodies streamed with backpressure, streamed and HEAD responses, malformed requests, a handler
that fails, a client that leaves mid-body, and a graceful stop that answers what is in flight."""

from __future__ import annotations

import asyncio
import http.client
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
import uvloop

from drydock.wire.http import ClientDisconnected, HttpRequest, HttpResponse
from drydock.wire.http_server import READ_HIGH_WATER, HttpServer

Handler = Callable[[HttpRequest], Awaitable[HttpResponse]]


class Running:
    """An :class:`HttpServer` on a free loopback port, its event loop on a thread."""

    def __init__(self, handler: Handler, **options: float) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.server = HttpServer(handler, **options)  # type: ignore[arg-type]
        self.loop = uvloop.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.01)
        raise AssertionError("the server did not start")

    def _run(self) -> None:
        self.loop.run_until_complete(self.server.serve("127.0.0.1", self.port, sock=self.sock, signals=False))

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.server.stop)
        self.thread.join(15)
        assert not self.thread.is_alive()

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)


@pytest.fixture
def echo() -> Iterator[Running]:
    async def handler(request: HttpRequest) -> HttpResponse:
        body = await request.read_body(1 << 30)
        if request.path == "/fail":
            raise RuntimeError("the handler's bug")
        x = request.headers.get("x")
        text = f"{request.method} {request.raw_path} {request.path} ?{request.query_string} x={x}"
        return HttpResponse(200, [("Content-Type", "text/plain")], text.encode() + b"|" + body)

    running = Running(handler)
    yield running
    running.stop()


class Answers:
    """Reads answers off a raw socket one after the other (pipelined ones too), framed by
    Content-Length (every answer these tests read on a raw socket has one)."""

    def __init__(self, sock: socket.socket) -> None:
        self.file = sock.makefile("rb")

    def next(self) -> tuple[int, dict[str, str], bytes]:
        status = int(self.file.readline().split()[1])
        headers: dict[str, str] = {}
        while (line := self.file.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        return status, headers, self.file.read(int(headers.get("content-length", "0")))


def test_keep_alive_pipelining_paths_and_headers(echo: Running) -> None:
    with echo.connect() as sock:
        # Two requests in one write: answered in order on the same connection.
        sock.sendall(
            b"POST /a%2Fb/c?q=1&r=%20 HTTP/1.1\r\nHost: x\r\nX: one\r\nX: two\r\nContent-Length: 5\r\n\r\nhello"
            b"GET /second HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        answers = Answers(sock)
        first = answers.next()
        second = answers.next()
    assert first[0] == 200
    assert first[2] == b"POST /a%2Fb/c /a/b/c ?q=1&r=%20 x=one,two|hello"
    assert first[1]["content-length"] == str(len(first[2]))
    assert "date" in first[1]
    assert second[2] == b"GET /second /second ? x=None|"


def test_expect_100_continue_is_answered_when_the_body_is_read(echo: Running) -> None:
    with echo.connect() as sock:
        sock.sendall(b"PUT /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"data")
        status, _, body = Answers(sock).next()
    assert (status, body) == (200, b"PUT /up /up ? x=None|data")


def test_a_request_answered_unread_while_its_client_waits_for_100_closes_the_connection() -> None:
    async def handler(request: HttpRequest) -> HttpResponse:
        return HttpResponse(403, [], b"refused")

    running = Running(handler)
    try:
        with running.connect() as sock:
            sock.sendall(b"PUT /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
            status, headers, body = Answers(sock).next()
            assert (status, body, headers["connection"]) == (403, b"refused", "close")
            assert sock.recv(100) == b""  # closed: the body it never sent cannot be taken for a request
    finally:
        running.stop()


def test_a_large_body_streams_with_bounded_buffering() -> None:
    seen: dict[str, int] = {"bytes": 0, "most_buffered": 0}

    async def handler(request: HttpRequest) -> HttpResponse:
        source = request.source
        async for chunk in request.stream():
            seen["bytes"] += len(chunk)
            seen["most_buffered"] = max(seen["most_buffered"], getattr(source, "buffered", 0))
            await asyncio.sleep(0.001)  # a slow consumer: reading must pause, not buffer the upload
        return HttpResponse(200, [], str(seen["bytes"]).encode())

    running = Running(handler)
    size = 16 * 1024 * 1024
    try:
        connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=30)
        connection.request("PUT", "/big", body=b"x" * size)
        response = connection.getresponse()
        assert (response.status, response.read()) == (200, str(size).encode())
        assert seen["most_buffered"] <= READ_HIGH_WATER + 512 * 1024
    finally:
        running.stop()


def test_streamed_responses_chunked_or_with_length_and_head_without_body() -> None:
    async def parts() -> AsyncIterator[bytes]:
        for piece in (b"abc", b"", b"defg"):
            yield piece

    async def handler(request: HttpRequest) -> HttpResponse:
        headers = [("Content-Length", "7")] if request.path == "/sized" else []
        return HttpResponse(200, headers, parts())

    running = Running(handler)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=10)
        for path, framing in (("/chunked", "transfer-encoding"), ("/sized", "content-length")):
            connection.request("GET", path)
            response = connection.getresponse()
            assert (response.status, response.read()) == (200, b"abcdefg")
            assert response.getheader(framing) is not None
        connection.request("HEAD", "/sized")
        response = connection.getresponse()
        assert (response.status, response.getheader("content-length"), response.read()) == (200, "7", b"")
        connection.request("GET", "/chunked")  # the connection is still in step after the HEAD
        assert connection.getresponse().read() == b"abcdefg"
    finally:
        running.stop()


def test_malformed_request_is_answered_400_and_closed(echo: Running) -> None:
    with echo.connect() as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        status, headers, body = Answers(sock).next()
        assert (status, headers["connection"]) == (400, "close")
        assert body.startswith(b"Malformed HTTP request")
    connection = http.client.HTTPConnection("127.0.0.1", echo.port, timeout=10)
    connection.request("GET", "/still-serving")
    assert connection.getresponse().status == 200


def test_a_handler_that_raises_gets_500_and_the_connection_goes_on(echo: Running) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", echo.port, timeout=10)
    connection.request("GET", "/fail")
    response = connection.getresponse()
    assert (response.status, response.read()) == (500, b"Internal Server Error")
    connection.request("GET", "/next")
    assert connection.getresponse().read() == b"GET /next /next ? x=None|"


def test_a_client_that_leaves_mid_body_is_reported_to_the_handler() -> None:
    outcome: list[str] = []
    done = threading.Event()

    async def handler(request: HttpRequest) -> HttpResponse:
        try:
            await request.read_body(1 << 20)
            outcome.append("read")
        except ClientDisconnected:
            outcome.append("disconnected")
        done.set()
        return HttpResponse(200, [], b"")

    running = Running(handler)
    try:
        with running.connect() as sock:
            sock.sendall(b"PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\npartial")
            time.sleep(0.1)
        assert done.wait(5)
        assert outcome == ["disconnected"]
    finally:
        running.stop()


def test_stop_answers_the_request_in_flight_then_runs_the_shutdown_hooks() -> None:
    events: list[str] = []
    started = threading.Event()

    async def handler(request: HttpRequest) -> HttpResponse:
        started.set()
        await asyncio.sleep(0.5)
        events.append("answered")
        return HttpResponse(200, [], b"late")

    async def shutdown() -> None:
        events.append("shutdown")

    running = Running(handler)
    running.server.on_shutdown.append(shutdown)
    answers: list[bytes] = []

    def call() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=10)
        connection.request("GET", "/slow")
        answers.append(connection.getresponse().read())

    client = threading.Thread(target=call)
    client.start()
    assert started.wait(5)
    running.stop()
    client.join(5)
    assert answers == [b"late"]
    assert events == ["answered", "shutdown"]
    with pytest.raises(OSError):
        running.connect()
