"""Routing, input parsing and output rendering for rest-json services, driven by botocore's models.

A rest-json operation is addressed by its ``http`` trait (method and ``requestUri`` template such as
``/endpoints/{EndpointName}/invocations``); its input members come from URI labels, headers, the query
string and the body as each member's ``location`` says, and its output goes back the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, unquote

from drydock.errors import NotImplementedOperationError, SerializationError
from drydock.wire.http import HttpRequest, HttpResponse
from drydock.wire.json_shapes import ShapeSerializer
from drydock.wire.service_models import service_model

_LABEL = re.compile(r"\{([A-Za-z0-9_]+)(\+?)\}")


@dataclass(frozen=True)
class RestRoute:
    service: str
    operation: str
    method: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class RouteMatch:
    route: RestRoute
    #: URI label values, percent-decoded, by the label's wire name.
    labels: dict[str, str]


def _compile(request_uri: str) -> re.Pattern[str]:
    path = request_uri.partition("?")[0]
    regex, position = "", 0
    for label in _LABEL.finditer(path):
        regex += re.escape(path[position : label.start()])
        # "{Key+}" is greedy and spans segments; "{Name}" is exactly one non-empty segment.
        regex += f"(?P<{label.group(1)}>.+)" if label.group(2) else f"(?P<{label.group(1)}>[^/]+)"
        position = label.end()
    regex += re.escape(path[position:])
    return re.compile(regex)


class RestRoutes:
    """Every operation of the given rest-json services, matched by method and raw path."""

    def __init__(self, services: Iterable[str]) -> None:
        self.routes: list[RestRoute] = []
        for service in services:
            model = service_model(service)
            for operation in model.operation_names:
                http = model.operation_model(operation).http
                self.routes.append(RestRoute(service, operation, http["method"], _compile(http["requestUri"])))

    def match(self, method: str, raw_path: str) -> RouteMatch | None:
        # Matched on the path as sent, so that an encoded "/" (%2F) stays inside its label.
        for route in self.routes:
            if route.method != method:
                continue
            found = route.pattern.fullmatch(raw_path)
            if found:
                return RouteMatch(route, {k: unquote(v) for k, v in found.groupdict().items()})
        return None


@dataclass(frozen=True)
class _Member:
    name: str
    #: Where the member travels: "uri", "header", "querystring", "" for the JSON body.
    location: str
    wire: str
    type_name: str
    eventstream: bool


@dataclass(frozen=True)
class _ShapePlan:
    """A shape's members as parsing and rendering walk them, read off the model once (the model's
    ``serialization`` dictionaries cost ~30 lookups a call on every InvokeEndpoint otherwise)."""

    members: tuple[_Member, ...]
    payload: _Member | None


@lru_cache(maxsize=512)
def _plan(shape: Any) -> _ShapePlan:
    members = tuple(
        _Member(
            name,
            member.serialization.get("location", ""),
            member.serialization.get("name", name),
            member.type_name,
            bool(member.serialization.get("eventstream")),
        )
        for name, member in shape.members.items()
    )
    payload_name = shape.serialization.get("payload")
    payload = next((m for m in members if m.name == payload_name), None) if payload_name else None
    return _ShapePlan(members, payload)


def parse_input(shape: Any, match: RouteMatch, request: HttpRequest, body: bytes) -> dict[str, Any]:
    """The operation's input members by model name, still unvalidated (headers stay text unless the
    member is numeric or boolean and the text parses as one, so that validation names bad values)."""
    params: dict[str, Any] = {}
    if shape is None:
        return params
    plan = _plan(shape)
    query = dict(parse_qsl(request.query_string, keep_blank_values=True)) if request.query_string else {}
    headers = request.headers
    for member in plan.members:
        location, wire = member.location, member.wire
        if location == "header":
            text = headers.get(wire.lower())
            if text is not None:
                params[member.name] = _from_text(member.type_name, text)
        elif location == "uri":
            if wire in match.labels:
                params[member.name] = match.labels[wire]
        elif location == "querystring" and wire in query:
            params[member.name] = _from_text(member.type_name, query[wire])
    payload = plan.payload
    if payload is not None:
        if payload.type_name == "blob":
            params[payload.name] = body
        elif payload.type_name == "string":
            params[payload.name] = body.decode("utf-8", "replace")
        elif body.strip():
            params[payload.name] = _json(body)
    elif body.strip():
        document = _json(body)
        if not isinstance(document, dict):
            raise SerializationError("Request body must be a JSON object")
        for member in plan.members:
            if not member.location and member.wire in document:
                params[member.name] = document[member.wire]
    return params


def render_output(shape: Any, result: dict[str, Any], status: int, serializer: ShapeSerializer) -> HttpResponse:
    """Headers for header members, the payload member as the raw body (or JSON for the other members)."""
    response = HttpResponse(status=status)
    if shape is None:
        return response
    plan = _plan(shape)
    body_members: dict[str, Any] = {}
    for member in plan.members:
        value = result.get(member.name)
        if value is None:
            continue
        if member.location == "header":
            # Headers travel latin-1 encoded; a character beyond it cannot be sent at all.
            response.headers.append((member.wire, _latin1(_to_text(value))))
        else:
            body_members[member.name] = value
    payload = plan.payload
    if payload is not None:
        value = body_members.get(payload.name)
        if payload.eventstream:
            raise NotImplementedOperationError("Streaming responses (event streams) are not served yet")
        if payload.type_name == "blob":
            response.body = bytes(value or b"")
        elif value is not None:
            response.body = json.dumps(serializer.serialize(shape.members[payload.name], value)).encode()
            response.headers.append(("Content-Type", "application/json"))
        return response
    document = serializer.serialize(shape, {k: v for k, v in body_members.items()})
    response.body = json.dumps(document).encode()
    response.headers.append(("Content-Type", "application/json"))
    return response


def _from_text(kind: str, text: str) -> Any:
    if kind in ("integer", "long"):
        try:
            return int(text)
        except ValueError:
            return text
    if kind in ("float", "double"):
        try:
            return float(text)
        except ValueError:
            return text
    if kind == "boolean" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def _to_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _latin1(text: str) -> str:
    return text if text.isascii() else text.encode("latin-1", "replace").decode("latin-1")


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise SerializationError(f"Request body is not valid JSON: {str(exc)[:200]}") from None
