"""The interfaces the gateway composes: wire services, authentication and the audit sink."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from drydock.wire.context import Principal, RequestContext
from drydock.wire.error_responses import Protocol as WireProtocol
from drydock.wire.http import HttpRequest, HttpResponse


class WireService(Protocol):
    """One AWS API on the shared port (SageMaker, S3, Logs, ...)."""

    #: The error shape this service answers in.
    protocol: WireProtocol
    #: Whether the gateway must leave the body on the socket for the service to stream (S3).
    streams_body: bool

    async def handle(self, request: HttpRequest, ctx: RequestContext) -> HttpResponse:
        """Serve one authenticated request; set ``ctx.operation`` (and ``ctx.resource``) as early as
        known. Raise ``DrydockError`` for client-visible failures; the gateway renders them."""
        ...


class Authenticator(Protocol):
    def authenticate(self, request: HttpRequest, payload_sha256: str | None) -> Principal:
        """Verify the request's SigV4 signature (header or presigned query) and return the caller.

        ``payload_sha256`` is the hex SHA-256 of the body when the gateway has read it, else ``None``
        (streamed bodies: the signer's declared ``x-amz-content-sha256`` is used). Raises
        ``drydock.errors.AuthError`` subclasses. Must be thread-safe and must not block on I/O.
        """
        ...


@dataclass(frozen=True)
class AuditEvent:
    time: dt.datetime
    request_id: str
    principal_arn: str
    access_key_id: str
    source_ip: str
    service: str
    operation: str
    resource: str | None
    status: int
    error_code: str | None


class AuditSink(Protocol):
    def record(self, event: AuditEvent) -> None:
        """Persist one API call. Called on the event loop after the response is computed, so it must
        not block (queue the write); must be thread-safe. A failure here is logged by the gateway,
        never shown to the client."""
        ...
