"""Per-host CPUUtilization and MemoryUtilization of a transform job, as SageMaker publishes them.

Namespace ``/aws/sagemaker/TransformJobs``, dimension ``Host`` = ``<job>/<instance id>``. CPUUtilization
is the percentage of one core (so up to 100 times the vCPUs, as CloudWatch reports it for SageMaker jobs);
MemoryUtilization the percentage of the instance type's memory.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime

from drydock.engine.instance_types import lookup
from drydock.serving.replicas.port import Replica
from drydock.store.metric_data import MetricDatum

NAMESPACE = "/aws/sagemaker/TransformJobs"
SAMPLE_SECONDS = 1.0


class HostUsage:
    def __init__(self, job: str, instance_type: str) -> None:
        self.job = job
        self.memory_bytes = lookup(instance_type).memory_gib * 1024**3
        self._last: dict[str, tuple[float, float]] = {}  # instance id → (monotonic time, cpu seconds)
        self._sampled = 0.0

    def sample(self, replicas: Sequence[Replica]) -> list[MetricDatum]:
        """The datapoints since the last sample (none if that was under a second ago)."""
        now = time.monotonic()
        if now - self._sampled < SAMPLE_SECONDS:
            return []
        self._sampled = now
        stamp = datetime.now(UTC)
        data = []
        for replica in replicas:
            usage = replica.usage()
            if usage is None:
                continue
            host = (("Host", f"{self.job}/{replica.spec.instance_id}"),)
            previous = self._last.get(replica.spec.instance_id)
            self._last[replica.spec.instance_id] = (now, usage.cpu_seconds)
            if previous is not None and now > previous[0]:
                cpu = 100.0 * (usage.cpu_seconds - previous[1]) / (now - previous[0])
                data.append(
                    MetricDatum.single(
                        NAMESPACE, "CPUUtilization", cpu, timestamp=stamp, dimensions=host, unit="Percent"
                    )
                )
            memory = 100.0 * usage.rss_bytes / self.memory_bytes
            data.append(
                MetricDatum.single(
                    NAMESPACE, "MemoryUtilization", memory, timestamp=stamp, dimensions=host, unit="Percent"
                )
            )
        return data
