"""``/_drydock/*``: health and Prometheus metrics (later, the web UI). No signature needed."""

from __future__ import annotations

import json
from collections.abc import Callable

from drydock.errors import ClientError
from drydock.wire.http import HttpRequest, HttpResponse

VERSION = "0.1.0"


class NotFound(ClientError):
    code = "NotFound"
    status = 404


class InternalRoutes:
    def __init__(self, ready: dict[str, bool], prometheus: Callable[[], str] | None = None) -> None:
        self.ready = ready
        #: Renders ``/_drydock/metrics`` in Prometheus' text format.
        self.prometheus = prometheus

    async def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/_drydock/health" and request.method in ("GET", "HEAD"):
            ok = self.ready.get("ready", False)
            body = json.dumps({"status": "ok" if ok else "starting", "version": VERSION}).encode()
            return HttpResponse(status=200 if ok else 503, headers=[("Content-Type", "application/json")], body=body)
        if request.path == "/_drydock/metrics" and request.method == "GET" and self.prometheus is not None:
            body = self.prometheus().encode()
            return HttpResponse(status=200, headers=[("Content-Type", "text/plain; version=0.0.4")], body=body)
        raise NotFound(f"No internal route {request.method} {request.path}")
