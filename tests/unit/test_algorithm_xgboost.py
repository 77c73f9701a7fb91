"""``python -m drydock.algorithms.xgboost train`` run as a subprocess against a temporary /opt/ml tree.

Each test lays the tree out with drydock.engine.contract, as the launcher does, and checks what a
user sees: the model file plain xgboost loads, its predictions against ``xgboost.train`` in-process
with the same parameters, the log lines and metrics, the failure file, and spot-style resumption.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import xgboost as xgb
from sklearn.datasets import dump_svmlight_file, load_breast_cancer, load_diabetes, load_svmlight_file  # type: ignore[import-untyped]

from drydock.algorithms.registry import XGBOOST
from drydock.engine.contract import ChannelConfig, InstanceTree, ResourceConfig, training_environment, write_config
from drydock.engine.inputs.pipe import PipeWriter

Array = npt.NDArray[np.float64]
# A user loading "xgboost-model" by path gets xgboost's format guess warning; the guess is right.
pytestmark = pytest.mark.filterwarnings("ignore:.*Unknown file format.*:UserWarning")
ROUND = re.compile(r"^\[(\d+)\]\t")


def _tree(
    tmp_path: Path, hps: dict[str, str], channels: dict[str, str], checkpoint: dict[str, str] | None = None
) -> tuple[InstanceTree, dict[str, str]]:
    tree = InstanceTree(tmp_path / "algo-1")
    tree.create()
    configs = [ChannelConfig(name, content_type=ct) for name, ct in channels.items()]
    resource = ResourceConfig("algo-1", ["algo-1"], "ml.m5.large")
    write_config(tree, hps, resource, configs, checkpoint)
    env = training_environment(
        tree, job_name="xgb", region="us-east-1", hyperparameters=hps, resource=resource, channels=configs, num_cpus=1
    )
    return tree, {**os.environ, **env}


def _csv(path: Path, X: Array, y: Array) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savetxt(path, np.column_stack([y, X]), delimiter=",", fmt="%.17g")


def _start(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", XGBOOST.module, "train"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", XGBOOST.module, "train"], env=env, capture_output=True, text=True, timeout=120
    )


def _model(tree: InstanceTree) -> xgb.Booster:
    booster = xgb.Booster()
    booster.load_model(str(tree.model / "xgboost-model"))  # as a user's own xgboost would
    return booster


def _rounds(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if ROUND.match(line)]


def _metric(lines: list[str], name: str) -> list[float]:
    pattern = re.compile(next(m.regex for m in XGBOOST.metric_definitions if m.name == name))
    return [float(m.group(1)) for m in map(pattern.search, lines) if m]


def test_breast_cancer_csv_matches_in_process_xgboost_and_logs_sagemaker_metrics(tmp_path: Path) -> None:
    X, y = load_breast_cancer(return_X_y=True)
    Xt, yt, Xv, yv = X[:450], y[:450], X[450:], y[450:]
    hps = {"num_round": "20", "objective": "binary:logistic", "max_depth": "3", "eta": "0.3"}
    hps |= {"eval_metric": "error,auc", "seed": "7", "nthread": "1"}
    tree, env = _tree(tmp_path, hps, {"train": "text/csv", "validation": "text/csv"})
    _csv(tree.channel("train") / "train.csv", Xt, yt)
    _csv(tree.channel("validation") / "nested" / "validation.csv", Xv, yv)

    result = _run(env)
    assert result.returncode == 0, result.stderr

    params = {"objective": "binary:logistic", "max_depth": 3, "eta": 0.3, "eval_metric": ["error", "auc"], "seed": 7}
    dtrain, dvalid = xgb.DMatrix(Xt, label=yt), xgb.DMatrix(Xv, label=yv)
    history: dict[str, dict[str, list[float]]] = {}
    expected = xgb.train(params | {"nthread": 1}, dtrain, 20, evals=[(dtrain, "train"), (dvalid, "validation")],
                         evals_result=history, verbose_eval=False)  # fmt: skip
    got = _model(tree).predict(xgb.DMatrix(Xv))
    np.testing.assert_allclose(got, expected.predict(dvalid), atol=1e-6)
    assert ((got > 0.5) == yv).mean() > 0.9

    lines = _rounds(result.stdout)
    assert [ROUND.match(line).group(1) for line in lines] == [str(i) for i in range(20)]  # type: ignore[union-attr]
    assert lines[0].split("\t")[1:] == [
        f"train-error:{history['train']['error'][0]:.5f}",
        f"train-auc:{history['train']['auc'][0]:.5f}",
        f"validation-error:{history['validation']['error'][0]:.5f}",
        f"validation-auc:{history['validation']['auc'][0]:.5f}",
    ]
    np.testing.assert_allclose(_metric(lines, "validation:auc"), history["validation"]["auc"], atol=1e-5)
    np.testing.assert_allclose(_metric(lines, "train:error"), history["train"]["error"], atol=1e-5)


# The reference side loads the file with xgboost's own (deprecated since 3.1) text parser on purpose:
# the container used it, and drydock.formats must read libsvm the same way.
@pytest.mark.filterwarnings("ignore:.*Text file input has been deprecated.*:UserWarning")
def test_diabetes_libsvm_regression_matches_in_process_xgboost(tmp_path: Path) -> None:
    X, y = load_diabetes(return_X_y=True)
    hps = {"num_round": "15", "max_depth": "4", "eta": "0.2", "subsample": "0.8", "seed": "3", "nthread": "1"}
    tree, env = _tree(tmp_path, hps, {"train": "text/libsvm"})
    path = tree.channel("train") / "diabetes.libsvm"
    path.parent.mkdir(parents=True)
    dump_svmlight_file(X, y, str(path), zero_based=True)

    result = _run(env)
    assert result.returncode == 0, result.stderr
    assert "deprecated" not in result.stderr  # the algorithm parses libsvm itself now

    dtrain = xgb.DMatrix(f"{path}?format=libsvm")
    params = {"max_depth": 4, "eta": 0.2, "subsample": 0.8, "seed": 3, "nthread": 1}
    expected = xgb.train(params, dtrain, 15)
    np.testing.assert_allclose(_model(tree).predict(dtrain), expected.predict(dtrain), atol=1e-6)
    # Default objective reg:squarederror, default metric rmse, no validation channel.
    assert len(_metric(_rounds(result.stdout), "train:rmse")) == 15


def test_early_stopping_on_the_validation_set(tmp_path: Path) -> None:
    X, y = load_diabetes(return_X_y=True)
    hps = {"num_round": "500", "eta": "0.5", "max_depth": "6", "early_stopping_rounds": "3", "nthread": "1"}
    tree, env = _tree(tmp_path, hps, {"train": "text/csv", "validation": "text/csv"})
    _csv(tree.channel("train") / "t.csv", X[:300], y[:300])
    _csv(tree.channel("validation") / "v.csv", X[300:], y[300:])

    result = _run(env)
    assert result.returncode == 0, result.stderr

    dtrain, dvalid = xgb.DMatrix(X[:300], label=y[:300]), xgb.DMatrix(X[300:], label=y[300:])
    params = {"eta": 0.5, "max_depth": 6, "nthread": 1}
    expected = xgb.train(params, dtrain, 500, evals=[(dtrain, "train"), (dvalid, "validation")],
                         early_stopping_rounds=3, verbose_eval=False)  # fmt: skip
    model = _model(tree)
    assert model.num_boosted_rounds() == expected.num_boosted_rounds() < 500
    assert len(_rounds(result.stdout)) == model.num_boosted_rounds()
    assert int(model.attr("best_iteration") or -1) == expected.best_iteration


@pytest.mark.parametrize(
    ("hps", "reason"),
    [
        ({"eta": "0.1"}, "ClientError: Missing required hyperparameter: num_round"),
        ({"num_round": "5", "objective": "multi:softprob"}, "ClientError: Hyperparameter num_class: required"),
    ],
)
def test_bad_hyperparameters_fail_with_a_reason(tmp_path: Path, hps: dict[str, str], reason: str) -> None:
    tree, env = _tree(tmp_path, hps, {"train": "text/csv"})
    _csv(tree.channel("train") / "t.csv", np.ones((4, 2)), np.zeros(4))
    result = _run(env)
    assert result.returncode != 0
    assert tree.failure.read_text().startswith(reason)
    assert not (tree.model / "xgboost-model").exists()


def test_empty_training_channel_is_the_user_s_error(tmp_path: Path) -> None:
    tree, env = _tree(tmp_path, {"num_round": "5"}, {"train": "text/csv"})
    assert _run(env).returncode != 0
    assert tree.failure.read_text().startswith("ClientError: No data in training channel path")


def _checkpoint_rounds(tree: InstanceTree) -> list[int]:
    """Rounds of the complete checkpoints; a file still being written has a temporary suffix."""
    names = (p.name.removeprefix("xgboost-checkpoint.") for p in tree.checkpoints.glob("xgboost-checkpoint.*"))
    return [int(n) for n in names if n.isdigit()]


def test_killed_job_resumes_from_its_last_checkpoint(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.random((2000, 20))
    y = X @ rng.random(20) + rng.normal(0, 0.1, 2000)
    hps = {"num_round": "100", "max_depth": "6", "tree_method": "exact", "nthread": "1"}
    tree, env = _tree(tmp_path, hps, {"train": "text/csv"}, {"S3Uri": "s3://bucket/checkpoints"})
    _csv(tree.channel("train") / "t.csv", X, y)

    first = _start(env)
    try:
        deadline = time.monotonic() + 60
        # Any checkpoint past round 4: older ones rotate away (at most 5 are kept), so waiting for
        # exactly ".4" could miss its short life on a busy machine.
        while not any(n >= 4 for n in _checkpoint_rounds(tree)):
            assert first.poll() is None, "training ended before it could be interrupted"
            assert time.monotonic() < deadline, "no checkpoint appeared"
            time.sleep(0.01)
        first.send_signal(signal.SIGKILL)  # a spot interruption gives no chance to clean up
    finally:
        first.wait(timeout=30)
    assert not (tree.model / "xgboost-model").exists()
    done = max(_checkpoint_rounds(tree)) + 1
    assert 5 <= done < 100

    second = _run(env)
    assert second.returncode == 0, second.stderr
    rounds = [int(ROUND.match(line).group(1)) for line in _rounds(second.stdout)]  # type: ignore[union-attr]
    assert rounds == list(range(done, 100))
    model = _model(tree)
    assert model.num_boosted_rounds() == 100
    assert len(_checkpoint_rounds(tree)) <= 5
    dtrain = xgb.DMatrix(X, label=y)
    uninterrupted = xgb.train({"max_depth": 6, "tree_method": "exact", "nthread": 1}, dtrain, 100)
    np.testing.assert_allclose(model.predict(dtrain), uninterrupted.predict(dtrain), atol=1e-5)


def test_pipe_mode_libsvm_reads_the_fifo_once_and_matches_file_mode(tmp_path: Path) -> None:
    X, y = load_diabetes(return_X_y=True)
    hps = {"num_round": "8", "max_depth": "3", "seed": "1", "nthread": "1"}
    tree = InstanceTree(tmp_path / "algo-1")
    tree.create()
    configs = [ChannelConfig("train", content_type="text/libsvm", input_mode="Pipe")]
    resource = ResourceConfig("algo-1", ["algo-1"], "ml.m5.large")
    write_config(tree, hps, resource, configs)
    env = training_environment(
        tree, job_name="xgb", region="us-east-1", hyperparameters=hps, resource=resource, channels=configs, num_cpus=1
    )
    source = tmp_path / "diabetes.libsvm"
    dump_svmlight_file(X, y, str(source), zero_based=True)
    # Two objects back to back, as the engine streams a prefix: the FIFO carries their bytes.
    halves = source.read_bytes().splitlines(keepends=True)
    chunks = [b"".join(halves[:200]), b"".join(halves[200:])]
    tree.input_data.mkdir(parents=True, exist_ok=True)
    writer = PipeWriter(lambda epoch: tree.pipe("train", epoch), lambda epoch: iter(chunks), "train").start()
    try:
        result = _run({**os.environ, **env})
    finally:
        writer.stop()
    assert result.returncode == 0, result.stderr
    assert writer.epochs_done == 1  # xgboost needs one pass only

    dtrain = xgb.DMatrix(load_svmlight_file(str(source), zero_based=True)[0], label=y)
    expected = xgb.train({"max_depth": 3, "seed": 1, "nthread": 1}, dtrain, 8)
    np.testing.assert_allclose(_model(tree).predict(dtrain), expected.predict(dtrain), atol=1e-6)
