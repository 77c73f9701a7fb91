"""The capacity queue end to end: on a server limited to 2 vCPUs, a second job waits Starting until the
first one ends, a job larger than the machine fails at once, and instances get their type's limits."""

from __future__ import annotations

import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from drydock.testing.live_server import LiveServer
from tests.e2e.training_support import ROLE, job_log, wait_for_job, wait_for_secondary

BUCKET = "capacity"
PROGRAM = textwrap.dedent(
    """
    import os, resource, time
    limit = resource.getrlimit(resource.RLIMIT_DATA)[0]
    print(f"cpus={os.environ['SM_NUM_CPUS']} memory_mib={limit // 2**20}", flush=True)
    key = os.environ.get("HOLD_UNTIL")
    if key:
        import boto3
        s3, deadline = boto3.client("s3"), time.monotonic() + 60
        while time.monotonic() < deadline:
            if s3.list_objects_v2(Bucket="capacity", Prefix=key).get("KeyCount"):
                break
            time.sleep(0.1)
    """
)
LAUNCH = "import os, runpy; runpy.run_path(os.environ['SM_CHANNEL_CODE'] + '/train.py', run_name='__main__')"


@pytest.fixture(scope="module")
def small_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(
        Path(tmp_path_factory.mktemp("capacity")),
        extra_env={"DRYDOCK_MAX_CPUS": "2", "DRYDOCK_MAX_MEMORY_MIB": "16384"},
    )
    live.start()
    s3 = live.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="code/train.py", Body=PROGRAM.encode())
    yield live
    live.stop()


def create_job(sagemaker: Any, instance_type: str = "ml.m5.large", count: int = 1, hold: str = "") -> str:
    name = f"cap-{uuid.uuid4().hex[:8]}"
    sagemaker.create_training_job(
        TrainingJobName=name,
        RoleArn=ROLE,
        AlgorithmSpecification={
            "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-own:latest",
            "TrainingInputMode": "File",
            "ContainerEntrypoint": [sys.executable, "-c", LAUNCH],
        },
        InputDataConfig=[
            {
                "ChannelName": "code",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/code/"}},
            }
        ],
        OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/output"},
        ResourceConfig={"InstanceType": instance_type, "InstanceCount": count, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 300},
        Environment={"HOLD_UNTIL": hold} if hold else {},
    )
    return name


def wait_for_message(sagemaker: Any, name: str, prefix: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        job = sagemaker.describe_training_job(TrainingJobName=name)
        message = job["SecondaryStatusTransitions"][-1]["StatusMessage"]
        if message.startswith(prefix):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"{name} never showed {prefix!r}; last message {message!r}")
        time.sleep(0.05)


def test_second_job_waits_for_capacity_then_runs(small_server: LiveServer) -> None:
    sagemaker = small_server.client("sagemaker")
    hold = f"release-{uuid.uuid4().hex[:8]}"
    first = create_job(sagemaker, hold=hold)
    wait_for_secondary(sagemaker, first, "Training")
    second = create_job(sagemaker)
    third = create_job(sagemaker)

    waiting = wait_for_message(sagemaker, second, "Insufficient capacity")
    assert (waiting["TrainingJobStatus"], waiting["SecondaryStatus"]) == ("InProgress", "Starting")
    assert "1 x ml.m5.large (2 vCPUs and 8192 MiB)" in waiting["SecondaryStatusTransitions"][-1]["StatusMessage"]
    wait_for_message(sagemaker, third, "Insufficient capacity")
    # A job stopped while it waits ends Stopped at once and never runs.
    sagemaker.stop_training_job(TrainingJobName=third)
    stopped = wait_for_job(sagemaker, third, timeout=30)
    assert (stopped["TrainingJobStatus"], stopped["SecondaryStatus"]) == ("Stopped", "Stopped")
    assert sagemaker.describe_training_job(TrainingJobName=second)["SecondaryStatus"] == "Starting"

    small_server.client("s3").put_object(Bucket=BUCKET, Key=hold, Body=b"go")
    done_first = wait_for_job(sagemaker, first)
    done_second = wait_for_job(sagemaker, second)
    assert done_first["TrainingJobStatus"] == done_second["TrainingJobStatus"] == "Completed"
    assert done_second["TrainingStartTime"] >= done_first["TrainingEndTime"]
    starting = done_second["SecondaryStatusTransitions"][0]
    assert starting["Status"] == "Starting" and starting["StatusMessage"] == "Launching requested ML instances"
    # The instance sees ml.m5.large's 2 vCPUs and has its 8 GiB as a memory limit.
    assert "cpus=2 memory_mib=8192" in job_log(small_server.client("logs"), second)


def test_job_larger_than_the_machine_fails_at_once(small_server: LiveServer) -> None:
    sagemaker = small_server.client("sagemaker")
    name = create_job(sagemaker, count=3)
    job = wait_for_job(sagemaker, name, timeout=30)
    assert job["TrainingJobStatus"] == "Failed"
    assert job["FailureReason"].startswith("CapacityError: Unable to provision requested ML compute capacity.")
    assert "3 x ml.m5.large" in job["FailureReason"]
    assert "2 vCPUs and 16384 MiB" in job["FailureReason"]


def test_an_instance_bigger_than_the_machine_is_shrunk_to_it(small_server: LiveServer) -> None:
    sagemaker = small_server.client("sagemaker")
    name = create_job(sagemaker, instance_type="ml.p4d.24xlarge")
    assert wait_for_job(sagemaker, name)["TrainingJobStatus"] == "Completed"
    assert "cpus=2 memory_mib=16384" in job_log(small_server.client("logs"), name)
