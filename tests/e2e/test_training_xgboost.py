"""Built-in XGBoost through CreateTrainingJob reaches what plain xgboost reaches with the same parameters."""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np
import xgboost as xgb
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

from drydock.testing.live_server import LiveServer
from tests.e2e.training_support import ROLE, job_log, model_files, wait_for_job

XGB_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
PARAMS = {"objective": "binary:logistic", "max_depth": 3, "eta": 0.3, "seed": 7, "nthread": 1}
ROUNDS = 20


def csv_bytes(features: Any, labels: Any) -> bytes:
    rows = [",".join([str(int(y)), *(repr(float(v)) for v in x)]) for x, y in zip(features, labels, strict=True)]
    return ("\n".join(rows) + "\n").encode()


def test_builtin_xgboost_matches_plain_xgboost(server: LiveServer, tmp_path: Any) -> None:
    data = load_breast_cancer()
    x_train, x_test, y_train, y_test = train_test_split(data.data, data.target, test_size=0.25, random_state=0)
    s3, sagemaker = server.client("s3"), server.client("sagemaker")
    s3.create_bucket(Bucket="xgb-data")
    s3.put_object(Bucket="xgb-data", Key="cancer/train/train.csv", Body=csv_bytes(x_train, y_train))
    s3.put_object(Bucket="xgb-data", Key="cancer/validation/validation.csv", Body=csv_bytes(x_test, y_test))

    name = f"xgb-{uuid.uuid4().hex[:8]}"
    channels = [
        {
            "ChannelName": channel,
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://xgb-data/cancer/{channel}/"}},
            "ContentType": "text/csv",
        }
        for channel in ("train", "validation")
    ]
    sagemaker.create_training_job(
        TrainingJobName=name,
        RoleArn=ROLE,
        AlgorithmSpecification={"TrainingImage": XGB_IMAGE, "TrainingInputMode": "File"},
        HyperParameters={**{k: str(v) for k, v in PARAMS.items()}, "num_round": str(ROUNDS)},
        InputDataConfig=channels,
        OutputDataConfig={"S3OutputPath": "s3://xgb-data/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
    )
    job = wait_for_job(sagemaker, name, timeout=180)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")

    (tmp_path / "xgboost-model").write_bytes(
        model_files(s3, job["ModelArtifacts"]["S3ModelArtifacts"])["xgboost-model"]
    )
    ours = xgb.Booster()
    ours.load_model(str(tmp_path / "xgboost-model"))
    plain = xgb.train(PARAMS, xgb.DMatrix(x_train, label=y_train), num_boost_round=ROUNDS)
    test = xgb.DMatrix(x_test)
    ours_pred, plain_pred = ours.predict(test), plain.predict(test)
    np.testing.assert_allclose(ours_pred, plain_pred, atol=1e-6)
    accuracy = float(((ours_pred > 0.5) == y_test).mean())
    assert accuracy == float(((plain_pred > 0.5) == y_test).mean())
    assert accuracy > 0.9

    # SageMaker's log format, and the built-in metric definitions parse it.
    lines = job_log(server.client("logs"), name)
    assert any(line.startswith(f"[{ROUNDS - 1}]\ttrain-") for line in lines)
    metrics = {m["MetricName"] for m in job["FinalMetricDataList"]}
    assert {"train:logloss", "validation:logloss"} <= metrics or {"train:error", "validation:error"} <= metrics
