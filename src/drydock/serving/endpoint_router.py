"""InvokeEndpoint's path through hosting: pick a variant by weight (or TargetVariant), pick its replica
with the fewest outstanding requests, and forward the call to the model server.

The forwarding runs on the server's event loop over pooled keep-alive connections (a lean client,
:mod:`drydock.serving.replica_client`), so the hop adds little. Failures come back as SageMaker words them:
- a model answering non-2xx → ``ModelError`` (424) with OriginalStatusCode/OriginalMessage;
- no answer within the invocation timeout (default 60 s, ``DRYDOCK_INVOCATION_TIMEOUT_SECONDS``) →
  ``ModelError`` with SageMaker's "Your invocation timed out" message;
- a replica that dies with the request in flight → ``ModelError`` at once (the connection drops; the
  request is never retried, since it may have had effects), and the replica is taken out of rotation
  before the reconciler replaces it;
- no ready replica (all of a variant's replicas are being replaced) → the call waits for one, up to the
  timeout, then ``ServiceUnavailable`` (botocore retries 503s).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from drydock.core.arns import sagemaker_arn
from drydock.errors import ModelError, RuntimeValidationError, ServiceUnavailable
from drydock.serving.endpoint_metrics import EndpointMetrics
from drydock.serving.invocation import InferenceTarget, Invocation, InvocationResult
from drydock.serving.live_endpoint import LiveEndpoint, ReplicaSlot, VariantPool
from drydock.serving.replica_client import ReplicaClient, ReplicaConnectionError

LOG_GROUP_PREFIX = "/aws/sagemaker/Endpoints/"
#: How often a call that found no ready replica looks again.
WAIT_INTERVAL_SECONDS = 0.02
#: Headers of the serving contract passed from the invocation to the container.
_FORWARDED = {
    "CustomAttributes": "X-Amzn-SageMaker-Custom-Attributes",
    "TargetModel": "X-Amzn-SageMaker-Target-Model",
    "InferenceId": "X-Amzn-SageMaker-Inference-Id",
}


class HostedEndpoints:
    """The runtime's :class:`~drydock.serving.invocation.EndpointRouter`: endpoints the reconciler
    has brought up in this process, by ARN."""

    def __init__(self, metrics: EndpointMetrics, timeout_seconds: float) -> None:
        self.metrics = metrics
        self.timeout_seconds = timeout_seconds
        #: Called (from the event loop) when a request finds a replica dead; the composition root points
        #: it at the endpoint reconciler's ``wake``, which is built after the router.
        self.on_broken: Callable[[], None] = lambda: None
        self._live: dict[str, LiveEndpoint] = {}
        self._client = ReplicaClient()

    # --- the reconciler's side (any thread) ------------------------------------------------------

    def publish(self, live: LiveEndpoint) -> None:
        """Serve ``live`` from now on (replacing whatever was published under its ARN)."""
        self._live = {**self._live, live.arn: live}

    def withdraw(self, arn: str) -> LiveEndpoint | None:
        live = self._live.get(arn)
        self._live = {k: v for k, v in self._live.items() if k != arn}
        return live

    def get(self, arn: str) -> LiveEndpoint | None:
        return self._live.get(arn)

    def all(self) -> list[LiveEndpoint]:
        return list(self._live.values())

    # --- the runtime's side (event loop) ---------------------------------------------------------

    async def find(self, account_id: str, region: str, endpoint_name: str) -> InferenceTarget | None:
        live = self._live.get(sagemaker_arn(region, account_id, "endpoint", endpoint_name))
        return None if live is None else _Target(self, live)

    async def close(self) -> None:
        self._client.close()

    async def invoke(self, live: LiveEndpoint, invocation: Invocation) -> InvocationResult:
        arrived = time.perf_counter()
        params = invocation.params
        target_variant = params.get("TargetVariant")
        pool = live.choose(target_variant)
        if pool is None:
            if target_variant is not None:
                raise RuntimeValidationError(
                    f"Variant {target_variant} not found for endpoint {live.name}; its variants are "
                    f"{', '.join(sorted(live.variants))}."
                )
            raise RuntimeValidationError(f"Endpoint {live.name} has no variant with a weight above zero.")
        slot = pool.pick() or await self._wait_for_replica(live, pool, arrived)
        headers = {"Content-Type": params.get("ContentType") or "application/octet-stream"}
        if params.get("Accept"):
            headers["Accept"] = params["Accept"]
        for member, header in _FORWARDED.items():
            if params.get(member):
                headers[header] = str(params[member])
        remaining = self.timeout_seconds - (time.perf_counter() - arrived)
        slot.outstanding += 1
        sent = time.perf_counter()
        try:
            answer = await self._client.post(
                slot.replica.url, "/invocations", params.get("Body") or b"", headers, max(remaining, 0.001)
            )
            body, status = answer.body, answer.status
            content_type = answer.headers.get("content-type")
            custom = answer.headers.get("x-amzn-sagemaker-custom-attributes")
        except TimeoutError:
            self._record(live, pool, None, arrived, 5)
            raise self._model_error(
                live,
                0,
                "Your invocation timed out while waiting for a response from container primary. Review the "
                "latency metrics for each container in Amazon CloudWatch, resolve the issue, and try again.",
            ) from None
        except ReplicaConnectionError as exc:
            # The replica died (or its connection broke) with the request in flight.
            slot.broken = True
            self._client.forget(slot.replica.url)
            self.on_broken()
            self._record(live, pool, None, arrived, 5)
            raise self._model_error(
                live,
                0,
                f"The model server of instance {slot.instance_id} (variant {pool.name}) stopped while handling "
                f"the request ({exc}); it is being replaced.",
            ) from None
        finally:
            slot.outstanding -= 1
        model_seconds = time.perf_counter() - sent
        if not 200 <= status < 300:
            self._record(live, pool, model_seconds, arrived, 4 if status < 500 else 5)
            raise self._model_error(live, status, body.decode("utf-8", "replace"))
        self._record(live, pool, model_seconds, arrived, None)
        result = {"Body": body, "ContentType": content_type, "InvokedProductionVariant": pool.name}
        if custom is not None:
            result["CustomAttributes"] = custom
        return InvocationResult(result)

    async def _wait_for_replica(self, live: LiveEndpoint, pool: VariantPool, arrived: float) -> ReplicaSlot:
        deadline = arrived + self.timeout_seconds
        while time.perf_counter() < deadline:
            await asyncio.sleep(WAIT_INTERVAL_SECONDS)
            # An update may have replaced the endpoint's pools meanwhile: look the variant up afresh.
            latest = self._live.get(live.arn, live)
            slot = latest.variants.get(pool.name, pool).pick()
            if slot is not None:
                return slot
        raise ServiceUnavailable(
            f"No instance of variant {pool.name} of endpoint {live.name} became ready within "
            f"{self.timeout_seconds:.0f} seconds; retry later."
        )

    def _record(
        self, live: LiveEndpoint, pool: VariantPool, model_seconds: float | None, arrived: float, error: int | None
    ) -> None:
        total = time.perf_counter() - arrived
        overhead = total - (model_seconds or 0.0)
        self.metrics.invocation(live.name, pool.name, len(pool.slots), model_seconds, overhead, error)

    def _model_error(self, live: LiveEndpoint, status: int, message: str) -> ModelError:
        region, account = live.arn.split(":")[3:5]
        group = LOG_GROUP_PREFIX + live.name
        kind = "client" if 400 <= status < 500 else "server"
        return ModelError(
            f'Received {kind} error ({status}) from primary with message "{message}". See '
            f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#logEventViewer:group={group} "
            f"in account {account} for more information.",
            original_status=status,
            original_message=message,
            log_stream_arn=f"arn:aws:logs:{region}:{account}:log-group:{group}",
        )


class _Target:
    def __init__(self, router: HostedEndpoints, live: LiveEndpoint) -> None:
        self.router = router
        self.live = live

    async def invoke(self, invocation: Invocation) -> InvocationResult:
        return await self.router.invoke(self.live, invocation)
