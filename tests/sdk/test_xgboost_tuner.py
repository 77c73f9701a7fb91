"""sagemaker SDK: ``HyperparameterTuner`` over the built-in XGBoost, from fit to best_estimator()."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

from drydock.testing.live_server import LiveServer
from tests.sdk.conftest import write_csv
from tests.sdk.script_run import ScriptRun


@pytest.fixture
def tuner_run(server: LiveServer, tmp_path: Path) -> Iterator[ScriptRun]:
    data = load_breast_cancer()
    x_train, x_valid, y_train, y_valid = train_test_split(data.data, data.target, test_size=0.3, random_state=0)
    write_csv(tmp_path / "data" / "train" / "train.csv", x_train, y_train)
    write_csv(tmp_path / "data" / "validation" / "validation.csv", x_valid, y_valid)
    options = {"bucket": f"sdk-tuner-{uuid.uuid4().hex[:8]}", "data": str(tmp_path / "data")}
    run = ScriptRun(server, "xgboost_tuner.py", options, tmp_path / "work")
    yield run
    run.stop()


def test_hyperparameter_tuner_fit_analytics_attach_and_best_estimator(tuner_run: ScriptRun, server: LiveServer) -> None:
    out = tuner_run.result().result
    assert out["refused"] == [], "the SDK tried to reach hosts other than Drydock"
    assert out["status"] == "Completed"
    name = out["tuning_job"]
    assert len(out["analytics_jobs"]) == 4 and all(job.startswith(f"{name}-") for job in out["analytics_jobs"])
    assert out["best_training_job"] == out["analytics_best"]
    assert out["attached"] == ["validation:logloss", 4, "Bayesian"]
    assert out["attached_ranges"] == [
        "CategoricalParameterRanges",
        "ContinuousParameterRanges",
        "IntegerParameterRanges",
    ]
    assert (
        out["best_model_data"] == f"s3://{tuner_run.options['bucket']}/{out['best_training_job']}/output/model.tar.gz"
    )
    child = server.client("sagemaker").describe_training_job(TrainingJobName=out["best_training_job"])
    assert child["TuningJobArn"].endswith(f"hyper-parameter-tuning-job/{name.lower()}")
