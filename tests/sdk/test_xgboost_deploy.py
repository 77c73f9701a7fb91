"""sagemaker SDK: ``estimator.deploy()`` / ``predictor.predict()`` / ``delete_endpoint()`` and
``estimator.transformer().transform()`` against the model the SDK trained."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xgboost as xgb
from sklearn.datasets import load_breast_cancer

from drydock.testing.live_server import LiveServer
from tests.e2e.training_support import model_files
from tests.sdk.script_run import ScriptRun


def test_deploy_predict_and_transform(sdk_runs: dict[str, ScriptRun], server: LiveServer, tmp_path: Path) -> None:
    out = sdk_runs["xgboost_deploy.py"].result().result
    assert out["status"] == "Completed"
    assert out["refused"] == [], "the SDK tried to reach hosts other than Drydock"
    assert out["endpoint_status"] == "InService"

    (tmp_path / "xgboost-model").write_bytes(model_files(server.client("s3"), out["model_data"])["xgboost-model"])
    booster = xgb.Booster()
    booster.load_model(str(tmp_path / "xgboost-model"))
    expected = booster.predict(xgb.DMatrix(load_breast_cancer().data[:20]))
    np.testing.assert_allclose(out["predictions"], expected, rtol=1e-5)
    np.testing.assert_allclose(out["transform"], expected, rtol=1e-5)
