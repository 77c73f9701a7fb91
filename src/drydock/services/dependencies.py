"""The dependency container handlers receive as ``ctx.deps``; built only by ``drydock.server``."""

from __future__ import annotations

from dataclasses import dataclass

from drydock.engine.training.reconciler import TrainingReconciler
from drydock.objects.port import ObjectStore
from drydock.serving.endpoint_reconciler import EndpointReconciler
from drydock.serving.transform.reconciler import TransformReconciler
from drydock.store.audit import AuditLog
from drydock.store.database import Database
from drydock.store.log_events import LogStore
from drydock.store.metric_data import MetricStore
from drydock.store.resources import ResourceRepository
from drydock.tuning.reconciler import TuningReconciler
from drydock.wire.context import RequestContext


@dataclass
class Dependencies:
    region: str
    account_id: str
    db: Database
    resources: ResourceRepository
    #: CloudWatch Logs groups, streams and events.
    logs: LogStore
    #: CloudWatch metric data: PutMetricData and the hosting layer write it, Get*/ListMetrics read it.
    metrics: MetricStore
    #: Buckets and objects (embedded blob store or an external S3 endpoint): training data, artifacts.
    objects: ObjectStore
    #: The audit trail the gateway writes and CloudTrail LookupEvents reads.
    audit: AuditLog
    #: Starts and drives training jobs; handlers wake it after CreateTrainingJob.
    training: TrainingReconciler
    #: Drives tuning jobs; handlers wake it after Create/StopHyperParameterTuningJob.
    tuning: TuningReconciler
    #: Brings endpoints' replicas up and down; handlers wake it after Create/Update/DeleteEndpoint.
    endpoints: EndpointReconciler
    #: Runs transform jobs; handlers wake it after CreateTransformJob and StopTransformJob.
    transforms: TransformReconciler


def deps_of(ctx: RequestContext) -> Dependencies:
    deps = ctx.deps
    assert isinstance(deps, Dependencies)
    return deps
