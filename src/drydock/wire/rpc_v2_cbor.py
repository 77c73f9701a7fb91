"""smithy rpc-v2-cbor: ``POST /service/<TargetPrefix>/operation/<Operation>`` with CBOR bodies.

botocore speaks it for CloudWatch (``GraniteServiceVersion20100801``). Requests carry the header
``smithy-protocol: rpc-v2-cbor`` and ``Content-Type: application/cbor``; answers carry the same
header. The body is one CBOR map of the input shape's members: numbers, text, byte strings (blobs)
and timestamps as tag 1 over epoch seconds, which the decoder turns into aware datetimes before the
usual validation. Answers walk the output shape the same way back (timestamps as tag 1 over a
float, which botocore's ``RpcV2CBORParser`` reads; an operation without output answers an empty
body). Errors are a CBOR map ``{"__type", "message"}`` named after the model's error shapes (see
:mod:`drydock.wire.modelled_errors`).

CBOR is decoded with ``cbor2`` (C extension): it bounds nesting, refuses lengths the body does not
hold before allocating them, and here also duplicate map keys and non-text keys.
"""

from __future__ import annotations

import io
import re
from typing import Any

import cbor2
from anyio import to_thread

from drydock.errors import DrydockError, SerializationError, UnknownOperationError
from drydock.wire.context import RequestContext
from drydock.wire.dispatch import dispatch
from drydock.wire.error_responses import Protocol
from drydock.wire.http import HttpRequest, HttpResponse
from drydock.wire.json_shapes import ShapeSerializer, epoch_seconds
from drydock.wire.modelled_errors import ModelledErrors
from drydock.wire.registry import OperationRegistry

#: CloudWatch caps PutMetricData at 1 MB; the limit here only stops unbounded bodies.
MAX_CBOR_BODY = 16 * 1024 * 1024
CONTENT_TYPE = "application/cbor"
_PATH = re.compile(r"/service/([^/]+)/operation/([^/]+)")
#: The tag RFC 8949 gives epoch-based date/time; the only one the protocol uses.
_EPOCH_TAG = 1


class CborShapeSerializer(ShapeSerializer):
    """The JSON serializer's walk, with CBOR's own encodings for timestamps and blobs."""

    def timestamp(self, value: Any) -> Any:
        return cbor2.CBORTag(_EPOCH_TAG, float(epoch_seconds(value)))

    def blob(self, data: bytes) -> Any:
        return data


class RpcV2CborService:
    protocol = Protocol.RPC_V2_CBOR
    streams_body = False

    def __init__(self, registry: OperationRegistry, strict: bool = False) -> None:
        self.registry = registry
        self.serializer = CborShapeSerializer(strict)
        self.errors = ModelledErrors(registry.model)
        self.target_prefix: str = registry.model.metadata["targetPrefix"]

    async def handle(self, request: HttpRequest, ctx: RequestContext) -> HttpResponse:
        try:
            return await self._handle(request, ctx)
        except DrydockError as error:
            raise self.errors.translate(error) from error

    async def _handle(self, request: HttpRequest, ctx: RequestContext) -> HttpResponse:
        match = _PATH.fullmatch(request.path)
        if request.method != "POST" or match is None or match.group(1) != self.target_prefix:
            raise UnknownOperationError(
                f"{request.method} {request.path} names no {self.registry.service} operation: Drydock speaks it "
                f"as smithy rpc-v2-cbor, POST /service/{self.target_prefix}/operation/<Operation>"
            )
        operation = match.group(2)
        if operation not in self.registry.model.operation_names:
            raise UnknownOperationError(f"Unknown operation {operation!r}")
        ctx.operation = operation
        params = decode_body(await request.read_body(MAX_CBOR_BODY))
        result = await to_thread.run_sync(self.call, ctx, params)
        headers = [("smithy-protocol", "rpc-v2-cbor")]
        if self.registry.model.operation_model(operation).output_shape is None:
            return HttpResponse(status=200, headers=headers, body=b"")
        return HttpResponse(status=200, headers=[("Content-Type", CONTENT_TYPE), *headers], body=cbor2.dumps(result))

    def call(self, ctx: RequestContext, params: dict[str, Any]) -> Any:
        """Validate, run the handler and serialise; runs on a worker thread."""
        return dispatch(self.registry, self.serializer, ctx, params)


def decode_body(body: bytes) -> dict[str, Any]:
    """The request's CBOR map (an empty body is an empty input, as for an operation without one)."""
    if not body:
        return {}
    stream = io.BytesIO(body)
    try:
        value = cbor2.CBORDecoder(stream, strict_hashable_types=True, allow_duplicate_keys=False).decode()
    except (cbor2.CBORDecodeError, ValueError, OverflowError, RecursionError) as exc:
        # Truncated items, bad UTF-8, bad tag-1 values, nesting past cbor2's limit, duplicate or
        # non-text keys; ValueError and OverflowError from the semantic tags (bignums, decimals).
        raise SerializationError(f"Request body is not valid CBOR: {str(exc)[:200]}") from None
    if stream.tell() != len(body):
        raise SerializationError("Request body has bytes after its CBOR data item")
    if not isinstance(value, dict):
        raise SerializationError("Request body must be a CBOR map")
    return value
