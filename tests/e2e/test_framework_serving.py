"""``python -m drydock.frameworks serve`` as a replica runs it: the model server process answering
/ping and /invocations for a user's inference.py, with the model Environment the SDK's
SKLearnModel / PyTorchModel set (SAGEMAKER_PROGRAM, SAGEMAKER_SUBMIT_DIRECTORY, ...)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import textwrap
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
import pytest
import torch
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from drydock.testing.live_server import LiveServer
from drydock.testing.ports import free_port

START_TIMEOUT = 120.0
IRIS = load_iris()

INFERENCE = """
import os, joblib, termcolor  # termcolor comes from requirements.txt

def model_fn(model_dir):
    print(termcolor.colored("loading model", None), flush=True)
    return joblib.load(os.path.join(model_dir, "model.joblib"))

def predict_fn(input_data, model):
    if input_data.shape[1] != 4:
        raise ValueError(f"expected 4 features, got {input_data.shape[1]}")
    return model.predict(input_data)
"""
SOURCES = {"inference.py": textwrap.dedent(INFERENCE), "requirements.txt": "termcolor>=2\n"}


@dataclass
class Answer:
    status: int
    content_type: str
    body: bytes


@dataclass
class ModelServer:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def invoke(self, body: bytes, content_type: str, accept: str = "application/json") -> Answer:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/invocations",
            data=body,
            method="POST",
            headers={"Content-Type": content_type, "Accept": accept},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Answer(response.status, response.headers["Content-Type"], response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.headers.get("Content-Type", ""), error.read())

    def ping(self) -> int | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/ping", timeout=2) as response:
                return int(response.status)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return None

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"model server exited with {self.process.returncode}:\n{self.log.read_text()}")
            if self.ping() == 200:
                return
            time.sleep(0.1)
        pytest.fail(f"model server not healthy after {START_TIMEOUT}s:\n{self.log.read_text()}")


Start = Callable[[Path, dict[str, str], str], ModelServer]


@pytest.fixture(scope="module")
def venv_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the module: the second server reuses the environment the first one built."""
    return tmp_path_factory.mktemp("venv-cache")


@pytest.fixture
def start(tmp_path: Path, venv_cache: Path) -> Iterator[Start]:
    servers: list[ModelServer] = []

    def launch(model_dir: Path, environment: dict[str, str], framework: str) -> ModelServer:
        port = free_port()
        env = {
            **os.environ,
            "SM_MODEL_DIR": str(model_dir),
            "SAGEMAKER_BIND_TO_PORT": str(port),
            "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
            "SAGEMAKER_REGION": "us-east-1",
            "DRYDOCK_VENV_CACHE": str(venv_cache),
            **environment,
        }
        log = tmp_path / f"server-{port}.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "drydock.frameworks", "serve", "--framework", framework],
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        server = ModelServer(process, port, log)
        servers.append(server)
        server.wait_healthy()
        return server

    yield launch
    for server in servers:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def iris_model(root: Path) -> Path:
    model_dir = root / "replica" / "model"
    model_dir.mkdir(parents=True)
    joblib.dump(LogisticRegression(max_iter=500).fit(IRIS.data, IRIS.target), model_dir / "model.joblib")
    return model_dir


def sourcedir_tar_gz(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def assert_serves_iris(server: ModelServer) -> None:
    answer = server.invoke(b"5.1,3.5,1.4,0.2\n7.7,3.0,6.1,2.3", "text/csv", "application/json")
    assert (answer.status, answer.content_type, json.loads(answer.body)) == (200, "application/json", [0, 2])
    as_csv = server.invoke(json.dumps([[5.1, 3.5, 1.4, 0.2]]).encode(), "application/json", "text/csv")
    assert (as_csv.status, as_csv.body) == (200, b"0\n")


def test_sklearn_inference_script_from_a_local_sourcedir_with_requirements(tmp_path: Path, start: Start) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name, text in SOURCES.items():
        (source / name).write_text(text)
    environment = {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": str(source)}
    server = start(iris_model(tmp_path), environment, "sklearn")

    assert_serves_iris(server)
    failed = server.invoke(b"1,2,3", "text/csv")
    assert (failed.status, failed.body.decode()) == (500, "expected 4 features, got 3")
    unsupported = server.invoke(b"\x89PNG", "image/png")
    assert unsupported.status == 415
    assert "Content type image/png is not supported by this framework." in unsupported.body.decode()
    log = server.log.read_text()
    assert "loading model" in log
    # The traceback of the script's error is in the log, as in CloudWatch.
    assert "Traceback (most recent call last)" in log and "ValueError: expected 4 features, got 3" in log


def test_sklearn_sourcedir_tar_gz_from_s3(server: LiveServer, tmp_path: Path, start: Start) -> None:
    s3 = server.client("s3")
    bucket = f"serving-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    # Where SKLearnModel(entry_point=..., source_dir=...).deploy() uploads the code.
    key = "sagemaker-scikit-learn-2024-01-01-00-00-00-000/sourcedir.tar.gz"
    s3.put_object(Bucket=bucket, Key=key, Body=sourcedir_tar_gz(SOURCES))
    aws = server.aws_env()
    connection = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION")
    environment = {
        "SAGEMAKER_PROGRAM": "inference.py",
        "SAGEMAKER_SUBMIT_DIRECTORY": f"s3://{bucket}/{key}",
        # What the replica backend gives a model server: this server's S3 and credentials.
        "S3_ENDPOINT_URL": aws["AWS_ENDPOINT_URL"],
        **{name: aws[name] for name in connection},
    }
    model_dir = iris_model(tmp_path)
    served = start(model_dir, environment, "sklearn")

    assert_serves_iris(served)
    # Extracted beside the model, as /opt/ml/code is beside /opt/ml/model.
    assert (model_dir.parent / "code" / "inference.py").exists()


class Doubler(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * 2


def test_pytorch_model_with_code_repacked_into_the_model(tmp_path: Path, start: Start) -> None:
    model_dir = tmp_path / "replica" / "model"
    (model_dir / "code").mkdir(parents=True)
    torch.jit.save(torch.jit.script(Doubler()), str(model_dir / "model.pt"))
    # PyTorchModel(entry_point="inference.py") repacks code/inference.py into model.tar.gz and points
    # SAGEMAKER_SUBMIT_DIRECTORY at /opt/ml/model/code; this script keeps every default but output_fn.
    (model_dir / "code" / "inference.py").write_text(
        textwrap.dedent(
            """
            import json
            def output_fn(prediction, accept):
                return json.dumps({"doubled": prediction.tolist()}), "application/json"
            """
        )
    )
    environment = {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"}
    server = start(model_dir, environment, "pytorch")

    buffer = io.BytesIO()
    np.save(buffer, np.array([[1.0, 2.5]]))  # the SDK's NumpySerializer
    answer = server.invoke(buffer.getvalue(), "application/x-npy")
    assert (answer.status, json.loads(answer.body)) == (200, {"doubled": [[2.0, 5.0]]})
