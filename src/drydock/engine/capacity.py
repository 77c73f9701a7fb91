"""The machine's capacity, what each training job gets of it, and the FIFO queue jobs wait in.

SageMaker launches fresh instances for every job; when EC2 has none, the job stays ``Starting``
with the status message "Insufficient capacity error from EC2 while launching instances,
retrying!". Drydock's "EC2" is this machine (``DRYDOCK_MAX_CPUS`` / ``DRYDOCK_MAX_MEMORY_MIB``,
defaulting to what the machine has), so the same thing happens here: a job whose instances do not
fit next to the running ones waits, still ``Starting``, and jobs start in the order they were
created as capacity frees.

Sizing: an instance gets its type's vCPUs and memory, shrunk to its share of the machine when the
type is bigger than that share (a laptop can still run code written for ``ml.p4d.24xlarge``; the
program sees the shrunk numbers in ``SM_NUM_CPUS``). Only a job that cannot get even one vCPU and
:data:`MIN_INSTANCE_MEMORY_MIB` per instance is larger than the whole machine; it fails at once
with a ``CapacityError:`` FailureReason, which the SageMaker SDK turns into its ``CapacityError``.
We fail the job rather than reject CreateTrainingJob with ``ResourceLimitExceeded`` because the
capacity belongs to the engine and can change between server restarts; quotas are an API concern.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any

from drydock.engine.instance_types import lookup

#: Below this an instance could not even start a Python interpreter with numpy.
MIN_INSTANCE_MEMORY_MIB = 256


@dataclass(frozen=True)
class Resources:
    cpus: int
    memory_mib: int

    def __add__(self, other: Resources) -> Resources:
        return Resources(self.cpus + other.cpus, self.memory_mib + other.memory_mib)

    def __sub__(self, other: Resources) -> Resources:
        return Resources(self.cpus - other.cpus, self.memory_mib - other.memory_mib)

    def fits_in(self, other: Resources) -> bool:
        return self.cpus <= other.cpus and self.memory_mib <= other.memory_mib

    def __str__(self) -> str:
        return f"{self.cpus} vCPUs and {self.memory_mib} MiB"


def machine_resources() -> Resources:
    """The CPUs this process may run on and the machine's physical memory."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)
    return Resources(cpus, int(memory))


class JobTooLarge(Exception):
    """The job cannot run on this machine however long it waits; the message is its FailureReason."""


@dataclass(frozen=True)
class Demand:
    """What one job takes from the machine: ``count`` instances of ``instance`` each."""

    instance_type: str
    count: int
    instance: Resources

    @property
    def total(self) -> Resources:
        return Resources(self.instance.cpus * self.count, self.instance.memory_mib * self.count)

    def __str__(self) -> str:
        return f"{self.count} x {self.instance_type} ({self.total})"


def size_job(instance_type: str, count: int, capacity: Resources) -> Demand:
    """Size a job's instances for a machine of ``capacity``.

    Raises ``ValidationError`` for an instance type without known numbers and :class:`JobTooLarge`
    when the job cannot fit even on the empty machine.
    """
    spec = lookup(instance_type)
    cpus = min(spec.vcpus, capacity.cpus // count)
    memory = min(spec.memory_mib, capacity.memory_mib // count)
    if cpus < 1 or memory < MIN_INSTANCE_MEMORY_MIB:
        least = Resources(count, count * MIN_INSTANCE_MEMORY_MIB)
        raise JobTooLarge(
            "CapacityError: Unable to provision requested ML compute capacity. "
            f"{count} x {instance_type} need at least {least} (1 vCPU and {MIN_INSTANCE_MEMORY_MIB} MiB per "
            f"instance), but this machine offers {capacity} in all (DRYDOCK_MAX_CPUS, DRYDOCK_MAX_MEMORY_MIB)."
        )
    return Demand(instance_type, count, Resources(cpus, memory))


def job_demand(document: dict[str, Any], capacity: Resources) -> Demand:
    """:func:`size_job` for a stored DescribeTrainingJob document."""
    config = document["ResourceConfig"]
    return size_job(config["InstanceType"], int(config.get("InstanceCount", 1)), capacity)


class CapacityQueue:
    """Admits jobs onto the machine in FIFO order. Thread-safe.

    Strictly first come, first served: a job is admitted only when every job queued before it has
    been, so a large job is never starved by a stream of small ones.
    """

    def __init__(self, capacity: Resources) -> None:
        self.capacity = capacity
        self._lock = threading.Lock()
        self._waiting: dict[str, Demand] = {}  # insertion order is the queue order
        self._admitted: dict[str, Demand] = {}

    def request(self, name: str, demand: Demand) -> bool:
        """Queue ``name`` (once) and admit it if it is first in line and fits what is free.

        ``True`` when the job is admitted (now or earlier); it then holds its demand until
        :meth:`release`.
        """
        with self._lock:
            if name in self._admitted:
                return True
            self._waiting.setdefault(name, demand)
            if next(iter(self._waiting)) != name:
                return False
            if not demand.total.fits_in(self.capacity - self._in_use()):
                return False
            del self._waiting[name]
            self._admitted[name] = demand
            return True

    def release(self, name: str) -> None:
        """Give back what ``name`` holds, or take it out of the queue. Idempotent."""
        with self._lock:
            self._admitted.pop(name, None)
            self._waiting.pop(name, None)

    def is_waiting(self, name: str) -> bool:
        with self._lock:
            return name in self._waiting

    def waiting(self) -> list[str]:
        """Queued job names, first in line first."""
        with self._lock:
            return list(self._waiting)

    def free(self) -> Resources:
        with self._lock:
            return self.capacity - self._in_use()

    def _in_use(self) -> Resources:
        used = Resources(0, 0)
        for demand in self._admitted.values():
            used = used + demand.total
        return used
