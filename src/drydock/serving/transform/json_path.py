"""The JSONPath subset SageMaker's DataProcessing filters accept, evaluated on CSV rows and JSON records.

SageMaker documents (Associate Prediction Results with Input Records) these forms, and nothing else:
``$`` (the whole record), ``$.key`` / ``$['key']``, nested keys (``$.features.values``), an index
``$[2]`` (negative counts from the end), a slice ``$[1:]`` / ``$[:-1]`` / ``$[1:3]``, and a union of
indices or keys ``$[0,-1]`` / ``$['id','SageMakerOutput']``. A CSV row is treated as a JSON array of
its fields. A single index or key selects one value; a slice or a union selects a list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from drydock.errors import ValidationError


class PathError(Exception):
    """The path does not apply to this record (a missing key, an index out of range)."""


@dataclass(frozen=True)
class _Key:
    names: tuple[str, ...]

    def apply(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise PathError(f"cannot select key(s) {list(self.names)} from a {type(value).__name__}")
        missing = [n for n in self.names if n not in value]
        if missing:
            raise PathError(f"the record has no key {missing[0]!r}")
        if len(self.names) == 1:
            return value[self.names[0]]
        return {name: value[name] for name in self.names}


@dataclass(frozen=True)
class _Index:
    indices: tuple[int, ...]

    def apply(self, value: Any) -> Any:
        if not isinstance(value, list):
            raise PathError(f"cannot index a {type(value).__name__}")
        try:
            picked = [value[i] for i in self.indices]
        except IndexError:
            raise PathError(f"index out of range for a record of {len(value)} fields") from None
        return picked[0] if len(picked) == 1 else picked


@dataclass(frozen=True)
class _Slice:
    start: int | None
    stop: int | None

    def apply(self, value: Any) -> Any:
        if not isinstance(value, list):
            raise PathError(f"cannot slice a {type(value).__name__}")
        return value[self.start : self.stop]


_Step = _Key | _Index | _Slice
_DOT = re.compile(r"\.([A-Za-z_][A-Za-z0-9_\-]*)")
_BRACKET = re.compile(r"\[([^\]]*)\]")
_QUOTED = re.compile(r"""\s*(?:'([^']*)'|"([^"]*)")\s*""")


@dataclass(frozen=True)
class JsonPath:
    text: str
    steps: tuple[_Step, ...]

    @classmethod
    def parse(cls, text: str, member: str) -> JsonPath:
        """Raises ``ValidationException`` naming ``member`` (InputFilter, OutputFilter) when ``text``
        is not a path SageMaker accepts."""
        source = text.strip()
        if not source.startswith("$"):
            raise ValidationError(f"{member} {text!r} must be a JSONPath expression starting with '$'")
        steps: list[_Step] = []
        position = 1
        while position < len(source):
            dot = _DOT.match(source, position)
            if dot:
                steps.append(_Key((dot.group(1),)))
                position = dot.end()
                continue
            bracket = _BRACKET.match(source, position)
            if bracket is None:
                raise ValidationError(
                    f"{member} {text!r} is not a supported JSONPath expression at {source[position:]!r}"
                )
            steps.append(_bracket(bracket.group(1), text, member))
            position = bracket.end()
        return cls(text, tuple(steps))

    def select(self, record: Any) -> Any:
        value = record
        for step in self.steps:
            value = step.apply(value)
        return value


def _bracket(inner: str, text: str, member: str) -> _Step:
    if ":" in inner:
        parts = inner.split(":")
        if len(parts) != 2:
            raise ValidationError(f"{member} {text!r}: slices with a step are not supported")
        try:
            start, stop = (int(p) if p.strip() else None for p in parts)
        except ValueError:
            raise ValidationError(f"{member} {text!r}: slice bounds must be integers") from None
        return _Slice(start, stop)
    items = inner.split(",")
    quoted = [_QUOTED.fullmatch(item) for item in items]
    if all(quoted):
        return _Key(tuple(m.group(1) if m.group(1) is not None else m.group(2) for m in quoted if m))
    try:
        return _Index(tuple(int(item) for item in items))
    except ValueError:
        raise ValidationError(f"{member} {text!r}: {inner!r} is neither indices nor quoted keys") from None
