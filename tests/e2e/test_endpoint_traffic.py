"""Traffic across variants and replicas: weights, TargetVariant, live reweighting, zero-downtime
UpdateEndpoint, and a replica killed under load."""

from __future__ import annotations

import collections
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xgboost as xgb
from botocore.config import Config
from botocore.exceptions import ClientError

from drydock.testing.live_server import LiveServer
from tests.e2e.hosting_support import (
    create_config,
    create_xgb_model,
    csv_rows,
    deploy,
    diabetes,
    kill_group,
    predictions,
    replica_pids,
    train_booster,
    wait_for_endpoint,
)


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    return diabetes()


def _split(runtime: Any, name: str, calls: int, **extra: Any) -> collections.Counter[str]:
    seen: collections.Counter[str] = collections.Counter()
    for _ in range(calls):
        answer = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=b"0.1," * 9 + b"0.1", **extra)
        answer["Body"].read()
        seen[answer["InvokedProductionVariant"]] += 1
    return seen


def test_weights_target_variant_and_live_reweighting(
    server: LiveServer, tmp_path: Path, data: tuple[np.ndarray, np.ndarray]
) -> None:
    sagemaker, runtime = server.client("sagemaker"), server.client("sagemaker-runtime")
    model_a = create_xgb_model(server, train_booster(*data, rounds=2), tmp_path)
    model_b = create_xgb_model(server, train_booster(*data, rounds=3), tmp_path)
    name = deploy(sagemaker, [("A", model_a, 1, 3.0), ("B", model_b, 1, 1.0)])

    # 3:1 over 400 calls: A's share has a standard deviation of ~2.2 points around 75%.
    seen = _split(runtime, name, 400)
    assert 0.65 <= seen["A"] / 400 <= 0.85, seen

    assert _split(runtime, name, 20, TargetVariant="B") == {"B": 20}

    sagemaker.update_endpoint_weights_and_capacities(
        EndpointName=name,
        DesiredWeightsAndCapacities=[
            {"VariantName": "A", "DesiredWeight": 0.0},
            {"VariantName": "B", "DesiredWeight": 1.0},
        ],
    )
    endpoint = wait_for_endpoint(sagemaker, name)
    assert endpoint["EndpointStatus"] == "InService"
    weights = {v["VariantName"]: (v["CurrentWeight"], v["DesiredWeight"]) for v in endpoint["ProductionVariants"]}
    assert weights == {"A": (0.0, 0.0), "B": (1.0, 1.0)}
    assert _split(runtime, name, 50) == {"B": 50}
    assert _split(runtime, name, 5, TargetVariant="A") == {"A": 5}  # a zero weight still serves TargetVariant

    sagemaker.update_endpoint_weights_and_capacities(
        EndpointName=name, DesiredWeightsAndCapacities=[{"VariantName": "B", "DesiredInstanceCount": 2}]
    )
    endpoint = wait_for_endpoint(sagemaker, name)
    counts = {v["VariantName"]: v["CurrentInstanceCount"] for v in endpoint["ProductionVariants"]}
    assert counts == {"A": 1, "B": 2}
    assert len(replica_pids(server.home, name)) == 3
    sagemaker.delete_endpoint(EndpointName=name)


class _Traffic:
    """Clients invoking an endpoint in a loop on threads, recording every answer and failure."""

    def __init__(self, server: LiveServer, name: str, body: bytes, clients: int = 4) -> None:
        self.name, self.body = name, body
        self.answers: list[float] = []
        #: (sent, answered, value) per answer, time.monotonic() on the client.
        self.timed: list[tuple[float, float, float]] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        config = Config(retries={"max_attempts": 1}, read_timeout=30)
        self._runtimes = [server.client("sagemaker-runtime", config=config) for _ in range(clients)]
        self._threads = [threading.Thread(target=self._run, args=(r,), daemon=True) for r in self._runtimes]

    def __enter__(self) -> _Traffic:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def count(self) -> int:
        return len(self.answers) + len(self.errors)

    def _run(self, runtime: Any) -> None:
        while not self._stop.is_set():
            sent = time.monotonic()
            try:
                answer = runtime.invoke_endpoint(EndpointName=self.name, ContentType="text/csv", Body=self.body)
                value = float(predictions(answer["Body"].read())[0])
            except ClientError as error:
                self.errors.append(error.response["Error"]["Message"])
            except Exception as error:  # a broken connection or a timeout: a failure too, never a dead thread
                self.errors.append(f"{type(error).__name__}: {error}")
            else:
                self.timed.append((sent, time.monotonic(), value))
                self.answers.append(value)


