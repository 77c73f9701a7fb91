"""Script mode as the SageMaker SDK sends it: sourcedir.tar.gz in S3, JSON-encoded hyperparameters,
a framework image, a requirements.txt installed into a cached environment."""

from __future__ import annotations

import io
import json
import tarfile
import textwrap
import uuid
from typing import Any

import joblib
from sklearn.datasets import load_iris

from drydock.testing.live_server import LiveServer
from tests.e2e.training_support import ROLE, job_log, model_files, wait_for_job

SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"

TRAIN = textwrap.dedent(
    """
    import argparse, os
    import joblib, pandas as pd, termcolor
    from sklearn.linear_model import LogisticRegression

    parser = argparse.ArgumentParser()
    parser.add_argument("--C", type=float)
    parser.add_argument("--max-iter", type=int)
    args = parser.parse_args()
    if args.C <= 0:
        raise ValueError(f"C must be positive, got {args.C}")
    frame = pd.read_csv(os.path.join(os.environ["SM_CHANNEL_TRAIN"], "iris.csv"), header=None)
    model = LogisticRegression(C=args.C, max_iter=args.max_iter).fit(frame.iloc[:, 1:], frame.iloc[:, 0])
    print(termcolor.colored(f"train accuracy: {model.score(frame.iloc[:, 1:], frame.iloc[:, 0]):.4f}", None))
    joblib.dump(model, os.path.join(os.environ["SM_MODEL_DIR"], "model.joblib"))
    """
)


def sourcedir() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in (("train.py", TRAIN), ("requirements.txt", "termcolor>=2\n")):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def sdk_request(bucket: str, name: str, c: float) -> dict[str, Any]:
    submit = f"s3://{bucket}/{name}/source/sourcedir.tar.gz"
    # What SKLearn(...).fit() sends: every hyperparameter JSON-encoded (reference §5 I).
    hyperparameters = {
        "C": json.dumps(c),
        "max-iter": json.dumps(500),
        "sagemaker_submit_directory": json.dumps(submit),
        "sagemaker_program": json.dumps("train.py"),
        "sagemaker_container_log_level": "20",
        "sagemaker_job_name": json.dumps(name),
        "sagemaker_region": json.dumps("us-east-1"),
    }
    return {
        "TrainingJobName": name,
        "RoleArn": ROLE,
        "AlgorithmSpecification": {"TrainingImage": SKLEARN_IMAGE, "TrainingInputMode": "File"},
        "HyperParameters": hyperparameters,
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": f"s3://{bucket}/iris/",
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
                "ContentType": "text/csv",
            }
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30},
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
        "DebugHookConfig": {"S3OutputPath": f"s3://{bucket}/", "CollectionConfigurations": []},
        "ProfilerConfig": {"S3OutputPath": f"s3://{bucket}/", "DisableProfiler": False},
    }


def test_sklearn_script_mode_with_requirements(server: LiveServer, tmp_path: Any) -> None:
    s3, sagemaker = server.client("s3"), server.client("sagemaker")
    bucket = "script-mode"
    s3.create_bucket(Bucket=bucket)
    iris = load_iris()
    rows = "\n".join(
        ",".join([str(label), *(f"{v:g}" for v in features)])
        for features, label in zip(iris.data, iris.target, strict=False)
    )
    s3.put_object(Bucket=bucket, Key="iris/iris.csv", Body=rows.encode())

    good, bad = f"sklearn-{uuid.uuid4().hex[:8]}", f"sklearn-bad-{uuid.uuid4().hex[:8]}"
    for name in (good, bad):
        s3.put_object(Bucket=bucket, Key=f"{name}/source/sourcedir.tar.gz", Body=sourcedir())
    sagemaker.create_training_job(**sdk_request(bucket, good, 0.5))
    job = wait_for_job(sagemaker, good, timeout=240)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    files = model_files(s3, job["ModelArtifacts"]["S3ModelArtifacts"])
    (tmp_path / "model.joblib").write_bytes(files["model.joblib"])
    model = joblib.load(tmp_path / "model.joblib")
    assert model.C == 0.5
    assert model.score(iris.data, iris.target) > 0.9
    assert any(line.startswith("train accuracy: 0.9") for line in job_log(server.client("logs"), good))

    # The same requirements reuse the cached environment; the script's own error is the reason.
    sagemaker.create_training_job(**sdk_request(bucket, bad, -1.0))
    failed = wait_for_job(sagemaker, bad, timeout=120)
    assert failed["TrainingJobStatus"] == "Failed"
    assert "C must be positive, got -1.0" in failed["FailureReason"]
