"""AWS JSON 1.0/1.1 protocol: ``POST /`` with ``X-Amz-Target: <Prefix>.<Operation>``.

Used by SageMaker, CloudWatch Logs, CloudTrail and Application Auto Scaling alike, and by CloudWatch,
which botocore speaks in JSON 1.0 although the model lists smithy rpc-v2-cbor first (botocore ranks
``json`` above it). CloudWatch's model is ``awsQueryCompatible``: its errors are named after the
model's shapes and carry the query protocol's code (see :mod:`drydock.wire.modelled_errors`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from anyio import to_thread

from drydock.errors import (
    DrydockError,
    SerializationError,
    UnknownOperationError,
)
from drydock.wire.context import RequestContext
from drydock.wire.dispatch import dispatch
from drydock.wire.error_responses import Protocol
from drydock.wire.http import HttpRequest, HttpResponse
from drydock.wire.json_shapes import ShapeSerializer
from drydock.wire.modelled_errors import ModelledErrors
from drydock.wire.registry import OperationRegistry

#: Larger than any SageMaker request (a pipeline definition is at most 1 MB inline).
MAX_JSON_BODY = 16 * 1024 * 1024


class JsonService:
    protocol = Protocol.JSON
    streams_body = False

    def __init__(self, registry: OperationRegistry, serializer: ShapeSerializer) -> None:
        self.registry = registry
        self.serializer = serializer
        metadata = registry.model.metadata
        self.target_prefix: str = metadata["targetPrefix"]
        self.content_type = f"application/x-amz-json-{metadata.get('jsonVersion', '1.1')}"
        errors = ModelledErrors(registry.model)
        #: Only query-compatible services rename their errors; the others answer Drydock's codes as they are.
        self.errors = errors if errors.query_compatible else None

    async def handle(self, request: HttpRequest, ctx: RequestContext) -> HttpResponse:
        if self.errors is None:
            return await self._handle(request, ctx)
        try:
            return await self._handle(request, ctx)
        except DrydockError as error:
            raise self.errors.translate(error) from error

    async def _handle(self, request: HttpRequest, ctx: RequestContext) -> HttpResponse:
        target = request.headers.get("x-amz-target", "")
        operation = target.rpartition(".")[2]
        if operation not in self.registry.model.operation_names:
            raise UnknownOperationError(f"Unknown operation {target!r}")
        ctx.operation = operation
        body = await request.read_body(MAX_JSON_BODY)
        params = _decode(body)
        result = await to_thread.run_sync(self.call, ctx, params)
        return HttpResponse(
            status=200,
            headers=[("Content-Type", self.content_type)],
            body=json.dumps(result, separators=(",", ":")).encode(),
        )

    def call(self, ctx: RequestContext, params: dict[str, Any]) -> Any:
        """Validate, run the handler and serialise; runs on a worker thread."""
        return dispatch(self.registry, self.serializer, ctx, params)


def _decode(body: bytes) -> dict[str, Any]:
    # An empty body is an empty input (some clients send none for operations without members);
    # whitespace alone is no JSON document, and answering it as {} would hide a broken client.
    if not body:
        return {}
    try:
        params = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        # ValueError covers malformed JSON, bad UTF-8, NaN/Infinity and integers of thousands of
        # digits; RecursionError a body nested deeper than the parser's stack.
        raise SerializationError(f"Request body is not valid JSON: {str(exc)[:200]}") from None
    if not isinstance(params, dict):
        raise SerializationError("Request body must be a JSON object")
    if _SURROGATE_ESCAPE.search(body):
        try:
            json.dumps(params, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            # "\ud800" alone is legal JSON text but no Unicode string: the store could not keep it.
            raise SerializationError("Request body contains an unpaired UTF-16 surrogate escape") from None
    return params


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
