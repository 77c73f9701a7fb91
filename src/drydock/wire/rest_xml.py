"""AWS rest-xml (S3's protocol), driven by the botocore service model.

- :class:`RestXmlRouter` finds the operation the way the model describes it: HTTP method, the
  ``requestUri`` path template (``/{Bucket}/{Key+}``) and the literal query keys in it (``?uploads``,
  ``?list-type=2``); among several candidates (PUT ``/{Bucket}/{Key+}`` is PutObject, CopyObject,
  UploadPart and UploadPartCopy) the one whose required header/query members are all present and
  most numerous wins, so ``x-amz-copy-source`` plus ``uploadId`` selects UploadPartCopy.
- :func:`decode_request` reads every input member from where the model puts it (uri label, header,
  ``x-amz-meta-*`` prefix, query string, XML payload). A streaming blob payload is left on the socket.
- :func:`encode_response` writes every output member to its place: headers (timestamps RFC 1123),
  status code, and an XML body (timestamps ISO 8601) whose elements follow the model's names,
  flattened lists and list-member names, exactly what botocore's parser walks.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import AsyncIterator, Mapping, Sequence
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import unquote
from xml.sax.saxutils import escape

from drydock.errors import InternalFailure, S3Error
from drydock.wire.http import HttpRequest, HttpResponse

S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
_LABEL = re.compile(r"\{([A-Za-z0-9_]+)(\+?)\}")


class _Template:
    def __init__(self, operation: Any, rank: int) -> None:
        self.operation = operation
        self.rank = rank
        path, _, query = operation.http["requestUri"].partition("?")
        self.pattern = re.compile(_path_regex(path))
        self.literal_query: dict[str, str | None] = {}
        for item in filter(None, query.split("&")):
            key, eq, value = item.partition("=")
            self.literal_query[key] = value if eq else None
        self.required: list[tuple[str, str]] = []
        shape = operation.input_shape
        for name in shape.required_members if shape is not None else []:
            member = shape.members[name]
            location = member.serialization.get("location")
            if location in ("header", "querystring"):
                self.required.append((location, member.serialization.get("name", name)))


class RestXmlRouter:
    """Maps a request to ``(operation model, uri labels)``; thread-safe once built."""

    def __init__(self, model: Any, preferred: Sequence[str] = ()) -> None:
        self._by_method: dict[str, list[_Template]] = {}
        for name in model.operation_names:
            operation = model.operation_model(name)
            # Preferred operations beat their aliases; deprecated ones lose (GetBucketLifecycle).
            rank = 2 if name in preferred else 0 if operation.deprecated else 1
            self._by_method.setdefault(operation.http["method"], []).append(_Template(operation, rank))

    def route(self, request: HttpRequest) -> tuple[Any, dict[str, str]] | None:
        query = {key: value for key, value in reversed(request.query)}
        best: tuple[tuple[int, int, int], _Template, re.Match[str]] | None = None
        for template in self._by_method.get(request.method, []):
            match = template.pattern.match(request.raw_path or "/")
            if match is None or not _has_literals(template, query):
                continue
            if not all(_present(request, query, where, name) for where, name in template.required):
                continue
            score = (len(template.literal_query), len(template.required), template.rank)
            if best is None or score > best[0]:
                best = (score, template, match)
        if best is None:
            return None
        labels = {name: unquote(value) for name, value in best[2].groupdict().items()}
        return best[1].operation, labels


def decode_request(
    operation: Any, request: HttpRequest, labels: Mapping[str, str], payload: bytes | None = None
) -> dict[str, Any]:
    """The operation's input members found in the request. ``payload`` is the body of an operation
    whose payload is an XML structure (DeleteObjects, CompleteMultipartUpload, CreateBucket)."""
    shape = operation.input_shape
    if shape is None:
        return {}
    params: dict[str, Any] = {}
    payload_name = shape.serialization.get("payload")
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        value: Any = None
        if location == "uri":
            value = labels.get(wire)
        elif location == "header":
            raw = request.headers.get(wire.lower())
            value = None if raw is None else _scalar(member, raw, wire, header=True)
        elif location == "headers":
            prefix = wire.lower()
            found = {k[len(prefix) :]: v for k, v in request.headers.items() if k.startswith(prefix)}
            value = found or None
        elif location == "querystring":
            values = [v for k, v in request.query if k == wire]
            if values and member.type_name == "list":
                value = [_scalar(member.member, v, wire) for v in values]
            elif values and member.type_name != "map":
                value = _scalar(member, values[0], wire)
        elif name == payload_name and member.type_name == "structure" and payload:
            value = _parse_payload(member, payload)
        if value is not None:
            params[name] = value
    return params


def encode_response(operation: Any, output: Mapping[str, Any], root: str, *, strict: bool = False) -> HttpResponse:
    """Serialise ``output`` (a dict of output-shape members) into a rest-xml response. A streaming
    blob payload may be ``bytes`` or an async iterator of bytes."""
    status = int(operation.http.get("responseCode", 200))
    shape = operation.output_shape
    response = HttpResponse(status=status)
    if shape is None:
        return response
    if strict:
        unknown = set(output) - set(shape.members)
        if unknown:
            raise InternalFailure(f"{operation.name} output has members the model lacks: {sorted(unknown)}")
    payload_name = shape.serialization.get("payload")
    body_members: dict[str, Any] = {}
    body: bytes | AsyncIterator[bytes] = b""
    for name, member in shape.members.items():
        value = output.get(name)
        if value is None:
            continue
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "header":
            response.headers.append((wire, _header_value(member, value)))
        elif location == "headers":
            response.headers.extend((f"{wire}{k}", _latin1(str(v))) for k, v in value.items())
        elif location == "statusCode":
            response.status = int(value)
        elif name == payload_name and member.type_name in ("blob", "string"):
            body = value.encode() if isinstance(value, str) else value
        elif name == payload_name:
            body = xml_document(member.serialization.get("name", name), member, value)
            response.headers.append(("Content-Type", "application/xml"))
        else:
            body_members[name] = value
    if payload_name is None and body_members:
        body = xml_document(root, shape, body_members)
        response.headers.append(("Content-Type", "application/xml"))
    response.body = body
    return response


def xml_document(root: str, shape: Any, value: Mapping[str, Any]) -> bytes:
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n', f'<{root} xmlns="{S3_NAMESPACE}">']
    _write_members(shape, value, out)
    out.append(f"</{root}>")
    return "".join(out).encode("utf-8")


# --- XML writing ---------------------------------------------------------------------------------


def _write_members(shape: Any, value: Mapping[str, Any], out: list[str]) -> None:
    for name, member in shape.members.items():
        item = value.get(name)
        if item is None or member.serialization.get("location"):
            continue
        tag = member.serialization.get("name", name)
        if member.type_name == "list" and member.serialization.get("flattened"):
            tag = member.member.serialization.get("name", tag)
            for element in item:
                _write(tag, member.member, element, out)
        else:
            _write(tag, member, item, out)


def _write(tag: str, shape: Any, value: Any, out: list[str]) -> None:
    kind = shape.type_name
    if kind == "structure":
        out.append(f"<{tag}>")
        _write_members(shape, value, out)
        out.append(f"</{tag}>")
    elif kind == "list":
        child = shape.member.serialization.get("name", "member")
        out.append(f"<{tag}>")
        for element in value:
            _write(child, shape.member, element, out)
        out.append(f"</{tag}>")
    else:
        out.append(f"<{tag}>{escape(_text(shape, value))}</{tag}>")


def _text(shape: Any, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return _iso(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value)


def _header_value(member: Any, value: Any) -> str:
    if isinstance(value, dt.datetime):
        if member.serialization.get("timestampFormat") == "iso8601":
            return _iso(value)
        return format_datetime(value.astimezone(dt.UTC), usegmt=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return _latin1(str(value))


def _latin1(value: str) -> str:
    """HTTP header values are Latin-1; S3 sends other text RFC 2047-encoded, as botocore expects."""
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return f"=?UTF-8?B?{base64.b64encode(value.encode()).decode('ascii')}?="
    return value


def _iso(value: dt.datetime) -> str:
    value = value.astimezone(dt.UTC) if value.tzinfo else value
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


# --- request parsing -----------------------------------------------------------------------------


def _path_regex(path: str) -> str:
    regex, position = "^", 0
    for match in _LABEL.finditer(path):
        regex += re.escape(path[position : match.start()])
        regex += f"(?P<{match[1]}>.+)" if match[2] else f"(?P<{match[1]}>[^/]+)"
        position = match.end()
    tail = path[position:]
    # "/{Bucket}" also answers "/bucket/": S3 treats an empty key as the bucket itself.
    return regex + re.escape(tail) + ("/?$" if not tail and position else "$")


def _has_literals(template: _Template, query: Mapping[str, str]) -> bool:
    for key, value in template.literal_query.items():
        if key not in query or (value is not None and query[key] != value):
            return False
    return True


def _present(request: HttpRequest, query: Mapping[str, str], where: str, name: str) -> bool:
    return name.lower() in request.headers if where == "header" else name in query


def _scalar(shape: Any, raw: str, wire: str, header: bool = False) -> Any:
    kind = shape.type_name
    if kind in ("integer", "long"):
        try:
            return int(raw.strip())
        except ValueError:
            raise S3Error("InvalidArgument", f"{wire} must be an integer, not {raw[:64]!r}", 400) from None
    if kind == "boolean":
        return raw.strip().lower() == "true"
    if kind == "timestamp":
        return _timestamp(raw)
    if kind == "list" and header:
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


def _timestamp(raw: str) -> dt.datetime | None:
    """RFC 1123 or ISO 8601; an unparseable date is ignored, as HTTP says of If-Modified-Since."""
    try:
        return parsedate_to_datetime(raw).astimezone(dt.UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    try:
        parsed = dt.datetime.fromisoformat(raw.strip())
        return parsed.astimezone(dt.UTC) if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    except (ValueError, OverflowError):
        return None


def _parse_payload(shape: Any, payload: bytes) -> dict[str, Any]:
    # No DTDs: S3 accepts none, and refusing them rules out entity-expansion attacks.
    if b"<!DOCTYPE" in payload or b"<!ENTITY" in payload:
        raise S3Error("MalformedXML", "The XML you provided was not well-formed.", 400)
    try:
        root = ElementTree.fromstring(payload)
    except ElementTree.ParseError:
        raise S3Error("MalformedXML", "The XML you provided was not well-formed.", 400) from None
    value = _read(shape, root)
    return value if isinstance(value, dict) else {}


def _read(shape: Any, element: ElementTree.Element) -> Any:
    kind = shape.type_name
    if kind == "structure":
        children: dict[str, list[ElementTree.Element]] = {}
        for child in element:
            children.setdefault(_local(child.tag), []).append(child)
        result: dict[str, Any] = {}
        for name, member in shape.members.items():
            tag = member.serialization.get("name", name)
            if member.type_name == "list" and member.serialization.get("flattened"):
                found = children.get(member.member.serialization.get("name", tag), [])
                if found:
                    result[name] = [_read(member.member, item) for item in found]
            elif tag in children:
                result[name] = _read(member, children[tag][0])
        return result
    if kind == "list":
        child_tag = shape.member.serialization.get("name", "member")
        return [_read(shape.member, child) for child in element if _local(child.tag) == child_tag]
    return _scalar(shape, (element.text or "").strip() if kind != "string" else element.text or "", element.tag)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]
