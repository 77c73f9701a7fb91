"""Training jobs end to end with real boto3: a bring-your-own program run through ContainerEntrypoint.

These exercise the engine itself (statuses, logs, metrics, artifacts, failure reasons, stop, max
runtime, restart) with a tiny Python program, so they run in seconds.
"""

from __future__ import annotations

import sys
import textwrap
import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from drydock.testing.live_server import LiveServer
from tests.e2e.training_support import ROLE, job_log, model_files, wait_for_job, wait_for_secondary

PROGRAM = textwrap.dedent(
    """
    import json, os, pathlib, sys, time
    hps = json.load(open(os.path.join(os.environ["SM_INPUT_CONFIG_DIR"], "hyperparameters.json")))
    data = pathlib.Path(os.environ["SM_CHANNEL_TRAIN"])
    rows = sum(1 for f in sorted(data.rglob("*")) if f.is_file() for _ in open(f))
    print(f"rows={rows} host={os.environ['SM_CURRENT_HOST']}", flush=True)
    if hps.get("fail_host") == os.environ["SM_CURRENT_HOST"]:
        raise RuntimeError(f"{os.environ['SM_CURRENT_HOST']} gave up")
    for epoch in range(int(hps.get("epochs", "3"))):
        print(f"epoch {epoch} loss: {1.0 / (epoch + 1):.4f}", flush=True)
        time.sleep(float(hps.get("sleep", "0")))
    if hps.get("fail") == "message":
        pathlib.Path(os.environ["SM_OUTPUT_DIR"], "failure").write_text("my own reason: learning rate too high")
        sys.exit(1)
    if hps.get("fail") == "crash":
        raise RuntimeError("boom in the user program")
    pathlib.Path(os.environ["SM_MODEL_DIR"], "model.json").write_text(json.dumps({"rows": rows}))
    """
)


@pytest.fixture(scope="module")
def data_bucket(server: LiveServer) -> str:
    s3 = server.client("s3")
    s3.create_bucket(Bucket="training-data")
    s3.put_object(Bucket="training-data", Key="byo/train/part-1.csv", Body=b"1,2\n3,4\n")
    s3.put_object(Bucket="training-data", Key="byo/train/nested/part-2.csv", Body=b"5,6\n")
    s3.put_object(Bucket="training-data", Key="byo/code/train.py", Body=PROGRAM.encode())
    return "training-data"


# ContainerEntrypoint items are at most 256 characters: the program itself comes in as a channel.
LAUNCH = "import os, runpy; runpy.run_path(os.environ['SM_CHANNEL_CODE'] + '/train.py', run_name='__main__')"


def job_request(bucket: str, name: str, **hyperparameters: str) -> dict[str, Any]:
    return {
        "TrainingJobName": name,
        "RoleArn": ROLE,
        "AlgorithmSpecification": {
            "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-own:latest",
            "TrainingInputMode": "File",
            "ContainerEntrypoint": [sys.executable, "-c", LAUNCH],
            "MetricDefinitions": [{"Name": "train:loss", "Regex": r"loss: ([0-9.]+)"}],
        },
        "HyperParameters": hyperparameters,
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/byo/train"}},
            },
            {
                "ChannelName": "code",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/byo/code/"}},
            },
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/output"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    }


def create_job(sagemaker: Any, bucket: str, **hyperparameters: str) -> str:
    name = f"byo-{uuid.uuid4().hex[:10]}"
    sagemaker.create_training_job(**job_request(bucket, name, **hyperparameters))
    return name


def test_job_runs_to_completion_with_artifacts_logs_and_metrics(server: LiveServer, data_bucket: str) -> None:
    sagemaker, s3 = server.client("sagemaker"), server.client("s3")
    name = create_job(sagemaker, data_bucket, epochs="3")
    job = wait_for_job(sagemaker, name)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert job["SecondaryStatus"] == "Completed"
    assert [t["Status"] for t in job["SecondaryStatusTransitions"]] == [
        "Starting",
        "Downloading",
        "Training",
        "Uploading",
        "Completed",
    ]
    assert job["ModelArtifacts"]["S3ModelArtifacts"] == f"s3://{data_bucket}/output/{name}/output/model.tar.gz"
    assert model_files(s3, job["ModelArtifacts"]["S3ModelArtifacts"]) == {"model.json": b'{"rows": 3}'}
    assert job["TrainingTimeInSeconds"] >= 1
    assert job["TrainingEndTime"] >= job["TrainingStartTime"]
    final = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
    assert final == {"train:loss": pytest.approx(1 / 3, abs=1e-4)}
    lines = job_log(server.client("logs"), name)
    assert "rows=3 host=algo-1" in lines
    assert "epoch 2 loss: 0.3333" in lines


