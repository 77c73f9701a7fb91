"""The operation registry: one per AWS service we speak, filled by ``@api.operation(...)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drydock.wire.context import RequestContext
from drydock.wire.service_models import service_model

Handler = Callable[[RequestContext, dict[str, Any]], dict[str, Any]]


class OperationRegistry:
    """Maps operation names of one botocore service model to handler functions.

    A handler takes the request context and the validated, normalised input and returns a dict that
    is serialised through the output shape. Handlers are plain synchronous functions: the gateway runs
    them on a worker thread, so they may use the store and the object store directly.
    """

    def __init__(self, service: str) -> None:
        self.service = service
        self.model = service_model(service)
        self._handlers: dict[str, Handler] = {}

    def operation(self, name: str) -> Callable[[Handler], Handler]:
        if name not in self.model.operation_names:
            # Fail at import time: a typo here would otherwise surface as a 501 in production.
            raise KeyError(f"{self.service} has no operation {name!r} in its botocore model")

        def register(handler: Handler) -> Handler:
            if name in self._handlers:
                raise KeyError(f"{self.service}.{name} registered twice")
            self._handlers[name] = handler
            return handler

        return register

    def handler(self, name: str) -> Handler | None:
        return self._handlers.get(name)

    def implemented(self) -> list[str]:
        return sorted(self._handlers)

    def modelled(self) -> list[str]:
        return sorted(self.model.operation_names)
