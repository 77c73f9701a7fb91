"""Serialises handler results for the JSON protocols by walking the operation's output shape.

Only modelled members are written and ``None`` values are dropped, so a handler can return a rich
internal document without leaking fields the API does not define. Timestamps are epoch seconds, as
JSON 1.1 and rest-json specify; blobs are base64.

In strict mode (the test suite's live server) a handler result with members the shape does not
define, or without a required member, raises instead: that is how tests "validate responses against
the model".
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from drydock.errors import InternalFailure


class ShapeSerializer:
    def __init__(self, strict: bool = False) -> None:
        self.strict = strict

    def serialize(self, shape: Any, value: Any) -> Any:
        if shape is None:
            return {}
        return self._visit(shape, value, shape.name)

    def _visit(self, shape: Any, value: Any, path: str) -> Any:
        kind = shape.type_name
        if kind == "structure":
            return self._structure(shape, value, path)
        if kind == "list":
            return [self._visit(shape.member, item, f"{path}[]") for item in value]
        if kind == "map":
            return {key: self._visit(shape.value, item, f"{path}.{key}") for key, item in value.items()}
        if kind == "timestamp":
            return self.timestamp(value)
        if kind == "blob":
            return self.blob(value.encode() if isinstance(value, str) else bytes(value))
        if kind in ("float", "double"):
            return float(value)
        return value

    def timestamp(self, value: Any) -> Any:
        """A timestamp as the protocol writes it; subclasses for other encodings override this."""
        return epoch_seconds(value)

    def blob(self, data: bytes) -> Any:
        return base64.b64encode(data).decode("ascii")

    def _structure(self, shape: Any, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise InternalFailure(f"handler returned {type(value).__name__} for structure {path}")
        members = shape.members
        if self.strict:
            unknown = set(value) - set(members)
            if unknown:
                raise InternalFailure(f"{path} has members the model does not define: {sorted(unknown)}")
            missing = [m for m in shape.required_members if value.get(m) is None]
            if missing:
                raise InternalFailure(f"{path} lacks required members {missing}")
        out: dict[str, Any] = {}
        for name, member in members.items():
            item = value.get(name)
            if item is None:
                continue
            key = member.serialization.get("name", name)
            out[key] = self._visit(member, item, f"{path}.{name}")
        return out


def epoch_seconds(value: Any) -> float | int:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        stamp = value.timestamp()
        return int(stamp) if stamp.is_integer() else round(stamp, 3)
    if isinstance(value, (int, float)):
        return value
    raise InternalFailure(f"not a timestamp: {value!r}")
