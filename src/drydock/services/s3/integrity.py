"""Verifies an upload against the digests its client declared, before the store commits it.

S3 checks, and answers with these codes when a check fails:

- ``x-amz-content-sha256: <hex>`` (SigV4 payload hash of the bytes on the wire): XAmzContentSHA256Mismatch;
- ``Content-MD5`` (base64): InvalidDigest when malformed, BadDigest when different;
- ``x-amz-checksum-<algorithm>`` as a header, or as an aws-chunked trailer announced by
  ``x-amz-trailer``: BadDigest. CRC32, SHA-1, SHA-256 and MD5 are computed; CRC32C and CRC64NVME
  need the optional CRT extension and are accepted unverified.

The checks run as the store reads the stream; they are settled when it reaches the end, which is
before the store commits, so a body that fails them never becomes an object.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import zlib
from collections.abc import Callable
from functools import partial
from typing import Protocol

from drydock.errors import S3Error
from drydock.objects.failures import MAX_PUT_SIZE, bad_digest, entity_too_large
from drydock.services.s3.request_body import AwsChunkedReader, BlockingBody, Readable
from drydock.wire.http import HttpRequest

#: Model member name of each checksum header's value.
CHECKSUM_MEMBERS = {
    "crc32": "ChecksumCRC32",
    "crc32c": "ChecksumCRC32C",
    "crc64nvme": "ChecksumCRC64NVME",
    "sha1": "ChecksumSHA1",
    "sha256": "ChecksumSHA256",
    "md5": "ChecksumMD5",
}
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


class _Hasher(Protocol):
    def update(self, data: bytes, /) -> None: ...

    def digest(self) -> bytes: ...


class _Crc32:
    def __init__(self) -> None:
        self.value = 0

    def update(self, data: bytes) -> None:
        self.value = zlib.crc32(data, self.value)

    def digest(self) -> bytes:
        return self.value.to_bytes(4, "big")


_ALGORITHMS: dict[str, Callable[[], _Hasher]] = {
    "crc32": _Crc32,
    "sha1": lambda: hashlib.sha1(usedforsecurity=False),
    "sha256": hashlib.sha256,
    "md5": lambda: hashlib.md5(usedforsecurity=False),
}


class _Check:
    def __init__(self, hasher: _Hasher, expected: Callable[[], bytes | None], failure: Callable[[], S3Error]):
        self.hasher = hasher
        self.expected = expected
        self.failure = failure


class VerifiedBody:
    """The decoded body as the store reads it, checked against every declared digest at its end."""

    def __init__(self, request: HttpRequest, limit: int = MAX_PUT_SIZE) -> None:
        headers = request.headers
        self.raw = BlockingBody(request.stream())
        content_sha256 = headers.get("x-amz-content-sha256", "")
        encodings = [e.strip().lower() for e in headers.get("content-encoding", "").split(",")]
        self.chunked = "aws-chunked" in encodings or content_sha256.startswith("STREAMING-")
        self.decoder = AwsChunkedReader(self.raw) if self.chunked else None
        self._source: Readable = self.decoder or self.raw
        self.expected_length = _decoded_length(request) if self.chunked else _content_length(request)
        if self.expected_length is not None and self.expected_length > limit:
            raise entity_too_large(self.expected_length)
        self.limit = limit
        self.received = 0
        self._finished = False
        self._checks: list[_Check] = []
        #: Checksums the client declared, by model member name (echoed in responses, stored).
        self.checksums: dict[str, str] = {}
        if _HEX64.match(content_sha256) and not self.chunked:
            wanted = bytes.fromhex(content_sha256)
            self._checks.append(_Check(hashlib.sha256(), lambda: wanted, _sha256_mismatch))
        if "content-md5" in headers:
            md5 = _b64(headers["content-md5"], 16, "InvalidDigest", "The Content-MD5 you specified was invalid.")
            self._checks.append(
                _Check(
                    hashlib.md5(usedforsecurity=False),
                    lambda: md5,
                    lambda: bad_digest("The Content-MD5 you specified did not match what we received."),
                )
            )
        trailer_names = {t.strip().lower() for t in headers.get("x-amz-trailer", "").split(",") if t.strip()}
        for algorithm, member in CHECKSUM_MEMBERS.items():
            name = f"x-amz-checksum-{algorithm}"
            if name in headers:
                self.checksums[member] = headers[name]
                self._add_checksum(algorithm, partial(headers.get, name))
            elif name in trailer_names:
                self._add_checksum(algorithm, partial(self._trailer, name))

    def _add_checksum(self, algorithm: str, value: Callable[[], str | None]) -> None:
        make = _ALGORITHMS.get(algorithm)
        if make is None:
            return  # CRC32C/CRC64NVME: accepted as declared, see the module docstring

        def expected() -> bytes | None:
            declared = value()
            if declared is None:
                return None
            return _b64(
                declared, len(make().digest()), "InvalidRequest", f"Value for x-amz-checksum-{algorithm} is not valid"
            )

        failure = lambda: bad_digest(  # noqa: E731
            f"The {algorithm.upper()} you specified did not match the calculated checksum."
        )
        self._checks.append(_Check(make(), expected, failure))

    def _trailer(self, name: str) -> str | None:
        trailers = self.decoder.trailers if self.decoder else {}
        value = trailers.get(name)
        if value is not None:
            self.checksums[CHECKSUM_MEMBERS[name.rpartition("-")[2]]] = value
        return value

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(size)
        if data:
            self.received += len(data)
            if self.received > self.limit:
                raise entity_too_large(self.received)
            for check in self._checks:
                check.hasher.update(data)
            return data
        if not self._finished:
            self._finished = True
            self._settle()
        return b""

    def _settle(self) -> None:
        if self.expected_length is not None and self.received != self.expected_length:
            raise S3Error(
                "IncompleteBody",
                f"You did not provide the number of bytes specified ({self.received} of {self.expected_length}).",
                400,
            )
        for check in self._checks:
            wanted = check.expected()
            if wanted is not None and check.hasher.digest() != wanted:
                raise check.failure()


def verify_small_body(request: HttpRequest, body: bytes) -> None:
    """The same checks for an XML body the service read whole (DeleteObjects, CompleteMultipartUpload)."""
    content_sha256 = request.headers.get("x-amz-content-sha256", "")
    if _HEX64.match(content_sha256) and hashlib.sha256(body).hexdigest() != content_sha256.lower():
        raise _sha256_mismatch()
    if "content-md5" in request.headers:
        md5 = _b64(request.headers["content-md5"], 16, "InvalidDigest", "The Content-MD5 you specified was invalid.")
        if hashlib.md5(body, usedforsecurity=False).digest() != md5:
            raise bad_digest("The Content-MD5 you specified did not match what we received.")


def _sha256_mismatch() -> S3Error:
    return S3Error(
        "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.", 400
    )


def _b64(value: str, length: int, code: str, message: str) -> bytes:
    try:
        decoded = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise S3Error(code, message, 400) from None
    if len(decoded) != length:
        raise S3Error(code, message, 400)
    return decoded


def _content_length(request: HttpRequest) -> int | None:
    return _int_header(request, "content-length")


def _decoded_length(request: HttpRequest) -> int | None:
    return _int_header(request, "x-amz-decoded-content-length")


def _int_header(request: HttpRequest, name: str) -> int | None:
    raw = request.headers.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise S3Error("InvalidArgument", f"{name} must be a number of bytes", 400) from None
    if value < 0:
        raise S3Error("InvalidArgument", f"{name} must not be negative", 400)
    return value


__all__ = ["CHECKSUM_MEMBERS", "VerifiedBody", "verify_small_body"]
