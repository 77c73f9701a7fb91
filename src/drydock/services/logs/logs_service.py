"""The Logs flavour of the JSON 1.1 service: CloudWatch Logs names its validation errors differently.

Where SageMaker answers a request that breaks the model's constraints with ValidationException,
CloudWatch Logs answers InvalidParameterException with the same "1 validation error detected: ..."
message, and clients catch that name (``client.exceptions.InvalidParameterException``).
"""

from __future__ import annotations

from typing import Any

from drydock.errors import LogsInvalidParameter, ValidationError
from drydock.wire.context import RequestContext
from drydock.wire.json_protocol import JsonService
from drydock.wire.validation import validate_input


class LogsJsonService(JsonService):
    def call(self, ctx: RequestContext, params: dict[str, Any]) -> Any:
        shape = self.registry.model.operation_model(ctx.operation).input_shape
        try:
            validate_input(shape, params)
        except ValidationError as error:
            raise LogsInvalidParameter(error.message) from None
        _check_storable(params, "")
        # Handlers may still raise ValidationException themselves where AWS does (DeleteLogGroup).
        return super().call(ctx, params)


def _check_storable(value: Any, path: str) -> None:
    """Reject text no database can hold: lone surrogates (JSON allows "\\ud800") anywhere, and NUL
    in names and patterns (PostgreSQL text cannot hold it). Event messages may carry NUL: the store
    replaces it."""
    if isinstance(value, dict):
        for key, item in value.items():
            _check_storable(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_storable(item, f"{path}.{index + 1}")
    elif isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise LogsInvalidParameter(f"Value at '{path}' is not valid Unicode text") from None
        if "\x00" in value and not path.endswith(".message"):
            raise LogsInvalidParameter(f"Value at '{path}' must not contain the NUL character")
