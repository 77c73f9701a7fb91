"""The gateway: one handler on one port that demultiplexes every AWS protocol we speak (served by
:mod:`drydock.wire.http_server`).

Routing follows how the clients themselves address us (reference §0):

1. ``/_drydock/*`` goes to the internal routes (health, metrics, UI) without a signature.
2. ``X-Amz-Target: <Prefix>.<Op>`` selects a JSON-protocol service by its target prefix.
3. Otherwise the SigV4 credential scope's *service* decides: ``s3`` is S3 (never decided by path: a
   bucket may be called ``endpoints``), ``sagemaker`` is the runtime, ``sts`` the query protocol,
   ``monitoring`` CloudWatch (smithy rpc-v2-cbor, ``POST /service/<prefix>/operation/<Op>``).

Every response carries ``x-amzn-RequestId``; every API call is written to the audit sink.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import random
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from drydock.errors import (
    DrydockError,
    InternalFailure,
    InvalidSignature,
    MissingAuthenticationToken,
    SerializationError,
    UnknownOperationError,
)
from drydock.wire.context import Principal, RequestContext
from drydock.wire.error_responses import Protocol, error_response
from drydock.wire.http import BodyTooLarge, ClientDisconnected, HttpRequest, HttpResponse
from drydock.wire.service_port import AuditEvent, AuditSink, Authenticator, WireService

log = logging.getLogger("drydock.gateway")

InternalRoutes = Callable[[HttpRequest], Awaitable[HttpResponse]]

# Loose on purpose: a scope with a bad date or terminator still names its service, so the request
# reaches that service's authenticator and error shape instead of a guess.
_SCOPE = re.compile(r"Credential=[^/,\s]+/[^/,\s]*/([^/,\s]+)/([^/,\s]+)/")
#: sagemaker-runtime's routes: an unroutable request to one is answered in rest-json, not S3's XML.
_RUNTIME_PATH = re.compile(r"/endpoints/[^/]+/(invocations|async-invocations|invocations-response-stream)")
#: The most a signed-but-not-streamed body may be; a streamed S3 body has no such limit.
MAX_BUFFERED_BODY = 16 * 1024 * 1024
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def signing_scope(request: HttpRequest) -> tuple[str, str] | None:
    """``(region, service)`` from the Authorization header or a presigned URL's X-Amz-Credential."""
    match = _SCOPE.search(request.headers.get("authorization", ""))
    if match:
        return match.group(1), match.group(2)
    query = request.query_dict()
    credential = query.get("X-Amz-Credential")
    if credential:
        parts = credential.split("/")
        if len(parts) >= 4:
            return parts[2], parts[3]
    if "AWSAccessKeyId" in query and "Signature" in query:
        # An S3 presigned URL of signature version 2 (boto3's default): it names no region.
        return "", "s3"
    return None


#: The bits of a random 128-bit number that a version-4 UUID keeps, and the version and variant bits
#: it sets (RFC 9562 §5.4).
_UUID4_KEEP = 0xFFFFFFFF_FFFF_0FFF_3FFF_FFFFFFFFFFFF
_UUID4_SET = 0x00000000_0000_4000_8000_000000000000


def new_request_id() -> str:
    """A version-4 UUID, as AWS's request ids are. ``uuid.uuid4()`` reads the kernel's random source
    on every call (a system call, ~3 µs); a request id only has to be unique, not unguessable, so
    the process's seeded generator serves."""
    value = (random.getrandbits(128) & _UUID4_KEEP) | _UUID4_SET
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