def _wait(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_update_endpoint_under_traffic_fails_no_request(
    server: LiveServer, tmp_path: Path, data: tuple[np.ndarray, np.ndarray]
) -> None:
    features, labels = data
    sagemaker = server.client("sagemaker")
    old, new = train_booster(features, labels, rounds=2), train_booster(features, labels, rounds=8)
    row = features[:1]
    old_value = float(old.predict(xgb.DMatrix(row))[0])
    new_value = float(new.predict(xgb.DMatrix(row))[0])
    assert abs(old_value - new_value) > 1e-3
    name = deploy(sagemaker, [("AllTraffic", create_xgb_model(server, old, tmp_path), 1, 1.0)])
    new_config = create_config(sagemaker, [("AllTraffic", create_xgb_model(server, new, tmp_path), 1, 1.0)])

    with _Traffic(server, name, csv_rows(row)) as traffic:
        _wait(lambda: traffic.count() > 20, 30, "no traffic flowed")
        sagemaker.update_endpoint(EndpointName=name, EndpointConfigName=new_config)
        assert sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"] == "Updating"
        endpoint = wait_for_endpoint(sagemaker, name)
        before = traffic.count()
        _wait(lambda: traffic.count() > before + 20, 30, "traffic stopped after the update")

    assert traffic.errors == []
    assert endpoint["EndpointStatus"] == "InService"
    assert endpoint["EndpointConfigName"] == new_config
    assert "PendingDeploymentSummary" not in endpoint
    values = np.array(traffic.answers)
    assert set(np.round(values, 4)) <= {round(old_value, 4), round(new_value, 4)}
    assert np.isclose(values[-1], new_value, rtol=1e-5)
    # Once switched, the old model is never used again: no request sent after a client first saw the
    # new model's answer got the old one. (Answers are compared by when they were sent, not in the
    # order they arrived: with 4 clients, a request the old replica took just before the switch may
    # be answered after one the new replica took just after it.)
    first_new = min(answered for _, answered, value in traffic.timed if np.isclose(value, new_value, rtol=1e-5))
    late = [value for sent, _, value in traffic.timed if sent > first_new]
    assert late and np.allclose(late, new_value, rtol=1e-5)
    # The old replica is stopped once its last requests are answered (after InService is recorded).
    _wait(lambda: len(replica_pids(server.home, name)) == 1, 30, "the old replica was never stopped")
    server.client("sagemaker").delete_endpoint(EndpointName=name)


def test_killed_replica_bounds_errors_and_comes_back(
    server: LiveServer, tmp_path: Path, data: tuple[np.ndarray, np.ndarray]
) -> None:
    features, labels = data
    sagemaker = server.client("sagemaker")
    name = deploy(
        sagemaker, [("AllTraffic", create_xgb_model(server, train_booster(features, labels), tmp_path), 2, 1.0)]
    )
    first = sorted(replica_pids(server.home, name))
    assert len(first) == 2

    with _Traffic(server, name, csv_rows(features[:1])) as traffic:
        _wait(lambda: traffic.count() > 20, 30, "no traffic flowed")
        kill_group(first[0])
        killed_at = traffic.count()
        _wait(lambda: len(set(replica_pids(server.home, name)) - set(first)) == 1, 30, "the replica never came back")
        after = traffic.count()
        _wait(lambda: traffic.count() > after + 20, 30, "traffic stopped after the replacement")

    # Only requests in flight on the killed replica can fail (4 clients: at most 4), and fail fast.
    assert len(traffic.errors) <= 4, traffic.errors
    assert all("stopped while handling the request" in message for message in traffic.errors)
    assert traffic.count() > killed_at
    endpoint = sagemaker.describe_endpoint(EndpointName=name)
    assert endpoint["EndpointStatus"] == "InService"
    assert endpoint["ProductionVariants"][0]["CurrentInstanceCount"] == 2
    sagemaker.delete_endpoint(EndpointName=name)
