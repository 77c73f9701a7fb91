"""Drives endpoints: brings replicas up and down so the world matches the stored desired state.

Runs on its own thread and knows nothing of HTTP. CreateEndpoint, UpdateEndpoint,
UpdateEndpointWeightsAndCapacities and DeleteEndpoint only write the store (status Creating, Updating
or Deleting); each pass here starts one operation thread per endpoint that needs work:
- Creating → start every variant's replicas in parallel, publish the endpoint to the router, InService
  (or Failed with the reason, e.g. a model server that never passed its health check);
- Updating with a pending configuration → start the new variants next to the old ones, switch the
  router to them in one step, let the old replicas finish their requests, stop them: no request fails;
- Updating without one → apply DesiredWeight at once and DesiredInstanceCount by adding or draining
  replicas;
- Deleting → withdraw from the router, stop the replicas, delete the record;
- an endpoint the store says is serving but this process has no replicas for (the server restarted)
  → SystemUpdating, replicas started again, InService, without the user doing anything.
Between operations each pass checks every replica: one that died is taken out of rotation and a
replacement is started (retried with a pause if it fails); replica logs and metrics are flushed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from drydock.engine.reconcile_loop import ReconcileLoop
from drydock.serving.commands import UnknownServingImage
from drydock.serving.endpoint_metrics import MetricSink
from drydock.serving.endpoint_record import DEPLOYMENT, PENDING, EndpointRecord
from drydock.serving.endpoint_router import HostedEndpoints
from drydock.serving.endpoint_status import EndpointStatus
from drydock.serving.live_endpoint import LiveEndpoint, ReplicaSlot, VariantPool
from drydock.serving.model_artifacts import ModelDataError
from drydock.serving.replica_factory import ReplicaFactory
from drydock.serving.replicas.port import Replica, ReplicaFailed
from drydock.store.resources import Resource, ResourceRepository

log = logging.getLogger("drydock.serving")

KIND = "endpoint"
POLL_SECONDS = 0.1
METRICS_FLUSH_SECONDS = 1.0
#: SIGTERM grace for a replica being retired (its requests have drained by then).
STOP_GRACE_SECONDS = 5.0
#: How long an update waits for the old replicas' in-flight requests before stopping them.
DRAIN_SECONDS = 60.0
#: Pause before trying again to replace a replica whose replacement failed to start.
REPLACE_RETRY_SECONDS = 2.0

_WATCHED = [s.value for s in EndpointStatus if s != EndpointStatus.FAILED]


class DeploymentFailed(Exception):
    """The variants could not be brought up; the message is the FailureReason."""


class EndpointReconciler:
    def __init__(
        self, repository: ResourceRepository, router: HostedEndpoints, factory: ReplicaFactory, metrics: MetricSink
    ) -> None:
        self.repository = repository
        self.router = router
        self.factory = factory
        self.publish_metrics = metrics
        self._busy: dict[str, threading.Thread] = {}
        self._starting: dict[int, int] = {}  # id(pool) → replacements being started
        self._lock = threading.Lock()
        self._last_metrics = 0.0
        self._loop = ReconcileLoop("endpoint-reconciler", self.reconcile, POLL_SECONDS, log)
        self._stop = self._loop.stopping

    def start(self) -> None:
        self._loop.start()

    def wake(self) -> None:
        """Look at the store now (after a Create/Update/Delete call) instead of at the next poll."""
        self._loop.wake()

    def close(self) -> None:
        """Stop the loop and every replica (the endpoints come back on the next start)."""
        self._loop.close()
        for live in self.router.all():
            self.router.withdraw(live.arn)
            self._stop_pools(list(live.variants.values()), grace=STOP_GRACE_SECONDS)
        self.factory.flush_logs()
        self.publish_metrics(self.router.metrics.drain(everything=True))

    def reconcile(self) -> None:
        for listed in self.repository.in_status(KIND, _WATCHED):
            with self._lock:
                if listed.name in self._busy:
                    continue
            if self._work_for(listed) is None:
                continue
            # Read it again now that no operation runs on it: an operation that finished between the
            # listing and the check above wrote after the listing, and acting on the listed copy would
            # redo that operation from stale state (a second Creating pass overwrote an update made
            # meanwhile). Only this thread starts operations, so this read is not stale.
            endpoint = self.repository.get(listed.arn)
            if endpoint is None or endpoint.status not in _WATCHED:
                continue
            work = self._work_for(endpoint)
            if work is not None:
                self._run(endpoint, work)
        for live in self.router.all():
            self._check_replicas(live)
        self.factory.flush_logs()
        if time.monotonic() - self._last_metrics >= METRICS_FLUSH_SECONDS:
            self._last_metrics = time.monotonic()
            self.publish_metrics(self.router.metrics.drain())

    def _work_for(self, endpoint: Resource) -> Callable[[EndpointRecord, dict[str, Any]], None] | None:
        status = EndpointStatus(endpoint.status or EndpointStatus.CREATING)
        live = self.router.get(endpoint.arn)
        if status == EndpointStatus.DELETING:
            return self._delete
        if status == EndpointStatus.CREATING:
            return self._create
        if live is None:
            return self._recover  # serving in the store, nothing running here: the server restarted
        if status == EndpointStatus.UPDATING:
            return self._update
        return None

    def _run(self, endpoint: Resource, work: Callable[[EndpointRecord, dict[str, Any]], None]) -> None:
        record = EndpointRecord(self.repository, endpoint.arn, endpoint.name)

        def body() -> None:
            try:
                work(record, dict(endpoint.document))
            except Exception as exc:  # an engine fault ends the operation with a reason, never hangs it
                log.exception("endpoint=%s operation failed", endpoint.name)
                self._engine_fault(record, exc)
            finally:
                with self._lock:
                    self._busy.pop(endpoint.name, None)
                self._loop.wake()

        thread = threading.Thread(target=body, name=f"endpoint-{endpoint.name}", daemon=True)
        with self._lock:
            self._busy[endpoint.name] = thread
        thread.start()

    def _engine_fault(self, record: EndpointRecord, exc: Exception) -> None:
        reason = f"InternalServerError: {type(exc).__name__}: {exc}"
        doc = record.document()
        if doc is None:
            return
        status = EndpointStatus(doc["EndpointStatus"])
        try:
            if status == EndpointStatus.UPDATING and self.router.get(record.arn) is not None:
                record.update_failed(f"Failed to update endpoint: {reason}")
            elif status in (EndpointStatus.CREATING, EndpointStatus.UPDATING, EndpointStatus.SYSTEM_UPDATING):
                record.fail(reason)
            # Deleting is simply tried again on the next pass.
        except Exception:
            log.exception("endpoint=%s could not record its failure", record.name)

    # --- operations ---------------------------------------------------------------------------------

    def _create(self, record: EndpointRecord, doc: dict[str, Any]) -> None:
        deployment = doc[DEPLOYMENT]
        counts, weights = _desired(doc)
        try:
            pools = self._deploy(record.name, deployment, counts, weights)
        except DeploymentFailed as exc:
            log.warning("endpoint=%s failed: %s", record.name, exc)
            record.fail(str(exc))
            return
        if self._deleted_meanwhile(record, pools):
            return
        self.router.publish(LiveEndpoint(record.name, record.arn, deployment["EndpointConfigName"], pools))
        record.in_service(deployment, counts, weights)
        log.info("endpoint=%s in service", record.name)

    def _recover(self, record: EndpointRecord, doc: dict[str, Any]) -> None:
        log.info("endpoint=%s was serving when the server stopped; starting its replicas again", record.name)
        status = EndpointStatus(doc["EndpointStatus"])
        if status == EndpointStatus.IN_SERVICE:
            record.system_updating()
        deployment = doc[DEPLOYMENT]
        counts, weights = _current(doc)
        try:
            pools = self._deploy(record.name, deployment, counts, weights)
        except DeploymentFailed as exc:
            record.fail(f"The endpoint could not be restarted after a server restart: {exc}")
            return
        if self._deleted_meanwhile(record, pools):
            return
        self.router.publish(LiveEndpoint(record.name, record.arn, deployment["EndpointConfigName"], pools))
        if status == EndpointStatus.UPDATING:
            self._update(record, doc)  # the update the restart interrupted goes on
        else:
            record.in_service(deployment, counts, weights)

    def _update(self, record: EndpointRecord, doc: dict[str, Any]) -> None:
        live = self.router.get(record.arn)
        if live is None:
            return
        if doc.get(PENDING):
            self._switch(record, live, doc[PENDING], doc)
        else:
            self._rescale(record, live, doc)

    def _switch(self, record: EndpointRecord, live: LiveEndpoint, pending: dict[str, Any], doc: dict[str, Any]) -> None:
        # The control plane wrote the counts and weights to reach (RetainAllVariantProperties applied).
        counts = {v["VariantName"]: int(v["InitialInstanceCount"]) for v in pending["Variants"]}
        weights = {v["VariantName"]: float(v["InitialVariantWeight"]) for v in pending["Variants"]}
        try:
            pools = self._deploy(record.name, pending, counts, weights)
        except DeploymentFailed as exc:
            log.warning("endpoint=%s update failed, keeps serving its old configuration: %s", record.name, exc)
            record.update_failed(f"Failed to update endpoint: {exc}")
            return
        if self._deleted_meanwhile(record, pools):
            return
        old = list(live.variants.values())
        for pool in old:
            pool.retired = True
        # One reference swap: every request from here on goes to the new variants.
        self.router.publish(LiveEndpoint(record.name, record.arn, pending["EndpointConfigName"], pools))
        record.in_service(pending, counts, weights)
        log.info("endpoint=%s switched to %s", record.name, pending["EndpointConfigName"])
        self._stop_pools(old, grace=STOP_GRACE_SECONDS, drain=True)

    def _rescale(self, record: EndpointRecord, live: LiveEndpoint, doc: dict[str, Any]) -> None:
        counts, weights = _desired(doc)
        deployment = doc[DEPLOYMENT]
        variants = {v["VariantName"]: v for v in deployment["Variants"]}
        try:
            for name, pool in live.variants.items():
                pool.weight = weights[name]
                extra = counts[name] - len(pool.slots)
                if extra > 0:
                    command, model_dir = self._prepare(variants[name])
                    for replica in self.factory.start_many(record.name, variants[name], command, model_dir, extra):
                        self._ready(record.name, name, replica)
                        pool.add(replica)
                pool.desired_count = counts[name]
                surplus = pool.slots[counts[name] :]
                for slot in surplus:
                    pool.remove(slot)
                self._drain_and_stop(surplus)
        except (DeploymentFailed, ReplicaFailed) as exc:
            record.update_failed(f"Failed to update endpoint: {exc}")
            return
        record.in_service(deployment, counts, weights)

    def _delete(self, record: EndpointRecord, doc: dict[str, Any]) -> None:
        live = self.router.withdraw(record.arn)
        if live is not None:
            self._stop_pools(list(live.variants.values()), grace=0)
        record.delete()
        log.info("endpoint=%s deleted", record.name)

    # --- replicas -----------------------------------------------------------------------------------

    def _deploy(
        self, endpoint: str, deployment: dict[str, Any], counts: dict[str, int], weights: dict[str, float]
    ) -> dict[str, VariantPool]:
        pools: dict[str, VariantPool] = {}
        try:
            for variant in deployment["Variants"]:
                name = variant["VariantName"]
                command, model_dir = self._prepare(variant)
                pool = VariantPool(name, weights[name], counts[name])
                pools[name] = pool
                for replica in self.factory.start_many(endpoint, variant, command, model_dir, counts[name]):
                    self._ready(endpoint, name, replica)
                    pool.add(replica)
        except ReplicaFailed as exc:
            self._stop_pools(list(pools.values()), grace=0)
            raise DeploymentFailed(str(exc)) from None
        except DeploymentFailed:
            self._stop_pools(list(pools.values()), grace=0)
            raise
        return pools

    def _ready(self, endpoint: str, variant: str, replica: Replica) -> None:
        self.router.metrics.model_setup(endpoint, variant, replica.setup_seconds)

    def _prepare(self, variant: dict[str, Any]) -> tuple[list[str], Any]:
        try:
            return self.factory.prepare(variant)
        except (UnknownServingImage, ModelDataError) as exc:
            raise DeploymentFailed(str(exc)) from None

    def _deleted_meanwhile(self, record: EndpointRecord, pools: dict[str, VariantPool]) -> bool:
        doc = record.document()
        if doc is not None and doc["EndpointStatus"] != EndpointStatus.DELETING:
            return False
        self._stop_pools(list(pools.values()), grace=0)
        return True

    def _check_replicas(self, live: LiveEndpoint) -> None:
        for pool in list(live.variants.values()):
            for slot in pool.slots:
                if slot.broken or not slot.replica.alive():
                    log.warning(
                        "endpoint=%s variant=%s instance=%s model server died; replacing it",
                        live.name,
                        pool.name,
                        slot.instance_id,
                    )
                    pool.remove(slot)
                    self.factory.stop(slot.replica, 0)
            self._top_up(live, pool)

    def _top_up(self, live: LiveEndpoint, pool: VariantPool) -> None:
        with self._lock:
            missing = pool.desired_count - len(pool.slots) - self._starting.get(id(pool), 0)
            if pool.retired or missing <= 0 or live.name in self._busy:
                return
            self._starting[id(pool)] = self._starting.get(id(pool), 0) + missing
        for _ in range(missing):
            threading.Thread(target=self._replace, args=(live, pool), daemon=True).start()

    def _replace(self, live: LiveEndpoint, pool: VariantPool) -> None:
        record = EndpointRecord(self.repository, live.arn, live.name)
        try:
            while not pool.retired and not self._stop.is_set():
                doc = record.document()
                if doc is None:
                    return
                variant = next(v for v in doc[DEPLOYMENT]["Variants"] if v["VariantName"] == pool.name)
                try:
                    command, model_dir = self._prepare(variant)
                    replica = self.factory.start(live.name, variant, command, model_dir)
                except (DeploymentFailed, ReplicaFailed) as exc:
                    log.warning("endpoint=%s variant=%s replacement failed: %s", live.name, pool.name, exc)
                    self._stop.wait(REPLACE_RETRY_SECONDS)
                    continue
                if pool.retired:
                    self.factory.stop(replica, 0)
                else:
                    self._ready(live.name, pool.name, replica)
                    pool.add(replica)
                    log.info(
                        "endpoint=%s variant=%s instance=%s replaced", live.name, pool.name, replica.spec.instance_id
                    )
                return
        finally:
            with self._lock:
                self._starting[id(pool)] -= 1
                if self._starting[id(pool)] <= 0:
                    del self._starting[id(pool)]

    def _stop_pools(self, pools: list[VariantPool], grace: float, drain: bool = False) -> None:
        slots = []
        for pool in pools:
            pool.retired = True
            slots += pool.slots
        if drain:
            self._drain_and_stop(slots)
            return
        for slot in slots:
            self.factory.stop(slot.replica, grace)

    def _drain_and_stop(self, slots: list[ReplicaSlot]) -> None:
        """Stop replicas once the requests they were given have been answered (or after DRAIN_SECONDS)."""
        # A request that chose one of these replicas an instant before they were retired counts itself
        # in ``outstanding`` without yielding the event loop; a moment's pause lets it do so first.
        time.sleep(0.1)
        deadline = time.monotonic() + DRAIN_SECONDS
        while any(slot.outstanding > 0 for slot in slots) and time.monotonic() < deadline:
            time.sleep(0.01)
        for slot in slots:
            self.factory.stop(slot.replica, STOP_GRACE_SECONDS)


def _desired(doc: dict[str, Any]) -> tuple[dict[str, int], dict[str, float]]:
    counts = {v["VariantName"]: int(v["DesiredInstanceCount"]) for v in doc["ProductionVariants"]}
    weights = {v["VariantName"]: float(v["DesiredWeight"]) for v in doc["ProductionVariants"]}
    return counts, weights


def _current(doc: dict[str, Any]) -> tuple[dict[str, int], dict[str, float]]:
    counts = {
        v["VariantName"]: int(v.get("CurrentInstanceCount", v["DesiredInstanceCount"]))
        for v in doc["ProductionVariants"]
    }
    weights = {v["VariantName"]: float(v.get("CurrentWeight", v["DesiredWeight"])) for v in doc["ProductionVariants"]}
    return counts, weights
