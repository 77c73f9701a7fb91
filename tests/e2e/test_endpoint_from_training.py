"""Train the built-in XGBoost, deploy its model.tar.gz, and get exactly what xgboost itself predicts
from that archive; then the endpoint survives a server restart without anyone touching it."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import xgboost as xgb
from botocore.exceptions import ClientError
from sklearn.datasets import load_breast_cancer

from drydock.testing.live_server import LiveServer
from tests.e2e.hosting_support import ROLE, XGB_IMAGE, create_config, csv_rows, predictions, unique, wait_for_endpoint
from tests.e2e.test_training_xgboost import csv_bytes
from tests.e2e.training_support import model_files, wait_for_job


def test_train_deploy_invoke_and_survive_a_restart(tmp_path: Path) -> None:
    live = LiveServer(tmp_path / "home")
    live.start()
    try:
        features, labels = load_breast_cancer(return_X_y=True)
        s3, sagemaker = live.client("s3"), live.client("sagemaker")
        s3.create_bucket(Bucket="data")
        s3.put_object(Bucket="data", Key="train/train.csv", Body=csv_bytes(features, labels))
        job = unique("train")
        sagemaker.create_training_job(
            TrainingJobName=job,
            RoleArn=ROLE,
            AlgorithmSpecification={"TrainingImage": XGB_IMAGE, "TrainingInputMode": "File"},
            HyperParameters={"objective": "binary:logistic", "num_round": "15", "max_depth": "3", "nthread": "1"},
            InputDataConfig=[
                {
                    "ChannelName": "train",
                    "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://data/train/"}},
                    "ContentType": "text/csv",
                }
            ],
            OutputDataConfig={"S3OutputPath": "s3://data/output"},
            ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
            StoppingCondition={"MaxRuntimeInSeconds": 600},
        )
        described = wait_for_job(sagemaker, job, timeout=180)
        assert described["TrainingJobStatus"] == "Completed", described.get("FailureReason")
        artifact = described["ModelArtifacts"]["S3ModelArtifacts"]

        # As estimator.deploy() does: CreateModel from the job's artifact, a config, an endpoint.
        sagemaker.create_model(
            ModelName=job, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": XGB_IMAGE, "ModelDataUrl": artifact}
        )
        name = unique("endpoint")
        created = time.monotonic()
        sagemaker.create_endpoint(
            EndpointName=name, EndpointConfigName=create_config(sagemaker, [("AllTraffic", job, 1, 1.0)])
        )
        assert wait_for_endpoint(sagemaker, name)["EndpointStatus"] == "InService"
        in_service_seconds = time.monotonic() - created

        (tmp_path / "xgboost-model").write_bytes(model_files(s3, artifact)["xgboost-model"])
        own = xgb.Booster()
        own.load_model(str(tmp_path / "xgboost-model"))
        expected = own.predict(xgb.DMatrix(features))
        runtime = live.client("sagemaker-runtime")
        body = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=csv_rows(features))[
            "Body"
        ].read()
        np.testing.assert_allclose(predictions(body), expected, rtol=1e-6)
        assert in_service_seconds < 15, in_service_seconds

        # The server dies (SIGKILL) and comes back on the same home: the endpoint serves again by itself.
        live.restart()
        sagemaker, runtime = live.client("sagemaker"), live.client("sagemaker-runtime")
        endpoint = wait_for_endpoint(sagemaker, name, timeout=60)
        assert endpoint["EndpointStatus"] == "InService", endpoint.get("FailureReason")
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=csv_rows(features[:5]))
                break
            except ClientError:
                assert time.monotonic() < deadline, "the endpoint never served again after the restart"
                time.sleep(0.1)
        np.testing.assert_allclose(predictions(answer["Body"].read()), expected[:5], rtol=1e-6)
        # The model and config can go (as the SDK's delete_endpoint does first) without harming it.
        sagemaker.delete_model(ModelName=job)
        assert runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=csv_rows(features[:1]))
    finally:
        live.stop()
