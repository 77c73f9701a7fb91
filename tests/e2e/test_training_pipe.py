"""Pipe input mode end to end with real boto3: FIFOs ``<channel>_<epoch>`` fed by the server.

A bring-your-own program reads two epochs of a RecordIO-wrapped channel and of a gzip channel (the
stream arrives decompressed, as the ``Channel.CompressionType`` docs promise for Pipe mode), and the
built-in XGBoost reads csv and RecordIO-protobuf from pipes and reaches File mode's model.
"""

from __future__ import annotations

import gzip
import io
import json
import sys
import textwrap
import uuid
from typing import Any

import numpy as np
import xgboost as xgb
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

from drydock.formats.record_matrix import write_matrix
from drydock.testing.live_server import LiveServer
from tests.e2e.test_training_xgboost import XGB_IMAGE, csv_bytes
from tests.e2e.training_support import ROLE, job_log, model_files, wait_for_job

BUCKET = "pipe-data"

# Reads the FIFOs where SageMaker puts them: /opt/ml/input/data/<channel>_<epoch>, found through
# SM_INPUT_DIR so it also works without the sandbox. RecordIO is parsed by hand, as a user would.
PROGRAM = textwrap.dedent(
    """
    import json, os, pathlib, struct
    data = pathlib.Path(os.environ["SM_INPUT_DIR"], "data")
    print(f"pipe={data / 'train_0'}", flush=True)

    def records(stream):
        while header := stream.read(8):
            magic, length = struct.unpack("<II", header)
            assert magic == 0xCED7230A, hex(magic)
            payload = stream.read(length)
            stream.read(-length % 4)
            yield payload

    seen = {}
    for epoch in range(2):
        with open(data / f"train_{epoch}", "rb") as fifo:
            payloads = [p.decode() for p in records(fifo)]
        rows = sum(p.count(chr(10)) for p in payloads)
        print(f"epoch {epoch} records={len(payloads)} rows={rows}", flush=True)
        with open(data / f"zipped_{epoch}", "rb") as fifo:
            text = fifo.read().decode()
        print(f"epoch {epoch} zipped lines={text.count(chr(10))}", flush=True)
        seen[epoch] = {"train": payloads, "zipped": text}
    pathlib.Path(os.environ["SM_MODEL_DIR"], "seen.json").write_text(json.dumps(seen))
    """
)
LAUNCH = "import os, runpy; runpy.run_path(os.environ['SM_CHANNEL_CODE'] + '/train.py', run_name='__main__')"
TRAIN_OBJECTS = {"byo/train/part-1.csv": b"1,2\n3,4\n", "byo/train/part-2.csv": b"5,6\n"}
ZIPPED_OBJECTS = {"byo/zipped/a.txt.gz": b"alpha\nbeta\n", "byo/zipped/b.txt.gz": b"gamma\n"}


def _channel(name: str, prefix: str, **extra: str) -> dict[str, Any]:
    source = {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/{prefix}"}}
    return {"ChannelName": name, "DataSource": source, **extra}


def _create(sagemaker: Any, name: str, image: str, channels: list[dict[str, Any]], **spec: Any) -> None:
    hyperparameters = spec.pop("HyperParameters", {})
    sagemaker.create_training_job(
        TrainingJobName=name,
        RoleArn=ROLE,
        AlgorithmSpecification={"TrainingImage": image, **spec},
        HyperParameters=hyperparameters,
        InputDataConfig=channels,
        OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
    )


def _bucket(server: LiveServer) -> Any:
    s3 = server.client("s3")
    if BUCKET not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=BUCKET)
    return s3


