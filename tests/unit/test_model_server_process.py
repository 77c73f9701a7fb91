"""The model server as a real process: ``serve(handler)`` on a free loopback port.

Two programs are started: ``python -m drydock.algorithms.xgboost serve`` with a model trained here,
and a small script serving an echoing handler, which drives the HTTP layer's own behaviour (health
while a prediction runs, errors, limits, timeouts, SIGTERM). Clients are httpx with keep-alive.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pytest
import xgboost as xgb
from sklearn.datasets import load_breast_cancer  # type: ignore[import-untyped]

from drydock.algorithms.registry import XGBOOST
from drydock.algorithms.xgboost.checkpoints import write_booster
from drydock.algorithms.xgboost.training import MODEL_NAME
from drydock.testing.ports import free_port

START_TIMEOUT = 60.0
ECHO_SERVER = textwrap.dedent(
    """
    import sys, threading, time
    from pathlib import Path
    from drydock.serving.model_server import serve
    from drydock.serving.model_server.handler import InferenceRequest, InferenceResponse, ModelHandlerError

    class EchoHandler:
        def load(self, model_dir: Path) -> None:
            self.model_dir = model_dir
            if (model_dir / "slow").exists():
                (model_dir / "loading").touch()
                time.sleep(float((model_dir / "slow").read_text()))
            if (model_dir / "broken").exists():
                raise RuntimeError("the weights are corrupt")

        def invoke(self, request: InferenceRequest) -> InferenceResponse:
            command, _, argument = request.body.partition(b" ")
            if command == b"sleep":  # leaves a marker, so a test knows the prediction is running
                (self.model_dir / f"sleeping-{threading.get_ident()}").touch()
                time.sleep(float(argument))
                return InferenceResponse(b"slept", "text/plain")
            if command == b"fail":
                raise ModelHandlerError(int(argument), "told to fail\\nwith two lines")
            if command == b"crash":
                raise KeyError("crash")
            if command == b"thread":
                return InferenceResponse(threading.current_thread().name.encode(), "text/plain")
            accept = request.accept or "application/octet-stream"
            return InferenceResponse(request.body, accept, request.custom_attributes)

    sys.exit(serve(EchoHandler()))
    """
)


@dataclass
class Replica:
    process: subprocess.Popen[bytes]
    url: str
    model_dir: Path
    log: Path
    started: float
    ready_seconds: float = 0.0

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


def _launch(command: list[str], model_dir: Path, log: Path, **env: str) -> Replica:
    port = free_port()
    environment = {**os.environ, "SM_MODEL_DIR": str(model_dir), "SAGEMAKER_BIND_TO_PORT": str(port), **env}
    with log.open("wb") as sink:
        started = time.monotonic()
        process = subprocess.Popen(command, env=environment, stdout=sink, stderr=subprocess.STDOUT)
    return Replica(process, f"http://127.0.0.1:{port}", model_dir, log, started)


def _wait_ready(replica: Replica) -> Replica:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if replica.process.poll() is not None:
            raise AssertionError(f"the model server exited with {replica.process.returncode}:\n{replica.output()}")
        try:
            if httpx.get(f"{replica.url}/ping", timeout=2).status_code == 200:
                replica.ready_seconds = time.monotonic() - replica.started
                return replica
        except httpx.TransportError:
            pass
        time.sleep(0.01)
    replica.stop()
    raise AssertionError(f"/ping never answered 200 within {START_TIMEOUT} s:\n{replica.output()}")


def _wait_sleeping(replica: Replica, count: int) -> None:
    """Until ``count`` of the echo server's slow predictions are running."""
    deadline = time.monotonic() + 10
    while len(list(replica.model_dir.glob("sleeping-*"))) < count:
        assert time.monotonic() < deadline, "the slow predictions never started"
        time.sleep(0.01)


def _echo_server(tmp_path: Path, **env: str) -> Replica:
    script = tmp_path / "echo_server.py"
    script.write_text(ECHO_SERVER)
    model_dir = tmp_path / "model"
    model_dir.mkdir(exist_ok=True)
    return _launch([sys.executable, str(script)], model_dir, tmp_path / "echo.log", **env)


@pytest.fixture
def echo(tmp_path: Path) -> Iterator[Replica]:
    replica = _wait_ready(_echo_server(tmp_path, SAGEMAKER_MODEL_SERVER_WORKERS="3"))
    yield replica
    replica.stop()


# --- the HTTP layer ------------------------------------------------------------------------------


def test_invocations_carry_body_types_and_custom_attributes(echo: Replica) -> None:
    with httpx.Client(base_url=echo.url) as client:
        response = client.post(
            "/invocations",
            content=b"1,2,3",
            headers={
                "Content-Type": "text/csv",
                "Accept": "application/json",
                "X-Amzn-SageMaker-Custom-Attributes": "trace-id=7,session=a",
            },
        )
        assert response.status_code == 200 and response.content == b"1,2,3"
        assert response.headers["content-type"] == "application/json"
        assert response.headers["x-amzn-sagemaker-custom-attributes"] == "trace-id=7,session=a"
        assert client.get("/execution-parameters").json() == {
            "MaxConcurrentTransforms": 3,
            "BatchStrategy": "MULTI_RECORD",
            "MaxPayloadInMB": 6,
        }
        assert client.get("/other").status_code == 404
        assert client.get("/invocations").status_code == 405
        assert client.post("/ping").status_code == 405


