"""Request validation against a botocore input shape.

botocore validates only required members, types and minimum lengths on the client; AWS validates the
rest on the server (enums, maximum lengths, patterns, numeric ranges) and answers::

    1 validation error detected: Value 'bad_name' at 'modelName' failed to satisfy constraint:
    Member must satisfy regular expression pattern: [a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?

This module reproduces that, and at the same time normalises the decoded JSON into Python values
(timestamps become aware ``datetime``s, blobs become ``bytes``) so handlers never see wire encodings.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
import re
from functools import cache
from typing import Any

from drydock.errors import ValidationError

#: AWS stops listing after this many problems in one message.
_MAX_REPORTED = 10


@cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error:
        # A Java-only construct (\p{...} and friends): such patterns are skipped, not guessed at.
        return None


def pattern_matches(pattern: str, value: str) -> bool:
    """AWS applies a pattern to the whole value unless the pattern carries its own anchors."""
    compiled = _compiled(pattern)
    if compiled is None:
        return True
    if pattern.startswith("^") or pattern.endswith("$"):
        return compiled.search(value) is not None
    return compiled.fullmatch(value) is not None


def _wire_name(name: str) -> str:
    return name[:1].lower() + name[1:]


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        shown = value if len(value) <= 256 else value[:256] + "..."
        return f"'{shown}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return "[...]" if isinstance(value, list) else "{...}"
    return str(value)


def parse_timestamp(value: Any) -> dt.datetime | None:
    """Epoch seconds (number or numeric string) or ISO-8601 text; ``None`` when it is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            return None
        try:
            return dt.datetime.fromtimestamp(value, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            return parse_timestamp(float(value))
        except ValueError:
            pass
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return None


class _Validator:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, value: Any, path: str, constraint: str) -> None:
        self.problems.append(f"Value {_show(value)} at '{path}' failed to satisfy constraint: {constraint}")

    def visit(self, shape: Any, value: Any, path: str) -> Any:
        kind = shape.type_name
        handler = getattr(self, f"_{kind}", None)
        if handler is None:
            return value
        return handler(shape, value, path)

    def _structure(self, shape: Any, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            self.fail(value, path or "request", "Member must be a structure")
            return None
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            child_path = f"{path}.{_wire_name(name)}" if path else _wire_name(name)
            if name not in value or value[name] is None:
                if name in shape.required_members:
                    self.fail(None, child_path, "Member must not be null")
                continue
            out[name] = self.visit(member, value[name], child_path)
        # Unknown members are ignored, as AWS's JSON services do.
        return out

    def _list(self, shape: Any, value: Any, path: str) -> Any:
        if not isinstance(value, list):
            self.fail(value, path, "Member must be a list")
            return None
        self._length(shape, value, len(value), path)
        return [self.visit(shape.member, item, f"{path}.{i + 1}.member") for i, item in enumerate(value)]

    def _map(self, shape: Any, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            self.fail(value, path, "Member must be a map")
            return None
        self._length(shape, value, len(value), path)
        out: dict[Any, Any] = {}
        for key, item in value.items():
            parsed_key = self.visit(shape.key, key, f"{path}.key")
            out[parsed_key] = self.visit(shape.value, item, f"{path}.{key}")
        return out

    def _string(self, shape: Any, value: Any, path: str) -> Any:
        if not isinstance(value, str):
            self.fail(value, path, "Member must be a string")
            return None
        self._length(shape, value, len(value), path)
        enum = shape.metadata.get("enum")
        if enum and value not in enum:
            self.fail(value, path, f"Member must satisfy enum value set: [{', '.join(enum)}]")
        pattern = shape.metadata.get("pattern")
        if pattern and not pattern_matches(pattern, value):
            self.fail(value, path, f"Member must satisfy regular expression pattern: {pattern}")
        return value

    def _integer(self, shape: Any, value: Any, path: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                self.fail(value, path, "Member must be an integer")
                return None
        self._range(shape, value, path)
        return value

    _long = _integer

    def _float(self, shape: Any, value: Any, path: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(value, path, "Member must be a number")
            return None
        self._range(shape, value, path)
        return float(value)

    _double = _float

    def _boolean(self, shape: Any, value: Any, path: str) -> Any:
        if not isinstance(value, bool):
            self.fail(value, path, "Member must be a boolean")
            return None
        return value

    def _timestamp(self, shape: Any, value: Any, path: str) -> Any:
        parsed = parse_timestamp(value)
        if parsed is None:
            self.fail(value, path, "Member must be a timestamp")
        return parsed

    def _blob(self, shape: Any, value: Any, path: str) -> Any:
        if isinstance(value, (bytes, bytearray)):
            data = bytes(value)
        elif isinstance(value, str):
            try:
                data = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                self.fail("<blob>", path, "Member must be base64-encoded binary data")
                return None
        else:
            self.fail(value, path, "Member must be binary data")
            return None
        self._length(shape, data, len(data), path)
        return data

    def _length(self, shape: Any, value: Any, length: int, path: str) -> None:
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if low is not None and length < low:
            self.fail(value, path, f"Member must have length greater than or equal to {low}")
        if high is not None and length > high:
            self.fail(value, path, f"Member must have length less than or equal to {high}")

    def _range(self, shape: Any, value: float, path: str) -> None:
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if low is not None and value < low:
            self.fail(value, path, f"Member must have value greater than or equal to {low}")
        if high is not None and value > high:
            self.fail(value, path, f"Member must have value less than or equal to {high}")


def validate_input(shape: Any, params: Any) -> dict[str, Any]:
    """Validate ``params`` against ``shape`` and return them normalised.

    Raises :class:`ValidationError` listing every problem found, in AWS's words.
    """
    if shape is None:
        return {}
    validator = _Validator()
    parsed = validator.visit(shape, params, "")
    if validator.problems:
        raise ValidationError(format_problems(validator.problems))
    return parsed if isinstance(parsed, dict) else {}


def format_problems(problems: list[str]) -> str:
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    shown = "; ".join(problems[:_MAX_REPORTED])
    return f"{count} validation {noun} detected: {shown}"
