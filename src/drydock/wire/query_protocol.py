"""The AWS query protocol (STS, IAM): form-encoded ``Action=...&Version=...`` in, XML out.

Requests are ``POST /`` with an ``application/x-www-form-urlencoded`` body (or a GET with the same
pairs in the query string). Nested members are flattened the way botocore's ``QuerySerializer``
writes them, driven by the input shape: ``Struct.Member``, lists as ``Name.member.N`` (or ``Name.N``
when the shape is ``flattened``), maps as ``Name.entry.N.key`` / ``Name.entry.N.value``; every value
is text, converted here to the member's type before the usual validation.

Responses walk the output shape into ``<{Op}Response xmlns=...><{Op}Result>...</{Op}Result>
<ResponseMetadata><RequestId/></ResponseMetadata></{Op}Response>``, which is what botocore's
``QueryParser`` reads (``resultWrapper`` names the result element).
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from anyio import to_thread

from drydock.errors import (
    InternalFailure,
    SerializationError,
    UnknownOperationError,
)
from drydock.wire.context import RequestContext
from drydock.wire.error_responses import Protocol
from drydock.wire.http import HttpRequest, HttpResponse
from drydock.wire.registry import OperationRegistry
from drydock.wire.validation import validate_input

#: Query requests are small; IAM policy documents, the largest, are at most a few KB.
MAX_QUERY_BODY = 1024 * 1024


class InvalidAction(UnknownOperationError):
    """AWS's query services name an unknown or missing Action this way."""

    code = "InvalidAction"


class QueryService:
    protocol = Protocol.QUERY
    streams_body = False

    def __init__(self, registry: OperationRegistry, strict: bool = False) -> None:
        self.registry = registry
        self.strict = strict
        metadata = registry.model.metadata
        self.version: str = metadata["apiVersion"]
        self.namespace: str = metadata.get("xmlNamespace", "")

    async def handle(self, request: HttpRequest, ctx: RequestContext) -> HttpResponse:
        body = await request.read_body(MAX_QUERY_BODY)
        params = _form(request.query_string.encode("latin-1")) | _form(body)
        action = params.pop("Action", "")
        version = params.pop("Version", self.version)
        if not action:
            raise InvalidAction("The request must contain the parameter Action.")
        if action not in self.registry.model.operation_names or version != self.version:
            raise InvalidAction(f"Could not find operation {action} for version {version}")
        ctx.operation = action
        document = await to_thread.run_sync(self.call, ctx, params)
        return HttpResponse(status=200, headers=[("Content-Type", "text/xml")], body=document.encode("utf-8"))

    def call(self, ctx: RequestContext, params: dict[str, str]) -> str:
        """Decode, validate, run the handler and render the XML answer; runs on a worker thread."""
        operation = self.registry.model.operation_model(ctx.operation)
        shape = operation.input_shape
        decoded = _Decoder(params).structure(shape, "") if shape is not None else {}
        validated = validate_input(shape, decoded)
        handler = self.registry.require(ctx.operation)
        result = handler(ctx, validated)
        return self.render(operation, result, ctx.request_id)

    def render(self, operation: Any, result: dict[str, Any], request_id: str) -> str:
        name = operation.name
        xmlns = f' xmlns="{escape(self.namespace)}"' if self.namespace else ""
        parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<{name}Response{xmlns}>']
        shape = operation.output_shape
        if shape is not None:
            wrapper = shape.serialization.get("resultWrapper", f"{name}Result")
            parts.append(f"<{wrapper}>")
            _XmlWriter(parts, self.strict).members(shape, result, shape.name)
            parts.append(f"</{wrapper}>")
        parts.append(f"<ResponseMetadata><RequestId>{escape(request_id)}</RequestId></ResponseMetadata>")
        parts.append(f"</{name}Response>")
        return "".join(parts)


def _form(raw: bytes) -> dict[str, str]:
    if not raw:
        return {}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SerializationError("The request body is not UTF-8 form data") from None
    return dict(parse_qsl(text, keep_blank_values=True))


_MISSING = object()


