"""A multi-host XGBoost job's Rabit group: who its peers are, and failing (not hanging) without them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer

from drydock.algorithms.registry import XGBOOST
from drydock.algorithms.xgboost.rabit_group import DEFAULT_TIMEOUT, TIMEOUT_VARIABLE, PeerError, Peers, retries
from drydock.engine.cluster import Cluster
from drydock.engine.contract import ChannelConfig, InstanceTree, ResourceConfig, training_environment, write_config

HOSTS = ["algo-1", "algo-2"]


def test_a_single_host_job_has_no_peers() -> None:
    assert Peers.from_env({}) is None
    assert Peers.from_env({"SM_HOSTS": '["algo-1"]', "SM_CURRENT_HOST": "algo-1"}) is None


def test_peers_come_from_the_cluster_variables_the_engine_sets() -> None:
    cluster = Cluster(HOSTS, 41234, names_resolve=True)
    env = {"SM_HOSTS": '["algo-1", "algo-2"]', "SM_CURRENT_HOST": "algo-2", **cluster.environment("algo-2")}
    assert Peers.from_env(env) == Peers(HOSTS, 1, "algo-1", 41234, DEFAULT_TIMEOUT)
    assert Peers.from_env({**env, "SM_CURRENT_HOST": "algo-1", TIMEOUT_VARIABLE: "5"}) == Peers(
        HOSTS, 0, "algo-1", 41234, 5
    )


@pytest.mark.parametrize(
    "env",
    [
        {"SM_HOSTS": '["algo-1", "algo-2"]', "SM_CURRENT_HOST": "algo-3", "MASTER_PORT": "1"},
        {"SM_HOSTS": '["algo-1", "algo-2"]', "SM_CURRENT_HOST": "algo-1"},
    ],
)
def test_an_incomplete_distributed_environment_is_refused(env: dict[str, str]) -> None:
    with pytest.raises(PeerError):
        Peers.from_env(env)


def test_workers_retry_for_about_the_timeout() -> None:
    # xgboost waits 2, 4, 6 ... s between connection attempts: n attempts span n * (n - 1) s.
    assert [retries(t) for t in (1, 2, 30, 120)] == [2, 2, 6, 11]


@pytest.mark.parametrize("host", HOSTS)
def test_a_host_whose_peer_never_arrives_fails_with_a_reason(tmp_path: Path, host: str) -> None:
    X, y = load_breast_cancer(return_X_y=True)
    tree = InstanceTree(tmp_path / host)
    tree.create()
    hps = {"num_round": "5", "objective": "binary:logistic", "nthread": "1"}
    channels = [ChannelConfig("train", content_type="text/csv")]
    resource = ResourceConfig(host, HOSTS, "ml.m5.large")
    write_config(tree, hps, resource, channels, None)
    (tree.channel("train")).mkdir(parents=True, exist_ok=True)
    np.savetxt(tree.channel("train") / "train.csv", np.column_stack([y, X]), delimiter=",", fmt="%.17g")
    cluster = Cluster.plan(HOSTS, names_resolve=False)
    env = training_environment(
        tree, job_name="xgb", region="us-east-1", hyperparameters=hps, resource=resource, channels=channels, num_cpus=1
    )
    env = {**os.environ, **env, **cluster.environment(host), TIMEOUT_VARIABLE: "1"}

    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", XGBOOST.module, "train"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert time.monotonic() - started < 30
    reason = tree.failure.read_text()
    assert reason.startswith(f"AlgorithmError: GroupError: host {host} (rank {HOSTS.index(host)}) could not form")
    assert "within 1s" in reason
    assert not (tree.model / "xgboost-model").exists()
