"""The port between the runtime wire service and whatever hosts endpoints.

The runtime service (``services/runtime``) parses and validates an invocation, then asks an
:class:`EndpointRouter` for the endpoint by name. Hosting implements it
(:class:`drydock.serving.endpoint_router.HostedEndpoints`); :class:`NoEndpoints` answers every
invocation as AWS answers one for an endpoint that does not exist. The types live here, in
``serving``, because services may import serving's ports but serving never imports services.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Invocation:
    """One validated runtime call.

    ``params`` holds the operation's input members under their model names (``Body`` is ``bytes``,
    ``ContentType``, ``Accept``, ``CustomAttributes``, ``TargetModel``, ``TargetVariant``,
    ``InferenceId``, ...), exactly as botocore's ``invoke_endpoint`` takes them.
    """

    operation: str
    endpoint_name: str
    account_id: str
    region: str
    request_id: str
    params: Mapping[str, Any]


@dataclass
class InvocationResult:
    """The operation's output members under their model names.

    InvokeEndpoint: ``Body`` (bytes), ``ContentType``, ``InvokedProductionVariant``,
    ``CustomAttributes``, ``NewSessionId``, ``ClosedSessionId``. InvokeEndpointAsync: ``InferenceId``,
    ``OutputLocation``, ``FailureLocation``. Members left ``None`` are not sent.
    """

    params: dict[str, Any] = field(default_factory=dict)


class InferenceTarget(Protocol):
    """One endpoint that can take invocations."""

    async def invoke(self, invocation: Invocation) -> InvocationResult:
        """Run ``invocation`` on the endpoint and return its output members.

        Called on the event loop for every request, concurrently: must not block (run blocking
        work in a worker thread). Raises ``drydock.errors`` subclasses for client-visible failures
        (the container's error as ModelError, HTTP 424; a variant that is not ready, ...).
        """
        ...


class EndpointRouter(Protocol):
    """Finds the endpoint an invocation is addressed to."""

    async def find(self, account_id: str, region: str, endpoint_name: str) -> InferenceTarget | None:
        """The endpoint called ``endpoint_name`` in that account and region, or ``None`` when there is
        none (or it is not InService yet). Called concurrently on the event loop; must not block.
        Raises nothing for a missing endpoint: the runtime service words that error as AWS does."""
        ...


class NoEndpoints:
    """A router without endpoints (a server built without hosting, and unit tests)."""

    async def find(self, account_id: str, region: str, endpoint_name: str) -> InferenceTarget | None:
        return None
