"""sagemaker SDK: script mode through ``SKLearn(entry_point, source_dir, ...).fit(logs="All")``."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
from sklearn.datasets import load_iris

from drydock.testing.live_server import LiveServer
from tests.sdk.script_run import ScriptRun


def test_sklearn_fit_runs_the_entry_point_with_its_hyperparameters_and_metrics(
    sdk_runs: dict[str, ScriptRun], server: LiveServer
) -> None:
    run = sdk_runs["sklearn_script_mode.py"]
    done = run.result()
    out = done.result
    assert out["status"] == "Completed"
    assert out["refused"] == [], "the SDK tried to reach hosts other than Drydock"

    # The SDK JSON-encodes framework hyperparameters; train.py got them back as typed options.
    sent = out["hyperparameters"]
    assert json.loads(sent["run_label"]) == "sdk test"
    assert json.loads(sent["sagemaker_program"]) == "train.py"
    assert json.loads(sent["sagemaker_submit_directory"]).startswith(f"s3://{run.options['bucket']}/")
    assert out["received"]["args"] == {"C": 0.5, "max_iter": 300, "run_label": "sdk test"}
    assert out["received"]["sm_hps"] == {"C": 0.5, "max_iter": 300, "run_label": "sdk test"}

    # metric_definitions parsed the script's line; the SDK streamed that line too.
    assert out["metrics"]["validation:accuracy"] > 0.8
    assert "validation accuracy: " in done.output

    assert out["model_data"] == f"s3://{run.options['bucket']}/{out['job_name']}/output/model.tar.gz"
    model = joblib.load(Path(run.options["download"]) / "model.joblib")
    assert model.C == 0.5
    iris = load_iris()
    assert model.score(iris.data, iris.target) > 0.9
