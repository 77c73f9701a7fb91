"""Managed spot training: a job interrupted twice resumes from its checkpoints and completes, and
bills less than it took; without checkpoints it starts over each time."""

from __future__ import annotations

import json
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from drydock.testing.live_server import LiveServer
from tests.e2e.training_support import ROLE, job_log, model_files, wait_for_job

PROGRAM = textwrap.dedent(
    """
    import json, os, pathlib, time
    checkpoints = pathlib.Path(os.environ["DRYDOCK_OPT_ML"], "checkpoints")
    state = checkpoints / "state.json"
    done = json.loads(state.read_text())["step"] if state.exists() else 0
    print(f"resumed from step {done}", flush=True)
    for step in range(done + 1, 21):
        time.sleep(0.25)
        state.write_text(json.dumps({"step": step}))
        print(f"step {step}", flush=True)
    pathlib.Path(os.environ["SM_MODEL_DIR"], "result.json").write_text(json.dumps({"last": step, "first": done}))
    """
)
LAUNCH = "import os, runpy; runpy.run_path(os.environ['SM_CHANNEL_CODE'] + '/train.py', run_name='__main__')"


@pytest.fixture(scope="module")
def spot_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(
        Path(tmp_path_factory.mktemp("spot")), extra_env={"DRYDOCK_SPOT_INTERRUPTIONS": "count=2,after=2,wait=1"}
    )
    live.start()
    s3 = live.client("s3")
    s3.create_bucket(Bucket="spot")
    s3.put_object(Bucket="spot", Key="code/train.py", Body=PROGRAM.encode())
    yield live
    live.stop()


def spot_job(sagemaker: Any, checkpoints: bool) -> str:
    name = f"spot-{uuid.uuid4().hex[:8]}"
    request: dict[str, Any] = {
        "TrainingJobName": name,
        "RoleArn": ROLE,
        "AlgorithmSpecification": {
            "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-own:latest",
            "TrainingInputMode": "File",
            "ContainerEntrypoint": [sys.executable, "-c", LAUNCH],
        },
        "InputDataConfig": [
            {
                "ChannelName": "code",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://spot/code/"}},
            }
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://spot/output"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600, "MaxWaitTimeInSeconds": 1200},
        "EnableManagedSpotTraining": True,
    }
    if checkpoints:
        request["CheckpointConfig"] = {"S3Uri": f"s3://spot/checkpoints/{name}"}
    sagemaker.create_training_job(**request)
    return name


def test_interrupted_twice_resumes_from_checkpoints(spot_server: LiveServer) -> None:
    sagemaker, s3 = spot_server.client("sagemaker"), spot_server.client("s3")
    name = spot_job(sagemaker, checkpoints=True)
    job = wait_for_job(sagemaker, name, timeout=120)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    statuses = [t["Status"] for t in job["SecondaryStatusTransitions"]]
    assert statuses.count("Interrupted") == 2
    assert statuses[-1] == "Completed"
    resumed = [
        int(line.split()[-1]) for line in job_log(spot_server.client("logs"), name) if line.startswith("resumed")
    ]
    assert resumed[0] == 0
    assert len(resumed) == 3 and resumed[1] > 0 and resumed[2] > resumed[1]
    result = json.loads(model_files(s3, job["ModelArtifacts"]["S3ModelArtifacts"])["result.json"])
    assert result == {"last": 20, "first": resumed[2]}
    # Billed for the seconds it ran, not the seconds it waited for capacity: the SDK's "savings".
    assert 0 < job["BillableTimeInSeconds"] < job["TrainingTimeInSeconds"]
    checkpoint = s3.get_object(Bucket="spot", Key=f"checkpoints/{name}/state.json")["Body"].read()
    assert json.loads(checkpoint) == {"step": 20}


def test_without_checkpoints_a_spot_job_starts_over(spot_server: LiveServer) -> None:
    sagemaker = spot_server.client("sagemaker")
    name = spot_job(sagemaker, checkpoints=False)
    job = wait_for_job(sagemaker, name, timeout=120)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    resumed = [line for line in job_log(spot_server.client("logs"), name) if line.startswith("resumed")]
    assert resumed == ["resumed from step 0"] * 3