class _Decoder:
    """Rebuilds nested input from flattened ``a.b.member.1`` keys, guided by the input shape."""

    def __init__(self, params: dict[str, str]) -> None:
        self.params = params
        # Every dotted prefix of every key, so "is anything under Foo.Bar" is one set lookup.
        self.prefixes: set[str] = set()
        for key in params:
            parts = key.split(".")
            for end in range(1, len(parts)):
                self.prefixes.add(".".join(parts[:end]))

    def structure(self, shape: Any, prefix: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            key = f"{prefix}{member.serialization.get('name', name)}"
            value = self.value(member, key)
            if value is not _MISSING:
                out[name] = value
        return out

    def value(self, shape: Any, key: str) -> Any:
        kind = shape.type_name
        if kind == "structure":
            return self.structure(shape, f"{key}.") if key in self.prefixes else _MISSING
        if kind == "list":
            return self._list(shape, key)
        if kind == "map":
            return self._map(shape, key)
        if key not in self.params:
            return _MISSING
        return _scalar(kind, self.params[key])

    def _indexes(self, base: str) -> list[int]:
        found: set[int] = set()
        for key in self.params:
            if key.startswith(f"{base}."):
                head = key[len(base) + 1 :].split(".", 1)[0]
                if head.isdigit():
                    found.add(int(head))
        return sorted(found)

    def _list(self, shape: Any, key: str) -> Any:
        flattened = shape.serialization.get("flattened", False)
        base = key if flattened else f"{key}.{shape.member.serialization.get('name', 'member')}"
        if base not in self.prefixes:
            # botocore sends an empty list as "Name=" with no members.
            return [] if self.params.get(key) == "" else _MISSING
        items = [self.value(shape.member, f"{base}.{index}") for index in self._indexes(base)]
        return [item for item in items if item is not _MISSING]

    def _map(self, shape: Any, key: str) -> Any:
        base = key if shape.serialization.get("flattened", False) else f"{key}.entry"
        if base not in self.prefixes:
            return _MISSING
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        out: dict[Any, Any] = {}
        for index in self._indexes(base):
            entry_key = self.value(shape.key, f"{base}.{index}.{key_name}")
            entry_value = self.value(shape.value, f"{base}.{index}.{value_name}")
            if entry_key is not _MISSING and entry_value is not _MISSING:
                out[entry_key] = entry_value
        return out


def _scalar(kind: str, text: str) -> Any:
    """Form values are text; anything that does not convert stays text for validation to report."""
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("float", "double"):
            return float(text)
    except ValueError:
        return text
    if kind == "boolean":
        return {"true": True, "false": False}.get(text.lower(), text)
    return text


class _XmlWriter:
    def __init__(self, parts: list[str], strict: bool) -> None:
        self.parts = parts
        self.strict = strict

    def members(self, shape: Any, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise InternalFailure(f"handler returned {type(value).__name__} for structure {path}")
        if self.strict:
            unknown = set(value) - set(shape.members)
            missing = [m for m in shape.required_members if value.get(m) is None]
            if unknown or missing:
                raise InternalFailure(f"{path}: unknown members {sorted(unknown)}, missing required {missing}")
        for name, member in shape.members.items():
            item = value.get(name)
            if item is not None:
                self.element(member, item, member.serialization.get("name", name), f"{path}.{name}")

    def element(self, shape: Any, value: Any, tag: str, path: str) -> None:
        kind = shape.type_name
        if kind == "list":
            member_tag = shape.member.serialization.get("name", "member")
            if shape.serialization.get("flattened", False):
                for item in value:
                    self.element(shape.member, item, tag, f"{path}[]")
                return
            self.parts.append(f"<{tag}>")
            for item in value:
                self.element(shape.member, item, member_tag, f"{path}[]")
            self.parts.append(f"</{tag}>")
            return
        if kind == "map":
            key_tag = shape.key.serialization.get("name", "key")
            value_tag = shape.value.serialization.get("name", "value")
            self.parts.append(f"<{tag}>")
            for key, item in value.items():
                self.parts.append(f"<entry><{key_tag}>{escape(str(key))}</{key_tag}>")
                self.element(shape.value, item, value_tag, f"{path}.{key}")
                self.parts.append("</entry>")
            self.parts.append(f"</{tag}>")
            return
        self.parts.append(f"<{tag}>")
        if kind == "structure":
            self.members(shape, value, path)
        else:
            self.parts.append(escape(_text(kind, value)))
        self.parts.append(f"</{tag}>")


def _text(kind: str, value: Any) -> str:
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        if not isinstance(value, dt.datetime):
            raise InternalFailure(f"not a timestamp: {value!r}")
        stamp = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        # Query services answer ISO 8601 in UTC, e.g. 2011-07-15T23:28:33.359Z.
        return stamp.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
    if kind == "blob":
        data = value.encode() if isinstance(value, str) else bytes(value)
        return base64.b64encode(data).decode("ascii")
    return str(value)