def test_errors_answer_with_their_status_and_message(echo: Replica) -> None:
    with httpx.Client(base_url=echo.url) as client:
        told = client.post("/invocations", content=b"fail 415")
        assert (told.status_code, told.text) == (415, "told to fail\nwith two lines")
        assert told.headers["content-type"] == "text/plain; charset=utf-8"
        crashed = client.post("/invocations", content=b"crash")
        assert (crashed.status_code, crashed.text) == (500, "'crash'")
        assert client.post("/invocations", content=b"still serving").status_code == 200
    log = echo.output()
    assert "Invocation failed with 415: told to fail with two lines" in log
    assert "Invocation failed with 500: 'crash'" in log and "Traceback" in log and "KeyError" in log


def test_ping_answers_while_predictions_run(echo: Replica) -> None:
    answers: list[int] = []
    slow = [
        threading.Thread(
            target=lambda: answers.append(httpx.post(f"{echo.url}/invocations", content=b"sleep 2").status_code)
        )
        for _ in range(2)
    ]
    for thread in slow:
        thread.start()
    _wait_sleeping(echo, 2)
    began = time.monotonic()
    assert httpx.get(f"{echo.url}/ping").status_code == 200
    assert httpx.post(f"{echo.url}/invocations", content=b"quick").status_code == 200  # third worker
    assert time.monotonic() - began < 1.5
    for thread in slow:
        thread.join()
    assert answers == [200, 200]


def test_oversized_bodies_are_refused_with_413(tmp_path: Path) -> None:
    replica = _wait_ready(_echo_server(tmp_path, SAGEMAKER_MAX_PAYLOAD_IN_MB="1"))
    try:
        limit = 1024 * 1024 + 64 * 1024
        with httpx.Client(base_url=replica.url) as client:
            assert client.post("/invocations", content=b"x" * limit).status_code == 200
            refused = client.post("/invocations", content=b"x" * (limit + 1))
            assert refused.status_code == 413 and "exceeds the model server's limit" in refused.text

            def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies as the body arrives
                for _ in range(20):
                    yield b"y" * 100_000

            assert client.post("/invocations", content=chunks()).status_code == 413
            assert client.post("/invocations", content=b"after").content == b"after"
            assert client.get("/execution-parameters").json()["MaxPayloadInMB"] == 1
    finally:
        assert replica.stop() == 0


def test_slow_invocations_time_out_with_504(tmp_path: Path) -> None:
    replica = _wait_ready(_echo_server(tmp_path, SAGEMAKER_MODEL_SERVER_TIMEOUT="1"))
    try:
        response = httpx.post(f"{replica.url}/invocations", content=b"sleep 3", timeout=10)
        assert response.status_code == 504 and "SAGEMAKER_MODEL_SERVER_TIMEOUT" in response.text
    finally:
        replica.stop()


def test_sigterm_lets_the_running_invocation_finish_and_exits_0(echo: Replica) -> None:
    answer: list[httpx.Response] = []
    request = threading.Thread(
        target=lambda: answer.append(httpx.post(f"{echo.url}/invocations", content=b"sleep 1.5", timeout=10))
    )
    request.start()
    _wait_sleeping(echo, 1)
    echo.process.send_signal(signal.SIGTERM)
    assert echo.process.wait(timeout=30) == 0
    request.join()
    assert answer[0].status_code == 200 and answer[0].content == b"slept"
    assert "Model server stopped" in echo.output()


