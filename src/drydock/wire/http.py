"""Protocol-neutral HTTP request and response types used between the gateway and the protocols."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import parse_qsl


class BodySource(Protocol):
    """Where a request's body comes from as the HTTP server reads it off the socket."""

    async def next_chunk(self) -> bytes | None:
        """The next piece of the body, ``None`` at its end; raises ``ClientDisconnected``."""
        ...


@dataclass
class HttpRequest:
    method: str
    #: The path exactly as the client sent it (still percent-encoded): SigV4 signs this form.
    raw_path: str
    #: The percent-decoded path.
    path: str
    #: The query string exactly as sent.
    query_string: str
    #: Lower-cased header names; repeated headers are joined with "," as RFC 9110 allows.
    headers: dict[str, str]
    client: str
    #: The body still on the socket; ``None`` when the request has none or ``body`` holds it all.
    source: BodySource | None = None
    #: The whole body once read; ``None`` while it is still on the socket (S3 streams it).
    body: bytes | None = None
    #: Whether the body has been read off the socket to its end (trivially so once ``body`` is set).
    body_complete: bool = False
    _query: list[tuple[str, str]] | None = field(default=None, repr=False)

    @property
    def query(self) -> list[tuple[str, str]]:
        if self._query is None:
            self._query = parse_qsl(self.query_string, keep_blank_values=True)
        return self._query

    def query_dict(self) -> dict[str, str]:
        return dict(self.query)

    async def read_body(self, limit: int) -> bytes:
        """Read the whole body; raises ``BodyTooLarge`` past ``limit`` bytes."""
        if self.body is not None:
            return self.body
        chunks: list[bytes] = []
        size = 0
        async for chunk in self.stream():
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge(limit)
            chunks.append(chunk)
        self.body = b"".join(chunks)
        self.body_complete = True
        return self.body

    def body_left_unread(self) -> bool:
        """Whether the client sent (or was about to send) body bytes nobody read.

        Such a connection cannot carry another request: a client waiting on ``Expect: 100-continue``
        never sends the body once it has a final answer, and the server would read the next request
        as the rest of this body. The gateway closes the connection instead, as S3 does.
        """
        if self.body_complete or self.body is not None:
            return False
        declared = self.headers.get("content-length", "0") not in ("", "0")
        return declared or "transfer-encoding" in self.headers

    async def stream(self) -> AsyncIterator[bytes]:
        """Yield the body chunk by chunk as it arrives (once)."""
        if self.body is not None:
            yield self.body
            return
        if self.source is not None:
            while (chunk := await self.source.next_chunk()) is not None:
                yield chunk
        self.body_complete = True


@dataclass
class HttpResponse:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | AsyncIterator[bytes] = b""

    def set_header(self, name: str, value: str) -> None:
        lowered = name.lower()
        self.headers = [(k, v) for k, v in self.headers if k.lower() != lowered]
        self.headers.append((name, value))

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request body larger than {limit} bytes")
        self.limit = limit


class ClientDisconnected(Exception):
    pass
