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
from drydock.wire.registry import GenericOperationRegistry

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


#: Maps S3 operation names of botocore's model to async handlers.
S3Api = GenericOperationRegistry[Handler]


s3_api = S3Api("s3")
