"""The operation registry: one per AWS service we speak, filled by ``@api.operation(...)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from drydock.errors import NotImplementedOperationError
from drydock.wire.context import RequestContext
from drydock.wire.service_models import service_model

Handler = Callable[[RequestContext, dict[str, Any]], dict[str, Any]]
#: The handler type a registry holds: JSON/query services use :data:`Handler`; S3 its async form.
H = TypeVar("H", bound=Callable[..., Any])


class GenericOperationRegistry(Generic[H]):
    """Maps operation names of one botocore service model to handler functions.

    A handler takes the request context and the validated, normalised input and returns a dict that
    is serialised through the output shape. Handlers are plain synchronous functions: the gateway runs
    them on a worker thread, so they may use the store and the object store directly.
    """

    def __init__(self, service: str) -> None:
        self.service = service
        self.model = service_model(service)
        self._handlers: dict[str, H] = {}

    def operation(self, name: str) -> Callable[[H], H]:
        if name not in self.model.operation_names:
            # Fail at import time: a typo here would otherwise surface as a 501 in production.
            raise KeyError(f"{self.service} has no operation {name!r} in its botocore model")

        def register(handler: H) -> H:
            if name in self._handlers:
                raise KeyError(f"{self.service}.{name} registered twice")
            self._handlers[name] = handler
            return handler

        return register

    def handler(self, name: str) -> H | None:
        return self._handlers.get(name)

    def require(self, name: str) -> H:
        """The handler of ``name``; a modelled operation without one is a clear 501, not a 500."""
        handler = self._handlers.get(name)
        if handler is None:
            raise NotImplementedOperationError(
                f"{name} is part of the {self.service} API but Drydock does not implement it yet; "
                "see docs/coverage.md for what is served."
            )
        return handler

    def implemented(self) -> list[str]:
        return sorted(self._handlers)

    def modelled(self) -> list[str]:
        return sorted(self.model.operation_names)


class OperationRegistry(GenericOperationRegistry[Handler]):
    """The registry of a service whose handlers are synchronous ``(ctx, request) -> dict``."""
