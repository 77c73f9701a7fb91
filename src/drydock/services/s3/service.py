"""The S3 wire service: routes a request to its operation, decodes it, runs the handler, encodes.

Bodies stay on the socket (``streams_body``): an upload is streamed by its handler into the store,
an XML request body (DeleteObjects, CompleteMultipartUpload, CreateBucket) is read here, bounded.
"""

from __future__ import annotations

from typing import Any

from anyio import CapacityLimiter

from drydock.errors import AccessDenied, S3Error
from drydock.objects.port import ObjectStore
from drydock.services.s3 import bucket_operations, listing_operations, multipart_operations, object_operations
from drydock.services.s3.api import Reply, S3Api, S3Call, s3_api
from drydock.services.s3.integrity import verify_small_body
from drydock.wire.context import RequestContext
from drydock.wire.error_responses import Protocol
from drydock.wire.http import HttpRequest, HttpResponse
from drydock.wire.rest_xml import RestXmlRouter, decode_request, encode_response

#: An XML request body is small: DeleteObjects names at most 1000 keys of at most 1024 bytes.
MAX_XML_BODY = 4 * 1024 * 1024
#: Worker threads S3 transfers may hold at once (see ``S3Call.limiter``).
MAX_TRANSFERS = 64

#: Root element of each operation's XML answer (S3 API reference; the model does not name them).
_ROOTS = {
    "ListObjects": "ListBucketResult",
    "ListObjectsV2": "ListBucketResult",
    "ListBuckets": "ListAllMyBucketsResult",
    "CreateMultipartUpload": "InitiateMultipartUploadResult",
    "CompleteMultipartUpload": "CompleteMultipartUploadResult",
    "ListParts": "ListPartsResult",
    "ListMultipartUploads": "ListMultipartUploadsResult",
    "DeleteObjects": "DeleteResult",
    "GetBucketVersioning": "VersioningConfiguration",
}
#: Where the model has two operations for one request, the current one answers.
_PREFERRED = (
    "ListBuckets",
    "GetBucketLifecycleConfiguration",
    "PutBucketLifecycleConfiguration",
    "GetBucketNotificationConfiguration",
    "PutBucketNotificationConfiguration",
)
# The handler modules register themselves on s3_api when imported.
_HANDLER_MODULES = (bucket_operations, listing_operations, multipart_operations, object_operations)


class S3Service:
    """Implements the gateway's ``WireService`` for the ``s3`` signing scope."""

    protocol = Protocol.REST_XML
    streams_body = True

    def __init__(
        self, store: ObjectStore, *, account_id: str, region: str, strict: bool = False, api: S3Api = s3_api
    ) -> None:
        self.store = store
        self.account_id = account_id
        self.region = region
        self.strict = strict
        self.api = api
        self.router = RestXmlRouter(api.model, preferred=_PREFERRED)
        self._limiter: CapacityLimiter | None = None

    async def handle(self, request: HttpRequest, ctx: RequestContext) -> HttpResponse:
        # A refused upload leaves its body unread; the gateway then closes the connection.
        route = self.router.route(request)
        if route is None:
            raise S3Error("MethodNotAllowed", "The specified method is not allowed against this resource.", 405)
        operation, labels = route
        ctx.operation = operation.name
        ctx.resource = "/".join(part for part in (labels.get("Bucket"), labels.get("Key")) if part) or None
        handler = self.api.handler(operation.name)
        if handler is None:
            raise S3Error(
                "NotImplemented",
                f"{operation.name} is part of the S3 API but Drydock does not implement it; see docs/s3.md.",
                501,
            )
        payload = await self._xml_payload(operation, request)
        params = decode_request(operation, request, labels, payload)
        _reject_nul(params)
        expected_owner = params.get("ExpectedBucketOwner")
        if expected_owner is not None and expected_owner != self.account_id:
            raise AccessDenied("Access Denied: the bucket is not owned by the expected account")
        if self._limiter is None:
            self._limiter = CapacityLimiter(MAX_TRANSFERS)
        call = S3Call(ctx, request, params, self.store, self._limiter, self.account_id, self.region)
        result = await handler(call)
        if isinstance(result, Reply):
            response = encode_response(operation, result.output, _root(operation), strict=self.strict)
            if result.status is not None:
                response.status = result.status
        else:
            response = result
        response.set_header("x-amz-request-id", ctx.request_id)
        return response

    async def _xml_payload(self, operation: Any, request: HttpRequest) -> bytes | None:
        shape = operation.input_shape
        payload = shape.serialization.get("payload") if shape is not None else None
        if payload is None or shape.members[payload].type_name != "structure":
            return None
        body = await request.read_body(MAX_XML_BODY)
        verify_small_body(request, body)
        return body


def _reject_nul(value: Any) -> None:
    """NUL fits in no S3 name (XML 1.0 cannot carry it, PostgreSQL text cannot store it)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise S3Error("InvalidArgument", "Names and parameters must not contain the NUL character", 400)
    elif isinstance(value, dict):
        for item in value.values():
            _reject_nul(item)
    elif isinstance(value, list):
        for item in value:
            _reject_nul(item)


def _root(operation: Any) -> str:
    name: str = operation.name
    return _ROOTS.get(name, f"{name}Result")
