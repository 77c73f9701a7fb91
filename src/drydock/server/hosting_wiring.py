"""Builds hosting's concrete parts (replica backend, model cache, router, endpoint and transform
reconcilers) from Settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from drydock.config import Settings
from drydock.engine.launchers.sandbox import local_launcher, usable_bwrap
from drydock.engine.launchers.warm_pool import WarmPool
from drydock.engine.training.workspace import base_environment
from drydock.objects.port import ObjectStore
from drydock.server.credentials import Credentials
from drydock.server.engine_wiring import job_environment
from drydock.serving.endpoint_metrics import EndpointMetrics, MetricSink
from drydock.serving.endpoint_reconciler import EndpointReconciler
from drydock.serving.endpoint_router import HostedEndpoints
from drydock.serving.model_artifacts import ModelArtifacts
from drydock.serving.replica_factory import ReplicaFactory
from drydock.serving.replicas.process import ProcessReplicaBackend
from drydock.serving.transform.reconciler import TransformReconciler
from drydock.store.log_events import LogStore
from drydock.store.resources import ResourceRepository

log = logging.getLogger("drydock.server")


@dataclass
class Hosting:
    router: HostedEndpoints
    reconciler: EndpointReconciler
    metrics: EndpointMetrics
    transforms: TransformReconciler


def build_hosting(
    settings: Settings,
    credentials: Credentials,
    resources: ResourceRepository,
    objects: ObjectStore,
    logs: LogStore,
    publish_metrics: MetricSink,
    warm: WarmPool | None = None,
) -> Hosting:
    metrics = EndpointMetrics()
    router = HostedEndpoints(metrics, settings.invocation_timeout_seconds)
    # Replicas start from what a job instance starts from (PATH, locale; this server's S3 and
    # credentials, which script mode uses to fetch its source directory).
    environment = base_environment(job_environment(settings, credentials))
    backend = ProcessReplicaBackend(local_launcher(usable_bwrap()), settings.home / "endpoints", environment, warm)
    stale = backend.clean_stale()
    if stale:
        log.warning("stopped %d model-server replicas left running by a previous server process", stale)
    artifacts = ModelArtifacts(objects, settings.home / "models")
    factory = ReplicaFactory(backend, artifacts, logs)
    reconciler = EndpointReconciler(resources, router, factory, publish_metrics)
    router.on_broken = reconciler.wake
    transforms = TransformReconciler(
        resources, factory, objects, logs, settings.home / "transform-jobs", publish_metrics
    )
    return Hosting(router, reconciler, metrics, transforms)
