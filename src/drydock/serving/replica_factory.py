"""Starts the replicas of a variant (or of a transform job): model artifacts, serving command, log stream.

Each replica logs to ``/aws/sagemaker/Endpoints/<endpoint>`` in the stream ``<variant>/<instance id>``,
as SageMaker names them; the writers are flushed by the reconciler a few times a second.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from drydock.engine.job_logs import JobLogWriter
from drydock.serving.commands import serve_command
from drydock.serving.endpoint_router import LOG_GROUP_PREFIX
from drydock.serving.model_artifacts import ModelArtifacts
from drydock.serving.replicas.port import Replica, ReplicaBackend, ReplicaFailed, ReplicaSpec
from drydock.store.log_events import LogStore

#: SageMaker's default for ContainerStartupHealthCheckTimeoutInSeconds is generous; a local model
#: server that needs more than this is stuck.
DEFAULT_STARTUP_TIMEOUT_SECONDS = 600.0


class ReplicaFactory:
    def __init__(self, backend: ReplicaBackend, artifacts: ModelArtifacts, logs: LogStore) -> None:
        self.backend = backend
        self.artifacts = artifacts
        self.logs = logs
        self._writers: dict[str, JobLogWriter] = {}
        self._lock = threading.Lock()

    def prepare(self, variant: Mapping[str, Any]) -> tuple[list[str], Path]:
        """The serving command and extracted model of a variant snapshot. Raises
        ``UnknownServingImage`` or ``ModelDataError``, whose messages are FailureReasons."""
        container = variant["Container"]
        command = serve_command(container)
        return command, self.artifacts.prepare(container)

    def start(
        self,
        endpoint: str,
        variant: Mapping[str, Any],
        command: list[str],
        model_dir: Path,
        log_stream: Callable[[str], tuple[str, str]] | None = None,
    ) -> Replica:
        """One healthy replica of ``variant``; raises :class:`ReplicaFailed` with its last log lines.

        ``log_stream`` maps the instance id to its (group, stream); an endpoint's replicas log to
        ``/aws/sagemaker/Endpoints/<endpoint>`` in ``<variant>/<instance id>``."""
        instance_id = "i-" + secrets.token_hex(9)[:17]
        group, stream = (log_stream or _endpoint_stream(endpoint, variant["VariantName"]))(instance_id)
        writer = JobLogWriter(self.logs, group, stream)
        with self._lock:
            self._writers[instance_id] = writer
        timeout = variant.get("ContainerStartupHealthCheckTimeoutInSeconds") or DEFAULT_STARTUP_TIMEOUT_SECONDS
        spec = ReplicaSpec(
            endpoint_name=endpoint,
            variant_name=variant["VariantName"],
            instance_id=instance_id,
            instance_type=variant.get("InstanceType") or "ml.m5.large",
            container=variant["Container"],
            model_dir=model_dir,
            command=command,
            startup_timeout=float(timeout),
            on_line=writer.line,
        )
        try:
            replica = self.backend.start(spec)
        except ReplicaFailed as exc:
            self.retire_logs(instance_id)
            tail = " | ".join(writer.last_lines(5))
            raise ReplicaFailed(f"{exc}{'. Last log lines: ' + tail if tail else ''}") from None
        return replica

    def start_many(
        self,
        endpoint: str,
        variant: Mapping[str, Any],
        command: list[str],
        model_dir: Path,
        count: int,
        log_stream: Callable[[str], tuple[str, str]] | None = None,
    ) -> list[Replica]:
        """``count`` healthy replicas started in parallel, or none: if one fails, the others are
        stopped and its :class:`ReplicaFailed` is raised."""
        if count <= 0:
            return []
        with ThreadPoolExecutor(max_workers=count, thread_name_prefix=f"replica-{endpoint}") as pool:
            futures = [pool.submit(self.start, endpoint, variant, command, model_dir, log_stream) for _ in range(count)]
            started: list[Replica] = []
            failure: BaseException | None = None
            for future in futures:
                try:
                    started.append(future.result())
                except BaseException as exc:  # keep collecting so every started replica is accounted for
                    failure = failure or exc
        if failure is not None:
            for replica in started:
                self.stop(replica, 0)
            raise failure
        return started

    def stop(self, replica: Replica, grace_seconds: float) -> None:
        replica.stop(grace_seconds)
        self.retire_logs(replica.spec.instance_id)

    def retire_logs(self, instance_id: str) -> None:
        with self._lock:
            writer = self._writers.pop(instance_id, None)
        if writer is not None:
            writer.flush()

    def flush_logs(self) -> None:
        with self._lock:
            writers = list(self._writers.values())
        for writer in writers:
            writer.flush()


def _endpoint_stream(endpoint: str, variant: str) -> Callable[[str], tuple[str, str]]:
    return lambda instance_id: (LOG_GROUP_PREFIX + endpoint, f"{variant}/{instance_id}")
