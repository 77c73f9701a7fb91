"""Request validation against a botocore input shape.

botocore validates only required members, types and minimum lengths on the client; AWS validates the
rest on the server (enums, maximum lengths, patterns, numeric ranges) and answers::

    1 validation error detected: Value 'bad_name' at 'modelName' failed to satisfy constraint:
    Member must satisfy regular expression pattern: [a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?

This module reproduces that, and at the same time normalises the decoded body (JSON, CBOR) into Python values
(timestamps become aware ``datetime``s, blobs become ``bytes``) so handlers never see wire encodings.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
from functools import cache
from typing import Any

# ``regex`` rather than ``re``: it knows the Unicode categories the models use (``\p{L}`` in every
# tag pattern) and it can stop a match that backtracks too long.
import regex

from drydock.errors import ValidationError

#: AWS stops listing after this many problems in one message.
_MAX_REPORTED = 10
#: Integer and long members are Java ``int`` and ``long`` on the service side; a number outside
#: their range cannot be a valid value even where the model states no bound.
_INT_BOUNDS = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
#: Some model patterns backtrack exponentially (``[a-z0-9]([-a-z0-9]*[a-z0-9]){0,39}?`` on a long
#: value); a value that takes longer than this to match is rejected rather than allowed to pin a thread.
_MATCH_SECONDS = 0.2

#: Java regex constructs the models use, spelled for Python's ``re``: the POSIX classes are ASCII in
#: Java; ``\z`` is Python's ``\Z``; a UTF-16 surrogate-pair range is the astral planes.
_JAVA_CLASSES = {
    r"\p{ASCII}": r"\x00-\x7F",
    r"\p{Print}": r"\x20-\x7E",
    r"\p{Graph}": r"\x21-\x7E",
    r"\p{Alnum}": r"a-zA-Z0-9",
    r"\p{Alpha}": r"a-zA-Z",
    r"\p{Digit}": r"0-9",
    r"\uD800\uDC00-\uDBFF\uDFFF": r"\U00010000-\U0010FFFF",
}


def _python_pattern(pattern: str) -> str:
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        for java, chars in _JAVA_CLASSES.items():
            if pattern.startswith(java, i):
                out.append(chars if in_class else f"[{chars}]")
                i += len(java)
                break
        else:
            char = pattern[i]
            if char == "\\" and i + 1 < len(pattern):
                escape = pattern[i : i + 2]
                out.append(r"\Z" if escape == r"\z" else escape)
                i += 2
                continue
            if char == "[" and not in_class:
                in_class = True
            elif char == "]" and in_class:
                in_class = False
            out.append(char)
            i += 1
    return "".join(out)


@cache
def _compiled(pattern: str) -> regex.Pattern[str] | None:
    try:
        return regex.compile(_python_pattern(pattern), regex.DOTALL)
    except regex.error:
        # A construct neither Java nor ``regex`` shares: such patterns are skipped, not guessed at.
        return None


def pattern_matches(pattern: str, value: str) -> bool:
    """AWS (Java's ``Matcher.matches``) applies a pattern to the whole value, anchors or not.

    So ``^[a-zA-Z0-9](-*[a-zA-Z0-9])*`` (sagemaker-runtime's EndpointName, anchored only at the start)
    rejects ``my_endpoint``, and ``^[a-z]+$`` rejects ``"abc\\n"`` although ``$`` would match before the
    newline in a search.
    """
    key = (pattern, value)
    known = _MATCHED.get(key)
    if known is not None:
        return known
    compiled = _compiled(pattern)
    if compiled is None:
        return True
    try:
        matched = compiled.fullmatch(value, timeout=_MATCH_SECONDS) is not None
    except TimeoutError:
        matched = False
    # The same names and content types come back on every call (InvokeEndpoint's hot path spends tens
    # of microseconds per ``regex`` match); short values are remembered, in a bounded table.
    if len(value) <= _MEMO_VALUE_LENGTH:
        if len(_MATCHED) >= _MEMO_ENTRIES:
            _MATCHED.clear()
        _MATCHED[key] = matched
    return matched


_MATCHED: dict[tuple[str, str], bool] = {}
_MEMO_ENTRIES = 4096
_MEMO_VALUE_LENGTH = 256


def _wire_name(name: str) -> str:
    return name[:1].lower() + name[1:]


class _Hidden:
    """Stands for a value the message must not echo: binary data, or a member the model marks
    ``sensitive`` (AWS then writes "Value at '<member>' failed ...")."""


_HIDDEN = _Hidden()


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, (_Hidden, bytes, bytearray)):
        return ""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**30:
        # From the bit length, not str(): a CBOR bignum may have more digits than str() will convert.
        return f"{'-' if value < 0 else ''}<a {int(abs(value).bit_length() * math.log10(2)) + 1}-digit number>"
    if isinstance(value, str):
        shown = value if len(value) <= 256 else value[:256] + "..."
        return f"'{shown}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return "[...]" if isinstance(value, list) else "{...}"
    return str(value)


def parse_timestamp(value: Any) -> dt.datetime | None:
    """Epoch seconds (number or numeric string), ISO-8601 text, or a datetime already decoded (CBOR's
    tag 1); ``None`` when it is none of these."""
    if isinstance(value, dt.datetime):
        try:
            return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
        except OverflowError:  # year 1 at a positive offset has no UTC time
            return None
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
        shown = _show(value)
        self.problems.append(
            f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}"
            if shown
            else f"Value at '{path}' failed to satisfy constraint: {constraint}"
        )

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
            item = value.get(name)
            if item is None and name not in shape.required_members:
                continue  # the common case for most members: nothing to check, no path to build
            child_path = f"{path}.{_wire_name(name)}" if path else _wire_name(name)
            if item is None:
                self.fail(None, child_path, "Member must not be null")
                continue
            out[name] = self.visit(member, item, child_path)
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
        shown = _HIDDEN if shape.metadata.get("sensitive") else value
        if not isinstance(value, str):
            self.fail(shown, path, "Member must be a string")
            return None
        if not self._length(shape, shown, len(value), path):
            # Too long already: matching a megabyte against a backtracking pattern only costs time.
            return None
        enum = shape.metadata.get("enum")
        if enum and value not in enum:
            self.fail(shown, path, f"Member must satisfy enum value set: [{', '.join(enum)}]")
        pattern = shape.metadata.get("pattern")
        if pattern and not pattern_matches(pattern, value):
            self.fail(shown, path, f"Member must satisfy regular expression pattern: {pattern}")
        return value

    def _integer(self, shape: Any, value: Any, path: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                self.fail(value, path, "Member must be an integer")
                return None
        low, high = _INT_BOUNDS["long" if shape.type_name == "long" else "integer"]
        self._range(shape, value, path, low, high)
        return value

    _long = _integer

    def _float(self, shape: Any, value: Any, path: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(value, path, "Member must be a number")
            return None
        try:
            number = float(value)
        except OverflowError:  # an integer literal with hundreds of digits
            number = math.inf
        if not math.isfinite(number):
            # JSON has no NaN or Infinity, and 1e400 overflows a double: neither is a value.
            self.fail(value, path, "Member must be a finite number")
            return None
        self._range(shape, number, path)
        return number

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
                self.fail(_HIDDEN, path, "Member must be base64-encoded binary data")
                return None
        else:
            self.fail(value, path, "Member must be binary data")
            return None
        self._length(shape, _HIDDEN, len(data), path)
        return data

    def _length(self, shape: Any, value: Any, length: int, path: str) -> bool:
        """Check min/max length; ``False`` when the value is longer than allowed."""
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if low is not None and length < low:
            self.fail(value, path, f"Member must have length greater than or equal to {low}")
        if high is not None and length > high:
            self.fail(value, path, f"Member must have length less than or equal to {high}")
            return False
        return True

    def _range(self, shape: Any, value: float, path: str, floor: int | None = None, ceiling: int | None = None) -> None:
        low, high = shape.metadata.get("min", floor), shape.metadata.get("max", ceiling)
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
    try:
        parsed = validator.visit(shape, params, "")
    except RecursionError:
        # Recursive shapes (SageMaker's SearchExpression.SubExpressions) let a body nest without
        # bound; the parser accepts ~1000 levels, more than this walk has stack for.
        raise ValidationError("1 validation error detected: the request is nested too deeply") from None
    if validator.problems:
        raise ValidationError(format_problems(validator.problems))
    return parsed if isinstance(parsed, dict) else {}


def format_problems(problems: list[str]) -> str:
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    shown = "; ".join(problems[:_MAX_REPORTED])
    return f"{count} validation {noun} detected: {shown}"
