"""Builds the engine's concrete parts (workspace, launcher, runners) from Settings."""

from __future__ import annotations

from collections.abc import Callable

from drydock.config import Settings
from drydock.engine.capacity import CapacityQueue, Resources, job_demand, machine_resources
from drydock.engine.launchers.sandbox import SandboxLauncher, local_launcher, usable_bwrap
from drydock.engine.launchers.warm_pool import WarmPool
from drydock.engine.training.job_record import JobRecord
from drydock.engine.training.runner import TrainingRunner
from drydock.engine.training.spot import SpotPolicy
from drydock.engine.training.workspace import Workspace, base_environment
from drydock.objects.port import ObjectStore
from drydock.server.credentials import Credentials
from drydock.store.log_events import LogStore


def training_runner_factory(
    settings: Settings, credentials: Credentials, objects: ObjectStore, logs: LogStore
) -> TrainingRunners:
    job_env = job_environment(settings, credentials)
    spot = SpotPolicy.parse(settings.spot_interruptions)
    capacity = CapacityQueue(machine_capacity(settings))
    bwrap = usable_bwrap()  # probed once: sandboxed instances where bubblewrap works, else plain processes
    # Spare built-in algorithm processes, in the same sandbox as cold instances.
    warm = WarmPool(settings.home / "warm", base_environment(job_env), SandboxLauncher(bwrap) if bwrap else None)

    def make(record: JobRecord, on_exit: Callable[[str], None]) -> TrainingRunner:
        workspace = Workspace(settings.home / "jobs" / record.name, objects, logs, job_env)
        # Each instance sees its type's vCPUs (SM_NUM_CPUS) and memory, shrunk to its share of the machine.
        instance = job_demand(record.document(), capacity.capacity).instance
        launcher = local_launcher(bwrap, instance.memory_mib)
        return TrainingRunner(
            record,
            workspace,
            launcher,
            settings.region,
            instance.cpus,
            on_exit,
            spot,
            names_resolve=bwrap is not None,
            warm=warm,
            memory_mib=instance.memory_mib,
        )

    return TrainingRunners(capacity, make, warm)


class TrainingRunners:
    """The reconciler's runner factory, with the capacity queue its runners are sized against."""

    def __init__(
        self,
        capacity: CapacityQueue,
        make: Callable[[JobRecord, Callable[[str], None]], TrainingRunner],
        warm: WarmPool,
    ):
        self.capacity = capacity
        self._make = make
        self.warm = warm

    def __call__(self, record: JobRecord, on_exit: Callable[[str], None]) -> TrainingRunner:
        return self._make(record, on_exit)

    def start(self) -> None:
        self.warm.start()

    def close(self) -> None:
        self.warm.close()


def job_environment(settings: Settings, credentials: Credentials) -> dict[str, str]:
    """Variables every job instance and model replica gets: they reach this server's S3 and APIs like
    SageMaker containers reach AWS with their role's credentials."""
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    endpoint = f"http://{host}:{settings.port}"
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "S3_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": credentials.access_key_id,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
        "AWS_DEFAULT_REGION": settings.region,
        "DRYDOCK_VENV_CACHE": str(settings.venv_cache()),
    }


def machine_capacity(settings: Settings) -> Resources:
    """DRYDOCK_MAX_CPUS / DRYDOCK_MAX_MEMORY_MIB, each defaulting to what the machine has."""
    machine = machine_resources()
    return Resources(settings.max_cpus or machine.cpus, settings.max_memory_mib or machine.memory_mib)
