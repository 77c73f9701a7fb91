"""Helpers for hosting e2e tests: small XGBoost models as model.tar.gz, endpoints up and down."""

from __future__ import annotations

import contextlib
import functools
import io
import os
import tarfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import xgboost as xgb
from sklearn.datasets import load_diabetes

XGB_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
BUCKET = "hosting-models"


@functools.cache
def diabetes() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's diabetes regression data: 442 rows of 10 features."""
    features, labels = load_diabetes(return_X_y=True)
    return features, labels


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def train_booster(features: np.ndarray, labels: np.ndarray, rounds: int = 10, **params: Any) -> xgb.Booster:
    settings = {"objective": "reg:squarederror", "max_depth": 3, "nthread": 1, "seed": 0, **params}
    return xgb.train(settings, xgb.DMatrix(features, label=labels), rounds)


def model_archive(booster: xgb.Booster, tmp: Path) -> bytes:
    """A model.tar.gz holding ``xgboost-model`` as the built-in algorithm writes it."""
    path = tmp / f"xgboost-model-{uuid.uuid4().hex[:6]}"
    booster.save_model(str(path.with_suffix(".json")))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.add(str(path.with_suffix(".json")), arcname="xgboost-model")
    return buffer.getvalue()


def create_xgb_model(server: Any, booster: xgb.Booster, tmp: Path, name: str | None = None) -> str:
    s3, sagemaker = server.client("s3"), server.client("sagemaker")
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=BUCKET)
    name = name or unique("model")
    s3.put_object(Bucket=BUCKET, Key=f"{name}/model.tar.gz", Body=model_archive(booster, tmp))
    sagemaker.create_model(
        ModelName=name,
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": XGB_IMAGE, "ModelDataUrl": f"s3://{BUCKET}/{name}/model.tar.gz"},
    )
    return name


def create_config(sagemaker: Any, variants: list[tuple[str, str, int, float]], name: str | None = None) -> str:
    """An EndpointConfig with (variant, model, instances, weight) production variants."""
    name = name or unique("config")
    sagemaker.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": variant,
                "ModelName": model,
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": count,
                "InitialVariantWeight": weight,
            }
            for variant, model, count, weight in variants
        ],
    )
    return name


def wait_for_endpoint(sagemaker: Any, name: str, timeout: float = 60.0) -> dict[str, Any]:
    """Describe once the endpoint has left Creating/Updating/SystemUpdating."""
    deadline = time.monotonic() + timeout
    while True:
        endpoint = sagemaker.describe_endpoint(EndpointName=name)
        if endpoint["EndpointStatus"] not in ("Creating", "Updating", "SystemUpdating"):
            return dict(endpoint)
        if time.monotonic() > deadline:
            raise AssertionError(f"{name} still {endpoint['EndpointStatus']} after {timeout}s")
        time.sleep(0.05)


def deploy(sagemaker: Any, variants: list[tuple[str, str, int, float]], name: str | None = None) -> str:
    name = name or unique("endpoint")
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=create_config(sagemaker, variants))
    endpoint = wait_for_endpoint(sagemaker, name)
    assert endpoint["EndpointStatus"] == "InService", endpoint.get("FailureReason")
    return name


def csv_rows(features: np.ndarray) -> bytes:
    return "\n".join(",".join(repr(float(v)) for v in row) for row in features).encode()


def predictions(body: bytes) -> np.ndarray:
    """The built-in XGBoost's CSV answer: values separated by commas or newlines."""
    text = body.decode().replace("\n", ",").strip(",")
    return np.array([float(v) for v in text.split(",")])


def replica_pids(home: Path, endpoint: str) -> list[int]:
    """Process ids of the endpoint's model servers (their trees are under <home>/endpoints/<name>)."""
    root = home / "endpoints" / endpoint
    pids = []
    for pid_file in root.glob("*/.replica.pid"):
        pid = int(pid_file.read_text())
        if Path(f"/proc/{pid}").exists():
            pids.append(pid)
    return pids


def kill_group(pid: int) -> None:
    os.killpg(pid, 9)