def _raw_exchange(replica: Replica, data: bytes, answers: int) -> list[bytes]:
    """Send ``data`` as is on one connection and read ``answers`` responses (each with Content-Length)."""
    port = int(replica.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(data)
        reader = connection.makefile("rb")
        responses = []
        for _ in range(answers):
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                head += reader.readline()
            length = next(
                (
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                ),
                0,
            )
            responses.append(head + reader.read(length))
        return responses


def test_pipelined_requests_are_answered_in_order(echo: Replica) -> None:
    requests = (
        b"".join(
            b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
            for body in (b"sleep 0.3", b"second", b"third")
        )
        + b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    answers = _raw_exchange(echo, requests, 4)
    assert [a.split(b"\r\n\r\n", 1)[1] for a in answers] == [b"slept", b"second", b"third", b""]
    assert all(a.startswith(b"HTTP/1.1 200 OK\r\n") for a in answers)


def test_expect_continue_is_answered_and_malformed_requests_get_400(echo: Replica) -> None:
    port = int(echo.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(
            b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
        )
        assert connection.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        connection.sendall(b"hello")
        assert connection.recv(1000).endswith(b"\r\n\r\nhello")
    (bad,) = _raw_exchange(echo, b"NOT HTTP AT ALL\r\n\r\n", 1)
    assert bad.startswith(b"HTTP/1.1 400 ")
    assert httpx.get(f"{echo.url}/ping").status_code == 200  # still serving


def test_a_connection_goes_on_after_a_504_and_fast_models_are_served_inline(tmp_path: Path) -> None:
    replica = _wait_ready(_echo_server(tmp_path, SAGEMAKER_MODEL_SERVER_TIMEOUT="1"))
    try:
        with httpx.Client(base_url=replica.url, timeout=10) as client:
            assert client.post("/invocations", content=b"sleep 2").status_code == 504
            # Quick answers from now on, on the same connection, concurrently with the late thread.
            assert [client.post("/invocations", content=b"%d" % i).content for i in range(50)] == [
                b"%d" % i for i in range(50)
            ]
            # Nothing else predicting (once the late thread has ended), a quick model: the event
            # loop's thread answers itself.
            deadline = time.monotonic() + 10
            while client.post("/invocations", content=b"thread").content != b"MainThread":
                assert time.monotonic() < deadline, "quick invocations never ran inline"
            # A prediction that turns slow is answered all the same, and sends the next to the pool.
            assert client.post("/invocations", content=b"sleep 0.2").status_code == 200
            assert client.post("/invocations", content=b"thread").content.startswith(b"inference")
    finally:
        assert replica.stop() == 0


def test_the_port_opens_only_once_the_model_is_loaded(tmp_path: Path) -> None:
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "slow").write_text("1.5")
    replica = _echo_server(tmp_path)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not (model_dir / "loading").exists():
            assert time.monotonic() < deadline and replica.process.poll() is None
            time.sleep(0.01)
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{replica.url}/ping")
        _wait_ready(replica)
        assert "model loaded in 1.5" in replica.output()
    finally:
        replica.stop()


def test_a_model_that_fails_to_load_exits_non_zero_with_the_traceback(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "broken").touch()
    replica = _echo_server(tmp_path)
    assert replica.process.wait(timeout=START_TIMEOUT) == 1
    log = replica.output()
    assert "could not be loaded: the weights are corrupt" in log and "Traceback" in log


def test_an_unusable_environment_exits_2(tmp_path: Path) -> None:
    replica = _echo_server(tmp_path, SAGEMAKER_MODEL_SERVER_WORKERS="many")
    assert replica.process.wait(timeout=START_TIMEOUT) == 2
    assert "SAGEMAKER_MODEL_SERVER_WORKERS='many' is not an integer" in replica.output()


# --- the built-in XGBoost replica ----------------------------------------------------------------


def _xgboost_replica(model_dir: Path, log: Path, **env: str) -> Replica:
    return _launch([sys.executable, "-m", XGBOOST.module, "serve"], model_dir, log, **env)


def test_xgboost_replica_serves_predictions(tmp_path: Path) -> None:
    X, y = load_breast_cancer(return_X_y=True)
    booster = xgb.train({"objective": "binary:logistic", "nthread": 1}, xgb.DMatrix(X, label=y), 20)
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    write_booster(booster, model_dir / MODEL_NAME)
    expected = booster.predict(xgb.DMatrix(X[:5]))
    replica = _wait_ready(_xgboost_replica(model_dir, tmp_path / "xgb.log"))
    try:
        rows = "\n".join(",".join(repr(float(v)) for v in row) for row in X[:5])
        with httpx.Client(base_url=replica.url) as client:
            headers = {"Content-Type": "text/csv", "X-Amzn-SageMaker-Custom-Attributes": "c000b4f9-df62"}
            response = client.post("/invocations", content=rows, headers=headers)
            assert response.status_code == 200
            assert response.headers["content-type"] == "text/csv; charset=utf-8"
            assert response.headers["x-amzn-sagemaker-custom-attributes"] == "c000b4f9-df62"
            values = np.array([float(v) for v in response.text.splitlines()], dtype=np.float32)
            np.testing.assert_array_equal(values, expected)

            malformed = client.post("/invocations", content=b"1.0,2.0,three\n", headers=headers)
            assert malformed.status_code == 415
            assert "please ensure data is in csv format" in malformed.text
            assert "could not convert string to float: 'three'" in malformed.text

            single = client.post("/invocations", content=rows.splitlines()[0], headers=headers)
            assert single.status_code == 200 and np.float32(float(single.text)) == expected[0]

            empty = client.post("/invocations", content=b"", headers=headers)
            assert (empty.status_code, empty.content) == (204, b"")
    finally:
        assert replica.stop() == 0
    log = replica.output()
    assert "Model server ready on 127.0.0.1" in log and "Invocation failed with 415" in log


def test_xgboost_replica_without_a_model_exits_with_the_reason(tmp_path: Path) -> None:
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    replica = _xgboost_replica(model_dir, tmp_path / "xgb.log")
    assert replica.process.wait(timeout=START_TIMEOUT) == 1
    assert f"No model file in {model_dir}: the model archive must hold xgboost-model" in replica.output()