def test_failure_reason_is_the_programs_own_message(server: LiveServer, data_bucket: str) -> None:
    sagemaker = server.client("sagemaker")
    job = wait_for_job(sagemaker, create_job(sagemaker, data_bucket, fail="message"))
    assert job["TrainingJobStatus"] == "Failed"
    assert "my own reason: learning rate too high" in job["FailureReason"]
    crashed = wait_for_job(sagemaker, create_job(sagemaker, data_bucket, fail="crash"))
    assert crashed["TrainingJobStatus"] == "Failed"
    assert "boom in the user program" in crashed["FailureReason"]


def test_stop_training_job(server: LiveServer, data_bucket: str) -> None:
    sagemaker = server.client("sagemaker")
    name = create_job(sagemaker, data_bucket, epochs="600", sleep="0.1")
    wait_for_secondary(sagemaker, name, "Training")
    sagemaker.stop_training_job(TrainingJobName=name)
    assert sagemaker.describe_training_job(TrainingJobName=name)["TrainingJobStatus"] in ("Stopping", "Stopped")
    job = wait_for_job(sagemaker, name, timeout=30)
    assert (job["TrainingJobStatus"], job["SecondaryStatus"]) == ("Stopped", "Stopped")
    with pytest.raises(ClientError) as caught:
        sagemaker.stop_training_job(TrainingJobName=name)
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_list_and_describe_errors(server: LiveServer, data_bucket: str) -> None:
    sagemaker = server.client("sagemaker")
    name = create_job(sagemaker, data_bucket, epochs="1")
    wait_for_job(sagemaker, name)
    listed = sagemaker.list_training_jobs(NameContains=name, StatusEquals="Completed")["TrainingJobSummaries"]
    assert [(j["TrainingJobName"], j["TrainingJobStatus"]) for j in listed] == [(name, "Completed")]
    with pytest.raises(ClientError) as caught:
        sagemaker.describe_training_job(TrainingJobName="no-such-job")
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as caught:
        create_job_with_image(sagemaker, data_bucket, "123456789012.dkr.ecr.us-east-1.amazonaws.com/unknown:1")
    assert "ContainerEntrypoint" in caught.value.response["Error"]["Message"]


