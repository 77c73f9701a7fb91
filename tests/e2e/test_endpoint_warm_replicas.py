"""Script-mode replicas start in warm workers: after a framework's first replica (cold), the server
keeps a spare model-server process that has imported the framework, and the next replica of that
framework — another endpoint, an update, a replacement — is that process. What a user sees: the same
predictions, sooner; a model whose Environment sets more than the toolkit's SAGEMAKER_* variables
still starts cold."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from drydock.testing.live_server import LiveServer
from tests.e2e.hosting_support import ROLE, deploy, replica_pids, unique
from tests.e2e.test_endpoint_script_mode import SKLEARN_IMAGE, _tar

INFERENCE = b"""
import os, joblib

def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))
"""
SPARE_STARTED = "warm worker for drydock.frameworks serve --framework sklearn started"
WARM_PROGRAM = "drydock.engine.launchers.warm_worker"


@pytest.fixture
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of its own: on the session's, another test's sklearn replica may have made the spare."""
    live = LiveServer(tmp_path_factory.mktemp("warm-replicas-home"))
    live.start()
    yield live
    live.stop()


def _programs(pid: int) -> list[str]:
    """The command lines of ``pid`` and every process under it (a sandbox's init, the program)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        try:
            found.append(Path(f"/proc/{current}/cmdline").read_text().replace("\0", " "))
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        pending += [int(child) for child in children]
    return found


def _warm(server: LiveServer, endpoint: str) -> bool:
    (pid,) = replica_pids(server.home, endpoint)
    return any(WARM_PROGRAM in program for program in _programs(pid))


def _wait_for_spare(server: LiveServer, count: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while server.log_path.read_text(errors="replace").count(SPARE_STARTED) < count:
        assert time.monotonic() < deadline, "the server never started a spare sklearn model server"
        time.sleep(0.05)


def test_the_next_sklearn_replica_is_a_warm_worker_and_serves_the_same(server: LiveServer, tmp_path: Path) -> None:
    iris = load_iris()
    model = LogisticRegression(max_iter=500).fit(iris.data, iris.target)
    joblib.dump(model, tmp_path / "model.joblib")
    s3, sagemaker = server.client("s3"), server.client("sagemaker")
    runtime = server.client("sagemaker-runtime")
    bucket, prefix = "warm-replicas", unique("iris")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(
        Bucket=bucket,
        Key=f"{prefix}/model.tar.gz",
        Body=_tar({"model.joblib": (tmp_path / "model.joblib").read_bytes()}),
    )
    s3.put_object(Bucket=bucket, Key=f"{prefix}/sourcedir.tar.gz", Body=_tar({"inference.py": INFERENCE}))
    toolkit = {
        "SAGEMAKER_PROGRAM": "inference.py",
        "SAGEMAKER_SUBMIT_DIRECTORY": f"s3://{bucket}/{prefix}/sourcedir.tar.gz",
        "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
        "SAGEMAKER_REGION": "us-east-1",
    }

    def create_model(environment: dict[str, str]) -> str:
        name = unique("iris")
        sagemaker.create_model(
            ModelName=name,
            ExecutionRoleArn=ROLE,
            PrimaryContainer={
                "Image": SKLEARN_IMAGE,
                "ModelDataUrl": f"s3://{bucket}/{prefix}/model.tar.gz",
                "Environment": environment,
            },
        )
        return name

    plain = create_model(toolkit)
    rows = iris.data[::7]
    expected = model.predict(rows)

    def predicted(endpoint: str) -> np.ndarray:
        body = "\n".join(",".join(str(v) for v in row) for row in rows).encode()
        answer = runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=body)
        return np.array(answer["Body"].read().decode().replace("[", "").replace("]", "").split(","), dtype=float)

    first = deploy(sagemaker, [("AllTraffic", plain, 1, 1.0)])
    assert not _warm(server, first)  # the framework's first replica starts cold, and asks for a spare
    _wait_for_spare(server, 1)

    second = deploy(sagemaker, [("AllTraffic", plain, 1, 1.0)])
    assert _warm(server, second)
    np.testing.assert_array_equal(predicted(second), expected)
    np.testing.assert_array_equal(predicted(first), expected)
    assert "runs in a warm worker" in server.log_path.read_text(errors="replace")

    # A variable the program may read as it starts is not the toolkit's: that model starts cold.
    _wait_for_spare(server, 2)  # the taken worker was replaced
    tuned = create_model({**toolkit, "OMP_NUM_THREADS": "1"})
    third = deploy(sagemaker, [("AllTraffic", tuned, 1, 1.0)])
    assert not _warm(server, third)
    np.testing.assert_array_equal(predicted(third), expected)

    for endpoint in (first, second, third):
        sagemaker.delete_endpoint(EndpointName=endpoint)
    deadline = time.monotonic() + 30
    root = server.home / "endpoints"
    while left := [str(root / e) for e in (first, second, third) if (root / e).exists()]:
        assert time.monotonic() < deadline, f"deleted endpoints' directories were left behind: {left}"
        time.sleep(0.05)
