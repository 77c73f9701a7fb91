"""A scikit-learn model with its own inference.py, deployed as SKLearnModel.deploy() does it: CreateModel
with the framework image and SAGEMAKER_PROGRAM / SAGEMAKER_SUBMIT_DIRECTORY, then an endpoint."""

from __future__ import annotations

import io
import json
import tarfile
import textwrap
from pathlib import Path

import joblib
import numpy as np
import pytest
from botocore.exceptions import ClientError
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from drydock.testing.live_server import LiveServer
from tests.e2e.hosting_support import ROLE, deploy, unique

SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
INFERENCE = textwrap.dedent(
    """
    import json, os, joblib, termcolor  # termcolor comes from requirements.txt
    import numpy as np

    def model_fn(model_dir):
        return joblib.load(os.path.join(model_dir, "model.joblib"))

    def input_fn(body, content_type):
        if content_type != "application/json":
            raise ValueError(f"inference.py takes JSON, not {content_type}")
        return np.array(json.loads(body)["rows"])

    def predict_fn(rows, model):
        if rows.shape[1] != 4:
            raise ValueError(f"expected 4 features per row, got {rows.shape[1]}")
        return model.predict_proba(rows)

    def output_fn(probabilities, accept):
        labels = probabilities.argmax(axis=1).tolist()
        return json.dumps({"labels": labels, "probabilities": probabilities.tolist()}), "application/json"
    """
)


def _tar(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_sklearn_inference_script(server: LiveServer, tmp_path: Path) -> None:
    iris = load_iris()
    model = LogisticRegression(max_iter=500).fit(iris.data, iris.target)
    joblib.dump(model, tmp_path / "model.joblib")
    s3, sagemaker = server.client("s3"), server.client("sagemaker")
    bucket, prefix = "script-serving", unique("iris")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(
        Bucket=bucket,
        Key=f"{prefix}/model.tar.gz",
        Body=_tar({"model.joblib": (tmp_path / "model.joblib").read_bytes()}),
    )
    source = {"inference.py": INFERENCE.encode(), "requirements.txt": b"termcolor>=2\n"}
    s3.put_object(Bucket=bucket, Key=f"{prefix}/sourcedir.tar.gz", Body=_tar(source))
    name = unique("iris")
    sagemaker.create_model(
        ModelName=name,
        ExecutionRoleArn=ROLE,
        PrimaryContainer={
            "Image": SKLEARN_IMAGE,
            "ModelDataUrl": f"s3://{bucket}/{prefix}/model.tar.gz",
            # What the SDK's SKLearnModel puts in the model's Environment (reference §5 I).
            "Environment": {
                "SAGEMAKER_PROGRAM": "inference.py",
                "SAGEMAKER_SUBMIT_DIRECTORY": f"s3://{bucket}/{prefix}/sourcedir.tar.gz",
                "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
                "SAGEMAKER_REGION": "us-east-1",
            },
        },
    )
    endpoint = deploy(sagemaker, [("AllTraffic", name, 1, 1.0)])
    runtime = server.client("sagemaker-runtime")

    rows = iris.data[::10]
    answer = runtime.invoke_endpoint(
        EndpointName=endpoint, ContentType="application/json", Body=json.dumps({"rows": rows.tolist()})
    )
    assert answer["ContentType"].startswith("application/json")
    result = json.loads(answer["Body"].read())
    assert result["labels"] == model.predict(rows).tolist()
    np.testing.assert_allclose(result["probabilities"], model.predict_proba(rows), rtol=1e-9)

    # The script's own error is the ModelError's message, as SageMaker reports it.
    with pytest.raises(ClientError) as failure:
        runtime.invoke_endpoint(
            EndpointName=endpoint, ContentType="application/json", Body=json.dumps({"rows": [[1, 2]]})
        )
    assert failure.value.response["Error"]["Code"] == "ModelError"
    assert "expected 4 features per row, got 2" in failure.value.response["OriginalMessage"]
    with pytest.raises(ClientError) as wrong_type:
        runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=b"1,2,3,4")
    assert "inference.py takes JSON, not text/csv" in wrong_type.value.response["OriginalMessage"]
    sagemaker.delete_endpoint(EndpointName=endpoint)


SLOW_INFERENCE = textwrap.dedent(
    """
    import json, time

    def model_fn(model_dir):
        return None

    def transform_fn(model, body, content_type, accept):
        seconds = json.loads(body)["sleep"]
        time.sleep(seconds)
        return json.dumps({"slept": seconds}), "application/json"
    """
)


def test_invocation_timeout_is_a_model_error_and_the_endpoint_keeps_serving(tmp_path: Path) -> None:
    live = LiveServer(tmp_path / "home", extra_env={"DRYDOCK_INVOCATION_TIMEOUT_SECONDS": "1"})
    live.start()
    try:
        s3, sagemaker = live.client("s3"), live.client("sagemaker")
        s3.create_bucket(Bucket="slow")
        s3.put_object(Bucket="slow", Key="model.tar.gz", Body=_tar({"placeholder": b""}))
        s3.put_object(Bucket="slow", Key="sourcedir.tar.gz", Body=_tar({"inference.py": SLOW_INFERENCE.encode()}))
        sagemaker.create_model(
            ModelName="slow",
            ExecutionRoleArn=ROLE,
            PrimaryContainer={
                "Image": SKLEARN_IMAGE,
                "ModelDataUrl": "s3://slow/model.tar.gz",
                "Environment": {
                    "SAGEMAKER_PROGRAM": "inference.py",
                    "SAGEMAKER_SUBMIT_DIRECTORY": "s3://slow/sourcedir.tar.gz",
                    "SAGEMAKER_MODEL_SERVER_WORKERS": "2",
                },
            },
        )
        endpoint = deploy(sagemaker, [("AllTraffic", "slow", 1, 1.0)])
        runtime = live.client("sagemaker-runtime")
        with pytest.raises(ClientError) as timed_out:
            runtime.invoke_endpoint(EndpointName=endpoint, ContentType="application/json", Body=b'{"sleep": 3}')
        assert timed_out.value.response["Error"]["Code"] == "ModelError"
        assert (
            "Your invocation timed out while waiting for a response from container primary"
            in (timed_out.value.response["Error"]["Message"])
        )
        quick = runtime.invoke_endpoint(EndpointName=endpoint, ContentType="application/json", Body=b'{"sleep": 0}')
        assert json.loads(quick["Body"].read()) == {"slept": 0}
    finally:
        live.stop()
