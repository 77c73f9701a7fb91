"""Builds the engine's concrete parts (workspace, launcher, runners) from Settings."""

from __future__ import annotations

import os
from collections.abc import Callable

from drydock.config import Settings
from drydock.engine.launchers.process import ProcessLauncher
from drydock.engine.training.job_record import JobRecord
from drydock.engine.training.reconciler import RunnerFactory
from drydock.engine.training.runner import TrainingRunner
from drydock.engine.training.spot import SpotPolicy
from drydock.engine.training.workspace import Workspace
from drydock.objects.port import ObjectStore
from drydock.server.credentials import Credentials
from drydock.store.log_events import LogStore


def training_runner_factory(
    settings: Settings, credentials: Credentials, objects: ObjectStore, logs: LogStore
) -> RunnerFactory:
    launcher = ProcessLauncher()
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    endpoint = f"http://{host}:{settings.port}"
    # Jobs reach this server's S3 and APIs like SageMaker jobs reach AWS with their role's credentials.
    job_env = {
        "AWS_ENDPOINT_URL": endpoint,
        "S3_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": credentials.access_key_id,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
        "AWS_DEFAULT_REGION": settings.region,
        "DRYDOCK_VENV_CACHE": str(settings.venv_cache()),
    }
    cpus = os.cpu_count() or 1
    spot = SpotPolicy.parse(settings.spot_interruptions)

    def make(record: JobRecord, on_exit: Callable[[str], None]) -> TrainingRunner:
        workspace = Workspace(settings.home / "jobs" / record.name, objects, logs, job_env)
        return TrainingRunner(record, workspace, launcher, settings.region, cpus, on_exit, spot)

    return make
