"""Built-in XGBoost with InstanceCount 2 trains one model over both instances' shards (Rabit)."""

from __future__ import annotations

import uuid
from typing import Any

import xgboost as xgb
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

from drydock.testing.live_server import LiveServer
from tests.e2e.test_training_xgboost import XGB_IMAGE, csv_bytes
from tests.e2e.training_support import ROLE, model_files, wait_for_job

PARAMS = {"objective": "binary:logistic", "max_depth": 3, "eta": 0.3, "seed": 7, "nthread": 1, "tree_method": "hist"}
ROUNDS = 20


def stream_lines(logs: Any, name: str) -> dict[str, list[str]]:
    group = "/aws/sagemaker/TrainingJobs"
    streams = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=f"{name}/")["logStreams"]
    return {
        s["logStreamName"]: [
            e["message"]
            for e in logs.get_log_events(logGroupName=group, logStreamName=s["logStreamName"], startFromHead=True)[
                "events"
            ]
        ]
        for s in streams
    }


def test_two_instances_train_one_model_over_their_shards(server: LiveServer, tmp_path: Any) -> None:
    data = load_breast_cancer()
    x_train, x_test, y_train, y_test = train_test_split(data.data, data.target, test_size=0.25, random_state=0)
    s3, sagemaker = server.client("s3"), server.client("sagemaker")
    s3.create_bucket(Bucket="xgb-dist")
    half = len(y_train) // 2
    for index, rows in enumerate((slice(0, half), slice(half, None))):
        body = csv_bytes(x_train[rows], y_train[rows])
        s3.put_object(Bucket="xgb-dist", Key=f"cancer/train/part-{index}.csv", Body=body)

    name = f"xgb-dist-{uuid.uuid4().hex[:8]}"
    source = {
        "S3DataType": "S3Prefix",
        "S3Uri": "s3://xgb-dist/cancer/train/",
        "S3DataDistributionType": "ShardedByS3Key",
    }
    sagemaker.create_training_job(
        TrainingJobName=name,
        RoleArn=ROLE,
        AlgorithmSpecification={"TrainingImage": XGB_IMAGE, "TrainingInputMode": "File"},
        HyperParameters={**{k: str(v) for k, v in PARAMS.items()}, "num_round": str(ROUNDS)},
        InputDataConfig=[{"ChannelName": "train", "DataSource": {"S3DataSource": source}, "ContentType": "text/csv"}],
        OutputDataConfig={"S3OutputPath": "s3://xgb-dist/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 2, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
    )
    job = wait_for_job(sagemaker, name, timeout=180)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")

    (tmp_path / "xgboost-model").write_bytes(
        model_files(s3, job["ModelArtifacts"]["S3ModelArtifacts"])["xgboost-model"]
    )
    ours = xgb.Booster()
    ours.load_model(str(tmp_path / "xgboost-model"))
    assert ours.num_boosted_rounds() == ROUNDS
    # Trees grown from allreduced histograms over both shards: as good as one machine on all the data
    # (distributed quantile sketches make the cut points, so the trees, not bit-identical).
    plain = xgb.train(PARAMS, xgb.DMatrix(x_train, label=y_train), num_boost_round=ROUNDS)
    test = xgb.DMatrix(x_test)
    ours_accuracy = float(((ours.predict(test) > 0.5) == y_test).mean())
    plain_accuracy = float(((plain.predict(test) > 0.5) == y_test).mean())
    assert abs(ours_accuracy - plain_accuracy) <= 0.025
    assert ours_accuracy > 0.9

    streams = stream_lines(server.client("logs"), name)
    first = next(lines for stream, lines in streams.items() if "algo-1" in stream)
    second = next(lines for stream, lines in streams.items() if "algo-2" in stream)
    assert any("joined the Rabit group as rank 1 of 2" in line for line in second)
    assert any("joined the Rabit group as rank 0 of 2" in line for line in first)
    assert any(line.startswith(f"[{ROUNDS - 1}]\ttrain-") for line in first)
    assert not any(line.startswith("[0]\ttrain-") for line in second)
