"""The instance type table, job sizing against the machine, and the FIFO capacity queue."""

from __future__ import annotations

import pytest

from drydock.engine.capacity import CapacityQueue, JobTooLarge, Resources, machine_resources, size_job
from drydock.engine.instance_types import lookup
from drydock.errors import ValidationError

MACHINE = Resources(cpus=8, memory_mib=32 * 1024)


def test_instance_types_carry_aws_published_numbers() -> None:
    assert (lookup("ml.m5.large").vcpus, lookup("ml.m5.large").memory_mib) == (2, 8 * 1024)
    assert (lookup("ml.c5.9xlarge").vcpus, lookup("ml.c5.9xlarge").memory_gib) == (36, 72)
    assert (lookup("ml.p3.2xlarge").memory_gib, lookup("ml.p3.2xlarge").gpus) == (61, 1)
    assert lookup("ml.g5.12xlarge").gpus == 4
    assert lookup("ml.p4d.24xlarge").vcpus == 96


def test_unknown_instance_type_is_a_validation_error_naming_it() -> None:
    with pytest.raises(ValidationError, match=r"ml\.x9\.huge"):
        lookup("ml.x9.huge")


def test_an_instance_that_fits_gets_its_type() -> None:
    demand = size_job("ml.m5.xlarge", 1, MACHINE)
    assert demand.instance == Resources(4, 16 * 1024)
    assert demand.total == Resources(4, 16 * 1024)


def test_an_instance_larger_than_its_share_is_shrunk_to_it() -> None:
    assert size_job("ml.p4d.24xlarge", 1, MACHINE).instance == MACHINE
    assert size_job("ml.m5.4xlarge", 2, MACHINE).instance == Resources(4, 16 * 1024)


def test_a_job_larger_than_the_machine_fails_naming_demand_and_capacity() -> None:
    with pytest.raises(JobTooLarge) as raised:
        size_job("ml.m5.large", 3, Resources(2, 8192))
    assert str(raised.value).startswith("CapacityError:")
    assert "3 x ml.m5.large" in str(raised.value)
    assert "2 vCPUs and 8192 MiB" in str(raised.value)


def test_jobs_wait_when_the_machine_is_full_and_start_as_it_frees() -> None:
    queue = CapacityQueue(Resources(4, 16 * 1024))
    first = size_job("ml.m5.large", 2, queue.capacity)  # 4 vCPUs: the whole machine
    second = size_job("ml.m5.large", 1, queue.capacity)
    assert queue.request("first", first)
    assert not queue.request("second", second)
    assert queue.waiting() == ["second"]
    assert queue.free() == Resources(0, 0)
    queue.release("first")
    assert queue.request("second", second)
    assert queue.waiting() == []
    assert queue.request("second", second)  # admitting twice is harmless


def test_memory_is_capacity_too() -> None:
    queue = CapacityQueue(Resources(16, 16 * 1024))
    big = size_job("ml.r5.large", 1, queue.capacity)  # 2 vCPUs, 16 GiB
    assert queue.request("big", big)
    assert not queue.request("small", size_job("ml.c5.large", 1, queue.capacity))


def test_queue_is_first_come_first_served() -> None:
    queue = CapacityQueue(Resources(4, 64 * 1024))
    assert queue.request("running", size_job("ml.m5.large", 1, queue.capacity))
    assert not queue.request("large", size_job("ml.m5.xlarge", 1, queue.capacity))  # needs 4, 2 free
    # A small job created later fits in the 2 free vCPUs but must not overtake the large one.
    assert not queue.request("small", size_job("ml.m5.large", 1, queue.capacity))
    assert queue.waiting() == ["large", "small"]
    queue.release("running")
    assert not queue.request("small", size_job("ml.m5.large", 1, queue.capacity))
    assert queue.request("large", size_job("ml.m5.xlarge", 1, queue.capacity))
    assert queue.waiting() == ["small"]


def test_a_queued_job_that_goes_away_unblocks_the_ones_behind_it() -> None:
    queue = CapacityQueue(Resources(2, 8192))
    assert queue.request("a", size_job("ml.m5.large", 1, queue.capacity))
    assert not queue.request("b", size_job("ml.m5.large", 1, queue.capacity))
    assert not queue.request("c", size_job("ml.t3.medium", 1, queue.capacity))
    queue.release("b")  # stopped while waiting
    queue.release("a")
    assert queue.request("c", size_job("ml.t3.medium", 1, queue.capacity))


def test_machine_resources_are_positive() -> None:
    machine = machine_resources()
    assert machine.cpus >= 1 and machine.memory_mib > 0
