"""The step every RPC-style protocol shares once its body is decoded: validate, run, serialise.

JSON 1.x and smithy rpc-v2-cbor differ only in how the operation is named (``X-Amz-Target`` or the
path) and how bytes become values; from decoded parameters to the result document they are the same.
"""

from __future__ import annotations

from typing import Any

from drydock.wire.context import RequestContext
from drydock.wire.json_shapes import ShapeSerializer
from drydock.wire.registry import OperationRegistry
from drydock.wire.validation import validate_input


def dispatch(
    registry: OperationRegistry, serializer: ShapeSerializer, ctx: RequestContext, params: dict[str, Any]
) -> Any:
    """Validate ``params`` against ``ctx.operation``'s input shape, run its handler and serialise the
    result through the output shape. Runs on a worker thread; raises ``DrydockError``s."""
    operation_model = registry.model.operation_model(ctx.operation)
    validated = validate_input(operation_model.input_shape, params)
    if ctx.resource is None:
        ctx.resource = resource_hint(operation_model.input_shape, validated)
    handler = registry.require(ctx.operation)
    result = handler(ctx, validated)
    return serializer.serialize(operation_model.output_shape, result)


def resource_hint(shape: Any, params: dict[str, Any]) -> str | None:
    """The audit trail's resource: the first required string member (ModelName, ResourceArn, ...)."""
    if shape is None:
        return None
    for name in shape.required_members:
        value = params.get(name)
        if isinstance(value, str):
            return value
    return None