def create_job_with_image(sagemaker: Any, bucket: str, image: str) -> None:
    sagemaker.create_training_job(
        TrainingJobName=f"img-{uuid.uuid4().hex[:8]}",
        RoleArn=ROLE,
        AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File"},
        OutputDataConfig={"S3OutputPath": f"s3://{bucket}/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 60},
    )


def test_max_runtime_exceeded(server: LiveServer, data_bucket: str) -> None:
    sagemaker = server.client("sagemaker")
    short = f"short-{uuid.uuid4().hex[:8]}"
    sagemaker.create_training_job(
        **{
            **job_request(data_bucket, short, epochs="600", sleep="0.1"),
            "StoppingCondition": {"MaxRuntimeInSeconds": 1},
        }
    )
    job = wait_for_job(sagemaker, short, timeout=60)
    assert (job["TrainingJobStatus"], job["SecondaryStatus"]) == ("Stopped", "MaxRuntimeExceeded")


def test_a_running_job_survives_a_server_restart(tmp_path: Any) -> None:
    live = LiveServer(tmp_path / "home")
    live.start()
    try:
        s3, sagemaker = live.client("s3"), live.client("sagemaker")
        s3.create_bucket(Bucket="restart-data")
        s3.put_object(Bucket="restart-data", Key="byo/train/a.csv", Body=b"1\n2\n")
        s3.put_object(Bucket="restart-data", Key="byo/code/train.py", Body=PROGRAM.encode())
        name = create_job(sagemaker, "restart-data", epochs="30", sleep="0.1")
        wait_for_secondary(sagemaker, name, "Training")
        live.restart()  # SIGKILL mid-training, then a new server process on the same home
        sagemaker = live.client("sagemaker")
        job = wait_for_job(sagemaker, name, timeout=90)
        assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
        statuses = [t["Status"] for t in job["SecondaryStatusTransitions"]]
        assert "Restarting" in statuses
        assert statuses[-1] == "Completed"
    finally:
        live.stop()


CHECKPOINTING = textwrap.dedent(
    """
    import os, pathlib, time
    folder = pathlib.Path("/opt/ml/checkpoints")
    done = sorted(int(p.name.split("-")[1]) for p in folder.glob("epoch-*"))
    start = done[-1] + 1 if done else 0
    print(f"starting at epoch {start}", flush=True)
    for epoch in range(start, 120):
        time.sleep(0.1)
        # Written under SageMaker's temporary suffix and renamed: the sync never uploads a torn file.
        (folder / f"epoch-{epoch}.sagemaker-ignore").write_text(str(epoch))
        os.replace(folder / f"epoch-{epoch}.sagemaker-ignore", folder / f"epoch-{epoch}")
    pathlib.Path(os.environ["SM_MODEL_DIR"], "model.json").write_text("{}")
    """
)


def test_checkpoints_are_synced_while_running_so_a_killed_server_resumes_the_job(tmp_path: Any) -> None:
    live = LiveServer(tmp_path / "home")
    live.start()
    try:
        s3, sagemaker, logs = live.client("s3"), live.client("sagemaker"), live.client("logs")
        s3.create_bucket(Bucket="ckpt-data")
        s3.put_object(Bucket="ckpt-data", Key="byo/train/a.csv", Body=b"1\n")
        s3.put_object(Bucket="ckpt-data", Key="byo/code/train.py", Body=CHECKPOINTING.encode())
        name = f"ckpt-{uuid.uuid4().hex[:8]}"
        request = job_request("ckpt-data", name)
        request["CheckpointConfig"] = {"S3Uri": f"s3://ckpt-data/checkpoints/{name}"}
        sagemaker.create_training_job(**request)
        # SageMaker syncs checkpoints while the program runs: some reach S3 long before it ends.
        deadline = time.monotonic() + 30
        synced: list[str] = []
        while not synced and time.monotonic() < deadline:
            synced = [o["Key"] for o in s3.list_objects_v2(Bucket="ckpt-data").get("Contents", [])]
            synced = [key for key in synced if key.startswith(f"checkpoints/{name}/")]
            time.sleep(0.1)
        assert synced, "no checkpoint reached S3 while the job ran"
        assert sagemaker.describe_training_job(TrainingJobName=name)["TrainingJobStatus"] == "InProgress"
        live.restart()  # SIGKILL: no final sync happens, only what was synced while running survives
        sagemaker, logs, s3 = live.client("sagemaker"), live.client("logs"), live.client("s3")
        job = wait_for_job(sagemaker, name, timeout=90)
        assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
        starts = [line for line in job_log(logs, name) if line.startswith("starting at epoch")]
        assert starts[0] == "starting at epoch 0"
        assert starts[-1] != "starting at epoch 0", starts  # the re-run resumed from synced checkpoints
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="ckpt-data", Prefix="checkpoints/")["Contents"]]
        assert f"checkpoints/{name}/epoch-119" in keys
        assert not [key for key in keys if key.endswith(".sagemaker-ignore")]
    finally:
        live.stop()


def test_one_failed_instance_ends_the_job_with_its_reason(server: LiveServer, data_bucket: str) -> None:
    sagemaker = server.client("sagemaker")
    name = f"two-{uuid.uuid4().hex[:8]}"
    request = job_request(data_bucket, name, epochs="600", sleep="0.1", fail_host="algo-2")
    request["ResourceConfig"]["InstanceCount"] = 2
    sagemaker.create_training_job(**request)
    # algo-1 alone would run for a minute; the job ends as soon as algo-2 fails.
    job = wait_for_job(sagemaker, name, timeout=30)
    assert job["TrainingJobStatus"] == "Failed"
    assert "algo-2 gave up" in job["FailureReason"]
