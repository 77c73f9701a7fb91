"""The S3 operation registry and what a handler receives (:class:`S3Call`) and returns (:class:`Reply`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from anyio import CapacityLimiter, to_thread

from drydock.objects.port import ObjectStore
from drydock.services.s3.integrity import VerifiedBody
from drydock.wire.context import RequestContext
from drydock.wire.http import HttpRequest, HttpResponse
from drydock.wire.service_models import service_model

T = TypeVar("T")


@dataclass
class S3Call:
    """One decoded S3 request: ``params`` holds the operation's input members by model name."""

    ctx: RequestContext
    request: HttpRequest
    params: dict[str, Any]
    store: ObjectStore
    #: Bounds the worker threads that S3 transfers hold, apart from the default pool that the other
    #: services' handlers use: a hundred slow uploads must not starve SageMaker calls.
    limiter: CapacityLimiter
    account_id: str
    region: str
    #: The upload body, once a handler opened it (the service checks whether it was read to its end).
    upload: VerifiedBody | None = None

    def upload_body(self) -> VerifiedBody:
        """The request body as a verified, decoded blocking stream (see ``integrity.py``)."""
        self.upload = VerifiedBody(self.request)
        return self.upload

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """Run a blocking ObjectStore call on a worker thread."""
        return await to_thread.run_sync(partial(function, *args), limiter=self.limiter)

    @property
    def bucket(self) -> str:
        return str(self.params.get("Bucket", ""))

    @property
    def key(self) -> str:
        return str(self.params.get("Key", ""))


@dataclass
class Reply:
    """Output members of the operation's output shape, and the status when not the model's."""

    output: dict[str, Any] = field(default_factory=dict)
    status: int | None = None


Handler = Callable[[S3Call], Awaitable[Reply | HttpResponse]]


class S3Api:
    """Maps S3 operation names of botocore's model to async handlers."""

    def __init__(self) -> None:
        self.service = "s3"
        self.model = service_model("s3")
        self._handlers: dict[str, Handler] = {}

    def operation(self, name: str) -> Callable[[Handler], Handler]:
        if name not in self.model.operation_names:
            raise KeyError(f"s3 has no operation {name!r} in its botocore model")

        def register(handler: Handler) -> Handler:
            if name in self._handlers:
                raise KeyError(f"s3.{name} registered twice")
            self._handlers[name] = handler
            return handler

        return register

    def handler(self, name: str) -> Handler | None:
        return self._handlers.get(name)

    def implemented(self) -> list[str]:
        return sorted(self._handlers)

    def modelled(self) -> list[str]:
        return sorted(self.model.operation_names)


s3_api = S3Api()
