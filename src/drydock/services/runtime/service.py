"""The sagemaker-runtime wire service: InvokeEndpoint, InvokeEndpointAsync and
InvokeEndpointWithResponseStream, routed to whichever :class:`EndpointRouter` hosting provides."""

from __future__ import annotations

from typing import Any

from drydock.errors import NotImplementedOperationError, RuntimeValidationError, ValidationError
from drydock.services.runtime.errors import UnknownRoute
from drydock.services.runtime.rest_routes import RestRoutes, parse_input, render_output
from drydock.serving.invocation import EndpointRouter, Invocation
from drydock.wire.context import RequestContext
from drydock.wire.error_responses import Protocol
from drydock.wire.http import HttpRequest, HttpResponse
from drydock.wire.json_shapes import ShapeSerializer
from drydock.wire.service_models import service_model
from drydock.wire.validation import validate_input

RUNTIME = "sagemaker-runtime"
#: The other APIs that sign as "sagemaker" without an X-Amz-Target; their routes are recognised so
#: that a call to them is named in a NotImplemented answer instead of being an unknown path.
SIBLINGS = ("sagemaker-featurestore-runtime", "sagemaker-metrics")
#: The most an invocation may carry (AWS: 6 MB for real-time and streaming invocations).
MAX_PAYLOAD = 6 * 1024 * 1024
#: The gateway reads the body before we see it, to check the signature; anything above this has
#: already been refused there.
MAX_BODY = 16 * 1024 * 1024
#: Valid combinations of an invocation's non-body members remembered (see ``_validated``).
MAX_REMEMBERED = 4096


class RuntimeService:
    protocol = Protocol.REST_JSON
    streams_body = False
    #: The service name shown in docs/coverage.md and the audit trail.
    service = RUNTIME

    def __init__(self, router: EndpointRouter, serializer: ShapeSerializer) -> None:
        self.router = router
        self.serializer = serializer
        self.model = service_model(RUNTIME)
        self.routes = RestRoutes((RUNTIME, *SIBLINGS))
        self._valid: dict[tuple[Any, ...], dict[str, Any]] = {}

    def _validated(self, shape: Any, raw: dict[str, Any]) -> dict[str, Any]:
        """``raw`` validated against the model. The members besides the body (endpoint name, content
        types, variant…) repeat from call to call, so a combination already found valid is not
        checked again: validation is a pure function of them, and it cost ~20 µs per invocation."""
        key = (shape.name, *((name, value) for name, value in raw.items() if name != "Body"))
        known = self._valid.get(key)
        if known is not None:
            return {**known, "Body": raw["Body"]} if "Body" in raw else dict(known)
        try:
            params = validate_input(shape, raw)
        except ValidationError as error:
            raise RuntimeValidationError(error.message) from None
        if len(self._valid) >= MAX_REMEMBERED:
            self._valid.clear()
        self._valid[key] = {name: value for name, value in params.items() if name != "Body"}
        return params

    def implemented(self) -> list[str]:
        """Every operation is routed and validated; one whose answer is an event stream cannot be
        rendered yet (wire/ has no event-stream encoder), so it is not counted as served."""
        return sorted(
            name
            for name in self.model.operation_names
            if not any(
                member.serialization.get("eventstream")
                for member in self.model.operation_model(name).output_shape.members.values()
            )
        )

    def modelled(self) -> list[str]:
        return sorted(self.model.operation_names)

    async def handle(self, request: HttpRequest, ctx: RequestContext) -> HttpResponse:
        match = self.routes.match(request.method, request.raw_path)
        if match is None:
            raise UnknownRoute(f"Unknown operation {request.method} {request.path}")
        operation = match.route.operation
        ctx.service, ctx.operation = match.route.service, operation
        # "CloudTrail does not monitor calls to InvokeEndpoint" (SageMaker developer guide): the
        # runtime's calls are data events, counted by the endpoint's Invocations metrics instead.
        ctx.audited = False
        if match.route.service != RUNTIME:
            raise NotImplementedOperationError(
                f"{operation} is part of the {match.route.service} API but Drydock does not implement it "
                "yet; see docs/coverage.md for what is served."
            )
        operation_model = self.model.operation_model(operation)
        body = await request.read_body(MAX_BODY)
        body_shape = operation_model.input_shape.members.get("Body")
        body_limit = body_shape.metadata.get("max", MAX_PAYLOAD) if body_shape else MAX_PAYLOAD
        if len(body) > body_limit:
            # Checked before anything else, as AWS's front door does, and worded as AWS words it.
            raise RuntimeValidationError(
                f"Received payload exceeds the maximum allowed size of {body_limit} bytes ({len(body)} bytes received)."
            )
        raw = parse_input(operation_model.input_shape, match, request, body)
        params = self._validated(operation_model.input_shape, raw)
        name = params["EndpointName"]
        ctx.resource = name
        account = ctx.principal.account or ctx.deps.account_id
        target = await self.router.find(account, ctx.region, name)
        if target is None:
            # AWS's exact answer for an endpoint that does not exist (or is not yet InService).
            raise RuntimeValidationError(f"Endpoint {name} of account {account} not found.")
        invocation = Invocation(operation, name, account, ctx.region, ctx.request_id, params)
        result = await target.invoke(invocation)
        status = int(operation_model.http.get("responseCode", 200))
        return render_output(operation_model.output_shape, result.params, status, self.serializer)
