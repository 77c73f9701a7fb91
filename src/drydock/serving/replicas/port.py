"""The ReplicaBackend port: start one model-server replica and tell when it is ready or gone.

A replica is one instance of a production variant: a process serving ``GET /ping`` and
``POST /invocations`` at :attr:`Replica.url`. The local backend runs processes on this machine; a Ray
backend would run actors on a cluster behind the same two types.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from drydock.serving.replicas.usage import Usage


@dataclass(frozen=True)
class ReplicaSpec:
    endpoint_name: str
    variant_name: str
    #: SageMaker-style instance id (``i-…``); the replica's log stream is ``<variant>/<instance id>``.
    instance_id: str
    instance_type: str
    #: The ContainerDefinition of the variant's model (Image, Environment, ModelDataUrl, …).
    container: Mapping[str, Any]
    #: The extracted model artifacts (shared, read-only: the backend gives the replica its own copy).
    model_dir: Path
    command: list[str]
    #: How long the replica may take to answer ``/ping`` with 200 (ContainerStartupHealthCheckTimeoutInSeconds).
    startup_timeout: float
    #: Receives every output line of the replica, without the newline.
    on_line: Callable[[str], None]


class ReplicaFailed(Exception):
    """The replica did not become healthy; the message says why (its last log lines included)."""


class Replica(Protocol):
    spec: ReplicaSpec
    #: ``http://host:port`` of the model server.
    url: str
    #: Seconds from start to the first healthy ``/ping`` (CloudWatch's ModelSetupTime).
    setup_seconds: float

    def usage(self) -> Usage | None:
        """CPU seconds used so far and resident memory now, or ``None`` where the backend cannot
        tell. Never blocks for long; thread-safe."""
        ...

    def alive(self) -> bool:
        """Whether the replica's process is still running. Never blocks; thread-safe."""
        ...

    def stop(self, grace_seconds: float) -> None:
        """SIGTERM, then SIGKILL after ``grace_seconds``; returns once it is gone. Idempotent."""
        ...


class ReplicaBackend(Protocol):
    def start(self, spec: ReplicaSpec) -> Replica:
        """Start a replica and block until its ``/ping`` answers 200. Raises :class:`ReplicaFailed`
        when the process exits or stays unhealthy past ``spec.startup_timeout``. Thread-safe: the
        reconciler starts the replicas of one variant in parallel."""
        ...