def test_byo_program_reads_two_epochs_of_recordio_and_gzip_pipes(server: LiveServer) -> None:
    s3, sagemaker = _bucket(server), server.client("sagemaker")
    for key, body in TRAIN_OBJECTS.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    for key, body in ZIPPED_OBJECTS.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(body))
    s3.put_object(Bucket=BUCKET, Key="byo/code/train.py", Body=PROGRAM.encode())

    name = f"pipe-{uuid.uuid4().hex[:8]}"
    channels = [
        _channel("train", "byo/train/", RecordWrapperType="RecordIO"),
        _channel("zipped", "byo/zipped/", CompressionType="Gzip"),
        _channel("code", "byo/code/", InputMode="File"),  # the program itself arrives as files
    ]
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-own:latest"
    _create(
        sagemaker, name, image, channels, TrainingInputMode="Pipe", ContainerEntrypoint=[sys.executable, "-c", LAUNCH]
    )
    job = wait_for_job(sagemaker, name)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")

    lines = job_log(server.client("logs"), name)
    for epoch in (0, 1):
        assert f"epoch {epoch} records=2 rows=3" in lines
        assert f"epoch {epoch} zipped lines=3" in lines
    # Inside the sandbox the FIFOs sit where SageMaker puts them; without it, in the instance tree.
    pipe_line = next(line for line in lines if line.startswith("pipe="))
    assert pipe_line.endswith("/input/data/train_0")
    seen = json.loads(model_files(s3, job["ModelArtifacts"]["S3ModelArtifacts"])["seen.json"])
    expected = {"train": [b.decode() for b in TRAIN_OBJECTS.values()], "zipped": "alpha\nbeta\ngamma\n"}
    assert seen == {"0": expected, "1": expected}


def _recordio_protobuf(features: Any, labels: Any) -> bytes:
    buffer = io.BytesIO()
    write_matrix(buffer, features, labels)
    return buffer.getvalue()


def test_builtin_xgboost_in_pipe_mode_reaches_the_file_mode_model(server: LiveServer) -> None:
    data = load_breast_cancer()
    x_train, x_test, y_train, y_test = train_test_split(data.data, data.target, test_size=0.25, random_state=0)
    s3, sagemaker = _bucket(server), server.client("sagemaker")
    half = len(x_train) // 2
    # Two objects per training channel: a pipe streams them back to back.
    for i, part in enumerate((slice(0, half), slice(half, None))):
        s3.put_object(Bucket=BUCKET, Key=f"xgb/csv/train/{i}.csv", Body=csv_bytes(x_train[part], y_train[part]))
        body = _recordio_protobuf(x_train[part], y_train[part])
        s3.put_object(Bucket=BUCKET, Key=f"xgb/protobuf/train/{i}.pbr", Body=body)
    s3.put_object(Bucket=BUCKET, Key="xgb/csv/validation/v.csv", Body=csv_bytes(x_test, y_test))

    hps = {"objective": "binary:logistic", "max_depth": "3", "eta": "0.3", "seed": "7", "nthread": "1"}
    hps["num_round"] = "10"
    csv_channels = [
        _channel("train", "xgb/csv/train/", ContentType="text/csv"),
        _channel("validation", "xgb/csv/validation/", ContentType="text/csv"),
    ]
    # Each channel names its InputMode, as the SDK's TrainingInput(input_mode="Pipe") sends it.
    pipe = {"InputMode": "Pipe"}
    protobuf = _channel("train", "xgb/protobuf/train/", ContentType="application/x-recordio-protobuf", **pipe)
    jobs = {
        "file": ("File", csv_channels),
        # Validation wrapped in RecordIO: each object arrives as one record holding a csv file.
        "csv": ("Pipe", [{**csv_channels[0], **pipe}, {**csv_channels[1], **pipe, "RecordWrapperType": "RecordIO"}]),
        "protobuf": ("Pipe", [protobuf]),
    }
    names = {kind: f"xgb-{kind}-{uuid.uuid4().hex[:6]}" for kind in jobs}
    for kind, (mode, channels) in jobs.items():  # all three run at once
        _create(sagemaker, names[kind], XGB_IMAGE, channels, TrainingInputMode=mode, HyperParameters=hps)

    test = xgb.DMatrix(x_test)
    predictions = {}
    for kind, name in names.items():
        job = wait_for_job(sagemaker, name, timeout=180)
        assert job["TrainingJobStatus"] == "Completed", (kind, job.get("FailureReason"))
        booster = xgb.Booster()
        booster.load_model(bytearray(model_files(s3, job["ModelArtifacts"]["S3ModelArtifacts"])["xgboost-model"]))
        predictions[kind] = booster.predict(test)
    np.testing.assert_allclose(predictions["csv"], predictions["file"], atol=1e-6)
    np.testing.assert_allclose(predictions["protobuf"], predictions["file"], atol=1e-6)
    assert float(((predictions["file"] > 0.5) == y_test).mean()) > 0.9
    # The pipe-fed validation channel was read too: its metric is in the log.
    assert any("\tvalidation-logloss:" in line for line in job_log(server.client("logs"), names["csv"]))
