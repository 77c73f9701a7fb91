"""Multi-instance training end to end: two instances find each other and train together with torch.distributed.

The program is what a SageMaker user writes for native PyTorch DDP: ``init_process_group`` from the
``MASTER_ADDR``/``MASTER_PORT``/``RANK``/``WORLD_SIZE`` the toolkit exports, a gloo all-reduce, one
DDP step, and the model saved by rank 0 (SageMaker uploads ``algo-1``'s ``/opt/ml/model``).
"""

from __future__ import annotations

import shutil
import sys
import textwrap
import uuid

import pytest

from drydock.engine.launchers.sandbox import probe
from drydock.testing.live_server import LiveServer
from tests.e2e.training_support import ROLE, job_log, model_files, wait_for_job

pytest.importorskip("torch")

BWRAP = shutil.which("bwrap")
SANDBOXED = BWRAP is not None and probe(BWRAP) is None

PROGRAM = textwrap.dedent(
    """
    import datetime, os, pathlib, socket
    import torch, torch.distributed as dist
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    shards = sorted(p.name for p in pathlib.Path(os.environ["SM_CHANNEL_SHARDS"]).rglob("*") if p.is_file())
    master = os.environ["MASTER_ADDR"]
    print(f"host={os.environ['SM_CURRENT_HOST']} shards={','.join(shards)}", flush=True)
    print(f"host={os.environ['SM_CURRENT_HOST']} master={master}->{socket.gethostbyname(master)}", flush=True)
    dist.init_process_group("gloo", init_method="env://", timeout=datetime.timedelta(seconds=60))
    value = torch.tensor([float(rank + 1)])
    dist.all_reduce(value)
    print(f"rank={rank} allreduce={value.item():.1f}", flush=True)
    torch.manual_seed(0)
    model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(2, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = torch.nn.functional.mse_loss(model(torch.full((4, 2), float(rank + 1))), torch.ones(4, 1))
    loss.backward()
    optimizer.step()
    weights = model.module.weight.detach().clone()
    gathered = [torch.zeros_like(weights) for _ in range(world)]
    dist.all_gather(gathered, weights)
    print(f"rank={rank} weights_in_sync={all(torch.equal(weights, w) for w in gathered)}", flush=True)
    if rank == 0:
        torch.save(model.module.state_dict(), pathlib.Path(os.environ["SM_MODEL_DIR"], "model.pt"))
    dist.barrier()
    # Leave without tearing gloo down: its destructor can abort (SIGABRT) when the peer has already
    # closed its sockets, which happened now and then on a loaded machine. Everything is written.
    os._exit(0)
    """
)
LAUNCH = "import os, runpy; runpy.run_path(os.environ['SM_CHANNEL_CODE'] + '/train.py', run_name='__main__')"


def channel(name: str, uri: str, distribution: str = "FullyReplicated") -> dict[str, object]:
    source = {"S3DataType": "S3Prefix", "S3Uri": uri, "S3DataDistributionType": distribution}
    return {"ChannelName": name, "DataSource": {"S3DataSource": source}}


def test_two_instances_all_reduce_and_train_one_ddp_step(server: LiveServer) -> None:
    sagemaker, s3, logs = server.client("sagemaker"), server.client("s3"), server.client("logs")
    bucket = f"dist-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="code/train.py", Body=PROGRAM.encode())
    for part in ("part-a.csv", "part-b.csv"):
        s3.put_object(Bucket=bucket, Key=f"shards/{part}", Body=b"1,2\n")
    name = f"ddp-{uuid.uuid4().hex[:10]}"
    sagemaker.create_training_job(
        TrainingJobName=name,
        RoleArn=ROLE,
        AlgorithmSpecification={
            "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-ddp:latest",
            "TrainingInputMode": "File",
            "ContainerEntrypoint": [sys.executable, "-c", LAUNCH],
        },
        InputDataConfig=[
            channel("code", f"s3://{bucket}/code/"),
            channel("shards", f"s3://{bucket}/shards/", "ShardedByS3Key"),
        ],
        OutputDataConfig={"S3OutputPath": f"s3://{bucket}/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 2, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
    )

    job = wait_for_job(sagemaker, name, timeout=180)

    lines = job_log(logs, name)
    assert job["TrainingJobStatus"] == "Completed", (job.get("FailureReason"), lines)
    # 1 + 2 summed across both processes: they really exchanged tensors.
    assert {"rank=0 allreduce=3.0", "rank=1 allreduce=3.0"} <= set(lines)
    assert {"rank=0 weights_in_sync=True", "rank=1 weights_in_sync=True"} <= set(lines)
    assert set(model_files(s3, job["ModelArtifacts"]["S3ModelArtifacts"])) == {"model.pt"}
    # ShardedByS3Key: each instance got one of the two objects, and not the same one.
    shards = {line.split(" ")[0]: line.split("shards=")[1] for line in lines if "shards=" in line}
    assert sorted(shards.values()) == ["part-a.csv", "part-b.csv"]
    master = "algo-1->127.0.0.1" if SANDBOXED else "127.0.0.1->127.0.0.1"
    assert f"host=algo-2 master={master}" in lines
    streams = logs.describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix=f"{name}/")
    hosts = sorted(s["logStreamName"].removeprefix(f"{name}/").rsplit("-", 1)[0] for s in streams["logStreams"])
    assert hosts == ["algo-1", "algo-2"]
