"""Built-in XGBoost jobs in warm workers, end to end: same results, logs, stop and restart as cold jobs.

The first XGBoost job a server runs starts a fresh interpreter and asks for a spare one; the jobs
after it take the spare (the server logs ``runs in a warm worker``). What a user sees must not
change: the model, the log lines, Stop, and a server restart that re-runs the job and leaves no
process behind.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from pathlib import Path

from drydock.testing.live_server import LiveServer
from tests.e2e.training_support import ROLE, job_log, model_files, wait_for_job, wait_for_secondary

XGB_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
BUCKET = "warm-data"
STAMP = re.compile(r"^\[\d{4}-\d\d-\d\d:\d\d:\d\d:\d\d:")
ROWS = "".join(f"{i % 2},{i % 7},{(i * 3) % 11}\n" for i in range(200))


def put_data(server: LiveServer) -> None:
    s3 = server.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="train/train.csv", Body=ROWS.encode())


def create(server: LiveServer, rounds: int) -> str:
    name = f"warm-{uuid.uuid4().hex[:8]}"
    server.client("sagemaker").create_training_job(
        TrainingJobName=name,
        RoleArn=ROLE,
        AlgorithmSpecification={"TrainingImage": XGB_IMAGE, "TrainingInputMode": "File"},
        HyperParameters={"num_round": str(rounds), "objective": "binary:logistic", "seed": "3", "nthread": "1"},
        InputDataConfig=[
            {
                "ChannelName": "train",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/train/"}},
                "ContentType": "text/csv",
            }
        ],
        OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
    )
    return name


def ran_warm(server: LiveServer, name: str) -> bool:
    return f"job={name} host=algo-1 runs in a warm worker" in server.log_path.read_text()


def wait_for_round(server: LiveServer, name: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not any(line.startswith("[") and "\ttrain-" in line for line in job_log(server.client("logs"), name)):
        assert time.monotonic() < deadline, f"{name} logged no round"
        time.sleep(0.1)


def processes_under(path: Path) -> set[int]:
    """Processes whose command line names ``path`` (a sandbox binds its tree by its real path), and
    their descendants (the program inside the sandbox)."""
    pending = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(path) in (entry / "cmdline").read_text():
                    pending.append(int(entry.name))
            except OSError:
                continue  # ended while we looked
    found = set()
    while pending:
        pid = pending.pop()
        found.add(pid)
        try:
            pending += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            continue
    return found


def all_gone(pids: set[int], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = set()
        for pid in pids:
            try:
                os.kill(pid, 0)
                alive.add(pid)
            except ProcessLookupError:
                pass
        if not alive:
            return True
        time.sleep(0.05)
    return False


def test_a_warm_job_gives_the_cold_jobs_model_and_log(server: LiveServer) -> None:
    put_data(server)
    sagemaker, s3 = server.client("sagemaker"), server.client("s3")
    names = [create(server, 10)]
    first = wait_for_job(sagemaker, names[0])
    names.append(create(server, 10))
    second = wait_for_job(sagemaker, names[1])

    assert [first["TrainingJobStatus"], second["TrainingJobStatus"]] == ["Completed", "Completed"]
    assert ran_warm(server, names[1])
    models = [model_files(s3, job["ModelArtifacts"]["S3ModelArtifacts"])["xgboost-model"] for job in (first, second)]
    assert models[0] == models[1]
    # The same lines (timestamps aside), the sandbox's /opt/ml path included.
    logs = [[STAMP.sub("[", line) for line in job_log(server.client("logs"), name)] for name in names]
    assert logs[1] == logs[0]
    assert any("Stored trained model at /opt/ml/model/xgboost-model" in line for line in logs[1])
    assert {m["MetricName"] for m in second["FinalMetricDataList"]} == {"train:logloss"}


def test_stop_ends_a_warm_job(server: LiveServer) -> None:
    put_data(server)
    sagemaker = server.client("sagemaker")
    wait_for_job(sagemaker, create(server, 2))  # any XGBoost job leaves a spare behind
    name = create(server, 1_000_000)
    wait_for_round(server, name)

    sagemaker.stop_training_job(TrainingJobName=name)

    job = wait_for_job(sagemaker, name, timeout=60)
    assert (job["TrainingJobStatus"], job["SecondaryStatus"]) == ("Stopped", "Stopped")
    assert ran_warm(server, name)


def test_a_server_restart_reruns_a_warm_job_and_leaves_no_worker(tmp_path: Path) -> None:
    live = LiveServer(tmp_path / "home")
    live.start()
    try:
        put_data(live)
        sagemaker = live.client("sagemaker")
        wait_for_job(sagemaker, create(live, 2))
        # Rounds on this tiny data take well under a millisecond: a job of a few thousand could end
        # before the restart. This one runs until it is stopped, after it has been re-run.
        name = create(live, 1_000_000)
        wait_for_round(live, name)
        assert ran_warm(live, name)
        before = processes_under(live.home / "warm")
        assert len(before) >= 6  # two sandboxes (the job's, the next job's spare): bwrap, its init, python

        live.restart()  # SIGKILL mid-training, then a new server process on the same home

        assert all_gone(before), "a warm worker outlived the server that started it"
        sagemaker = live.client("sagemaker")
        deadline = time.monotonic() + 60
        while True:  # re-run: Restarting, then Training again
            statuses = [
                t["Status"] for t in wait_for_secondary(sagemaker, name, "Training")["SecondaryStatusTransitions"]
            ]
            if "Restarting" in statuses[statuses.index("Training") :]:
                break
            assert time.monotonic() < deadline, statuses
            time.sleep(0.05)
        sagemaker.stop_training_job(TrainingJobName=name)
        job = wait_for_job(sagemaker, name, timeout=60)
        assert (job["TrainingJobStatus"], job["SecondaryStatus"]) == ("Stopped", "Stopped")
        after = processes_under(live.home / "warm")
    finally:
        live.stop()
    assert all_gone(after), "a warm worker outlived the server's shutdown"
