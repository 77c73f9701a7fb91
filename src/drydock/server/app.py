"""Builds the Drydock gateway and its lifecycle hooks from Settings: the one place concrete classes meet their ports."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from drydock.config import Settings
from drydock.engine.training.reconciler import TrainingReconciler
from drydock.objects.backends import open_object_store
from drydock.server.credentials import Credentials, root_credentials
from drydock.server.engine_wiring import training_runner_factory
from drydock.server.hosting_wiring import build_hosting
from drydock.server.internal import InternalRoutes
from drydock.services.cloudtrail.handlers import api as cloudtrail_api
from drydock.services.cloudwatch.handlers_index import api as cloudwatch_api
from drydock.services.dependencies import Dependencies
from drydock.services.logs.handlers_index import api as logs_api
from drydock.services.logs.logs_service import LogsJsonService
from drydock.services.runtime.service import RuntimeService
from drydock.services.s3.service import S3Service
from drydock.services.sagemaker.handlers_index import api as sagemaker_api
from drydock.services.sagemaker.tuning_jobs.training_jobs_port import TuningTrainingJobs
from drydock.services.sts.handlers import api as sts_api
from drydock.store.audit import AuditLog
from drydock.store.database import Database
from drydock.store.log_events import LogStore
from drydock.store.metric_data import MetricStore
from drydock.store.migrate import upgrade
from drydock.store.resources import ResourceRepository
from drydock.tuning.reconciler import TuningReconciler
from drydock.wire.context import Principal
from drydock.wire.gateway import Gateway
from drydock.wire.http_server import Hook
from drydock.wire.json_protocol import JsonService
from drydock.wire.json_shapes import ShapeSerializer
from drydock.wire.query_protocol import QueryService
from drydock.wire.rpc_v2_cbor import RpcV2CborService
from drydock.wire.service_port import WireService
from drydock.wire.sigv4 import KnownKey, SigV4Authenticator

log = logging.getLogger("drydock.server")


@dataclass
class App:
    gateway: Gateway
    db: Database
    credentials: Credentials
    deps: Dependencies
    #: Run before the port opens (start the reconcilers) and after the last request is answered.
    on_startup: list[Hook]
    on_shutdown: list[Hook]


def build_app(settings: Settings) -> App:
    settings.home.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_db_url())
    upgrade(db)
    credentials = root_credentials(settings)
    root = Principal(
        access_key_id=credentials.access_key_id,
        arn=f"arn:aws:iam::{settings.account_id}:root",
        account=settings.account_id,
        user_id=settings.account_id,
    )
    known = {credentials.access_key_id: KnownKey(credentials.secret_access_key, root)}
    objects = open_object_store(settings, db)
    audit = AuditLog(db)
    logs = LogStore(db)
    metrics = MetricStore(db)
    resources = ResourceRepository(db)
    runners = training_runner_factory(settings, credentials, objects, logs)
    training = TrainingReconciler(resources, runners)
    # One pool of warm workers: built-in training jobs and script-mode replicas take from it.
    hosting = build_hosting(settings, credentials, resources, objects, logs, metrics.put, runners.warm)
    # The tuner creates and stops training jobs through the services' own code, which needs deps.
    tuning = TuningReconciler(resources, logs, TuningTrainingJobs(lambda: deps))
    deps = Dependencies(
        region=settings.region,
        account_id=settings.account_id,
        db=db,
        resources=resources,
        logs=logs,
        metrics=metrics,
        objects=objects,
        audit=audit,
        training=training,
        tuning=tuning,
        endpoints=hosting.reconciler,
        transforms=hosting.transforms,
    )
    serializer = ShapeSerializer(strict=settings.strict_responses)
    json_services: dict[str, WireService] = {
        "SageMaker": JsonService(sagemaker_api, serializer),
        "Logs_20140328": LogsJsonService(logs_api, serializer),
        "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101": JsonService(cloudtrail_api, serializer),
        # CloudWatch as botocore speaks it (JSON 1.0); other SDKs use smithy rpc-v2-cbor, below.
        "GraniteServiceVersion20100801": JsonService(cloudwatch_api, serializer),
    }
    scoped_services: dict[str, WireService] = {
        # sagemaker-runtime signs as "sagemaker" and has no X-Amz-Target.
        "sagemaker": RuntimeService(hosting.router, serializer),
        "sts": QueryService(sts_api, strict=settings.strict_responses),
        # CloudWatch in smithy rpc-v2-cbor has no X-Amz-Target either: it signs as "monitoring".
        "monitoring": RpcV2CborService(cloudwatch_api, strict=settings.strict_responses),
        "s3": S3Service(
            objects, account_id=settings.account_id, region=settings.region, strict=settings.strict_responses
        ),
    }
    ready = {"ready": False}

    async def mark_ready() -> None:
        training.start()
        tuning.start()
        hosting.reconciler.start()
        hosting.transforms.start()
        ready["ready"] = True

    async def close() -> None:
        ready["ready"] = False
        tuning.close()
        training.close()
        hosting.transforms.close()
        hosting.reconciler.close()
        await hosting.router.close()
        objects.close()
        audit.close()
        metrics.close()
        db.dispose()

    gateway = Gateway(
        json_services=json_services,
        scoped_services=scoped_services,
        internal=InternalRoutes(ready, hosting.metrics.prometheus),
        authenticator=SigV4Authenticator(known.get, settings.clock_skew_seconds),
        audit=audit,
        deps=deps,
        default_region=settings.region,
    )
    return App(gateway=gateway, db=db, credentials=credentials, deps=deps, on_startup=[mark_ready], on_shutdown=[close])
