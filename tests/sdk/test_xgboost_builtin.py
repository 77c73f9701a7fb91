"""sagemaker SDK: built-in XGBoost through ``Estimator(image_uris.retrieve("xgboost", ...)).fit(logs="All")``."""

from __future__ import annotations

import re
from pathlib import Path

import xgboost as xgb
from sklearn.datasets import load_breast_cancer

from drydock.testing.live_server import LiveServer
from tests.e2e.training_support import model_files
from tests.sdk.script_run import ScriptRun


def test_estimator_fit_streams_rounds_and_stores_a_loadable_model(
    sdk_runs: dict[str, ScriptRun], server: LiveServer, tmp_path: Path
) -> None:
    run = sdk_runs["xgboost_builtin.py"]
    done = run.result()
    out = done.result
    assert out["status"] == "Completed"
    assert out["refused"] == [], "the SDK tried to reach hosts other than Drydock"

    # fit(logs="All") tailed the job's log streams: every boosting round, in the algorithm's format.
    rounds = int(out["hyperparameters"]["num_round"])
    for n in range(rounds):
        assert re.search(rf"^\[{n}\]\ttrain-logloss:[0-9.]+$", done.output, re.MULTILINE), f"round {n} not streamed"

    # model_data is the model.tar.gz in Drydock's S3, the same bytes the SDK downloaded.
    assert out["model_data"] == f"s3://{run.options['bucket']}/{out['job_name']}/output/model.tar.gz"
    s3 = server.client("s3")
    archive = s3.get_object(Bucket=run.options["bucket"], Key=f"{out['job_name']}/output/model.tar.gz")["Body"].read()
    assert Path(out["downloaded"][0]).read_bytes() == archive

    (tmp_path / "xgboost-model").write_bytes(model_files(s3, out["model_data"])["xgboost-model"])
    booster = xgb.Booster()
    booster.load_model(str(tmp_path / "xgboost-model"))
    assert booster.num_boosted_rounds() == rounds
    data = load_breast_cancer()
    accuracy = float(((booster.predict(xgb.DMatrix(data.data)) > 0.5) == data.target).mean())
    assert accuracy > 0.95