class Gateway:
    def __init__(
        self,
        *,
        json_services: Mapping[str, WireService],
        scoped_services: Mapping[str, WireService],
        internal: InternalRoutes,
        authenticator: Authenticator,
        audit: AuditSink,
        deps: Any,
        default_region: str,
    ) -> None:
        self.json_services = dict(json_services)
        self.scoped_services = dict(scoped_services)
        self.internal = internal
        self.authenticator = authenticator
        self.audit = audit
        self.deps = deps
        self.default_region = default_region

    async def handle(self, request: HttpRequest) -> HttpResponse:
        """Answer one request (the HTTP server's handler): never raises."""
        request_id = new_request_id()
        if request.path.startswith("/_drydock/") or request.path == "/_drydock":
            response = await self._guarded(self.internal(request), Protocol.REST_JSON, request_id, request)
        else:
            response = await self._api(request, request_id)
        response.set_header("x-amzn-RequestId", request_id)
        return response

    async def _api(self, request: HttpRequest, request_id: str) -> HttpResponse:
        service_name, service, region = self._route(request)
        protocol = service.protocol if service else _guess_protocol(request)
        ctx = RequestContext(
            request_id=request_id,
            principal=_ANONYMOUS,
            region=region or self.default_region,
            service=service_name,
            operation="",
            deps=self.deps,
        )
        status, error_code = 500, None
        try:
            if service is None:
                raise self._no_route_error(request)
            ctx.principal = await self._authenticate(request, service)
            response = await service.handle(request, ctx)
            status = response.status
        except DrydockError as error:
            status, error_code = error.status, error.code
            response = error_response(error, protocol, request_id, request.method)
        except BodyTooLarge as exc:
            too_large = SerializationError(f"Request body is larger than the {exc.limit} bytes allowed")
            status, error_code = too_large.status, too_large.code
            response = error_response(too_large, protocol, request_id, request.method)
        except ClientDisconnected:
            status, error_code = 499, "ClientDisconnected"
            response = HttpResponse(status=499)
        except Exception:
            log.exception("request_id=%s service=%s operation=%s failed", request_id, service_name, ctx.operation)
            failure = InternalFailure("The server encountered an internal error; see the server log.")
            status, error_code = failure.status, failure.code
            response = error_response(failure, protocol, request_id, request.method)
        if request.body_left_unread():
            response.set_header("Connection", "close")
        if ctx.audited:
            await self._record(ctx, request, status, error_code)
        return response

    def _route(self, request: HttpRequest) -> tuple[str, WireService | None, str | None]:
        scope = signing_scope(request)
        region = scope[0] if scope else None
        target = request.headers.get("x-amz-target")
        if target:
            # rpartition: CloudTrail's prefix itself has dots (com.amazonaws.cloudtrail.v20131101...).
            prefix = target.rpartition(".")[0]
            return prefix, self.json_services.get(prefix), region
        if scope:
            return scope[1], self.scoped_services.get(scope[1]), region
        return "unknown", None, region

    def _no_route_error(self, request: HttpRequest) -> DrydockError:
        target = request.headers.get("x-amz-target")
        if target:
            return UnknownOperationError(f"Unknown operation {target!r}")
        scope = signing_scope(request)
        if scope:
            return UnknownOperationError(f"Drydock does not serve the AWS service {scope[1]!r} on this port")
        if request.headers.get("authorization"):
            return InvalidSignature("Authorization header is not a valid AWS4-HMAC-SHA256 signature")
        return MissingAuthenticationToken(
            "Request is missing Authentication Token: sign it with SigV4 (run `drydock env` for credentials)"
        )

    async def _authenticate(self, request: HttpRequest, service: WireService) -> Principal:
        payload_hash: str | None = None
        if not service.streams_body:
            body = await request.read_body(MAX_BUFFERED_BODY)
            payload_hash = hashlib.sha256(body).hexdigest() if body else _EMPTY_SHA256
        return self.authenticator.authenticate(request, payload_hash)

    async def _record(self, ctx: RequestContext, request: HttpRequest, status: int, error: str | None) -> None:
        event = AuditEvent(
            time=dt.datetime.now(dt.UTC),
            request_id=ctx.request_id,
            principal_arn=ctx.principal.arn,
            access_key_id=ctx.principal.access_key_id,
            source_ip=request.client,
            service=ctx.service,
            operation=ctx.operation or f"{request.method} {request.path}",
            resource=ctx.resource,
            status=status,
            error_code=error,
        )
        try:
            self.audit.record(event)
        except Exception:
            log.exception("request_id=%s audit record failed", ctx.request_id)

    async def _guarded(
        self, work: Awaitable[HttpResponse], protocol: Protocol, request_id: str, request: HttpRequest
    ) -> HttpResponse:
        try:
            return await work
        except DrydockError as error:
            return error_response(error, protocol, request_id, request.method)
        except Exception:
            log.exception("request_id=%s internal route %s failed", request_id, request.path)
            return error_response(InternalFailure("internal error"), protocol, request_id, request.method)


_ANONYMOUS = Principal(access_key_id="", arn="anonymous", account="", user_id="anonymous")


def _guess_protocol(request: HttpRequest) -> Protocol:
    if request.headers.get("x-amz-target"):
        return Protocol.JSON
    if request.headers.get("smithy-protocol") == "rpc-v2-cbor":
        return Protocol.RPC_V2_CBOR
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return Protocol.QUERY
    if request.method == "POST" and _RUNTIME_PATH.fullmatch(request.raw_path):
        # No S3 operation POSTs to such a path, so this cannot be S3 even for a bucket "endpoints".
        return Protocol.REST_JSON
    return Protocol.REST_XML
