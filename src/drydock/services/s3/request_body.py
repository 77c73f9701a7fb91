"""An upload's body as a blocking stream for the ObjectStore, decoded from aws-chunked framing.

The ObjectStore port reads blocking streams on worker threads; the body arrives on the event loop.
:class:`BlockingBody` bridges the two one chunk at a time (``anyio.from_thread``), so an upload of
any size flows socket -> hashers -> disk with only a chunk or two in memory.

:class:`AwsChunkedReader` removes the framing newer SDKs put around a body (``Content-Encoding:
aws-chunked``; S3 "Signature Calculations for the Authorization Header: Transferring Payload in
Multiple Chunks")::

    <hex size>[;chunk-signature=<sig>]\\r\\n<bytes>\\r\\n ... 0[;chunk-signature=<sig>]\\r\\n
    [<trailer>:<value>\\r\\n]... \\r\\n

and keeps the trailers (``x-amz-checksum-crc32:...``) for verification. Chunk signatures are not
verified: the request's own signature already authenticated the sender.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from anyio import from_thread

from drydock.errors import S3Error

_MAX_LINE = 4096
_READ = 256 * 1024


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class BlockingBody:
    """A file-like view of an async chunk iterator, for worker threads started by ``anyio.to_thread``.

    ``read(n)`` blocks until ``n`` bytes or the end of the body. A client that disconnects midway
    raises ``ClientDisconnected`` out of ``read`` (and so out of the store's write, which then
    discards what it wrote).
    """

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""
        self._eof = False
        self.received = 0

    @property
    def finished(self) -> bool:
        """Whether the whole body has been read off the socket."""
        return self._eof and not self._pending

    async def _next(self) -> bytes | None:
        try:
            return await self._chunks.__anext__()
        except StopAsyncIteration:
            return None

    def read(self, size: int = -1) -> bytes:
        parts: list[bytes] = []
        have = 0
        while size < 0 or have < size:
            if not self._pending:
                if self._eof:
                    break
                chunk = from_thread.run(self._next)
                if chunk is None:
                    self._eof = True
                    break
                self.received += len(chunk)
                self._pending = chunk
            take = len(self._pending) if size < 0 else min(size - have, len(self._pending))
            parts.append(self._pending[:take])
            self._pending = self._pending[take:]
            have += take
        return b"".join(parts)


class AwsChunkedReader:
    """Decodes ``aws-chunked`` framing from ``raw``; :attr:`trailers` is filled at the end."""

    def __init__(self, raw: Readable) -> None:
        self._raw = raw
        self._buffer = bytearray()
        self._left_in_chunk = 0
        self._after_data = False
        self.done = False
        self.trailers: dict[str, str] = {}

    def read(self, size: int = -1) -> bytes:
        out = bytearray()
        while not self.done and (size < 0 or len(out) < size):
            if self._left_in_chunk == 0:
                self._next_chunk()
                continue
            if not self._buffer and not self._fill():
                raise _incomplete()
            wanted = self._left_in_chunk if size < 0 else min(self._left_in_chunk, size - len(out))
            take = min(wanted, len(self._buffer))
            out += self._buffer[:take]
            del self._buffer[:take]
            self._left_in_chunk -= take
        return bytes(out)

    def _next_chunk(self) -> None:
        if self._after_data and self._line() != b"":
            raise _malformed("chunk data is not followed by CRLF")
        header = self._line()
        size_text = header.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise _malformed(f"bad chunk size {size_text[:32]!r}") from None
        if size < 0:
            raise _malformed("negative chunk size")
        if size == 0:
            self._read_trailers()
            self.done = True
            return
        self._left_in_chunk = size
        self._after_data = True

    def _read_trailers(self) -> None:
        while True:
            line = self._trailer_line()
            if not line:
                return
            name, sep, value = line.decode("latin-1").partition(":")
            if sep:
                self.trailers[name.strip().lower()] = value.strip()

    def _line(self) -> bytes:
        line = self._trailer_line(at_eof=None)
        if line is None:
            raise _incomplete()
        return line

    def _trailer_line(self, at_eof: bytes | None = b"") -> bytes | None:
        """The next CRLF-terminated line; at the end of the body, what is left (trailers may lack
        the final CRLF), or ``at_eof`` when nothing is."""
        while True:
            end = self._buffer.find(b"\r\n")
            if end >= 0:
                line = bytes(self._buffer[:end])
                del self._buffer[: end + 2]
                return line
            if len(self._buffer) > _MAX_LINE:
                raise _malformed("chunk header line too long")
            if not self._fill():
                rest = bytes(self._buffer).strip()
                self._buffer.clear()
                return rest if rest and at_eof is not None else at_eof

    def _fill(self) -> bool:
        data = self._raw.read(_READ)
        self._buffer += data
        return bool(data)


def _incomplete() -> S3Error:
    return S3Error("IncompleteBody", "The request body ended before the aws-chunked framing did.", 400)


def _malformed(why: str) -> S3Error:
    return S3Error("InvalidRequest", f"Malformed aws-chunked body: {why}.", 400)
