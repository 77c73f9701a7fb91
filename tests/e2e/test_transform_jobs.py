"""Batch transform through real boto3: CSV with XGBoost, joins and filters, JSON Lines, manifests across
two instances, StopTransformJob, a malformed record and an overlong line that fail the job with their
names, and Line + MultiRecord requests cut from the input's bytes (CRLF, blank lines, JoinSource)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb
from botocore.exceptions import ClientError

from drydock.testing.live_server import LiveServer
from tests.e2e.hosting_support import ROLE, create_xgb_model, csv_rows, diabetes, train_booster, unique
from tests.e2e.test_endpoint_script_mode import SKLEARN_IMAGE, _tar
from tests.e2e.transform_support import transform_request, wait_for_transform

BUCKET = "transform-data"


@pytest.fixture(scope="module")
def model(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, xgb.Booster]:
    booster = train_booster(*diabetes())
    server.client("s3").create_bucket(Bucket=BUCKET)
    return create_xgb_model(server, booster, tmp_path_factory.mktemp("model")), booster


def _outputs(server: LiveServer, prefix: str) -> dict[str, bytes]:
    s3 = server.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]
    return {k.removeprefix(prefix): s3.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in keys}


def test_csv_multi_record_equals_in_process_predictions(server: LiveServer, model: tuple[str, xgb.Booster]) -> None:
    name, booster = model
    features = diabetes()[0]
    s3, sagemaker = server.client("s3"), server.client("sagemaker")
    job = unique("csv")
    s3.put_object(Bucket=BUCKET, Key=f"{job}/in/part-1.csv", Body=csv_rows(features[:300]) + b"\n")
    s3.put_object(Bucket=BUCKET, Key=f"{job}/in/part-2.csv", Body=csv_rows(features[300:]))
    request = transform_request(
        job, name, f"s3://{BUCKET}/{job}/in/", f"s3://{BUCKET}/{job}/out", BatchStrategy="MultiRecord", MaxPayloadInMB=1
    )
    arn = sagemaker.create_transform_job(**request)["TransformJobArn"]
    assert arn.endswith(f":transform-job/{job}")
    described = wait_for_transform(sagemaker, job)
    assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    assert described["TransformStartTime"] <= described["TransformEndTime"]
    outputs = _outputs(server, f"{job}/out/")
    assert sorted(outputs) == ["part-1.csv.out", "part-2.csv.out"]
    for key, rows in (("part-1.csv.out", features[:300]), ("part-2.csv.out", features[300:])):
        values = [float(line) for line in outputs[key].decode().splitlines()]
        np.testing.assert_allclose(values, booster.predict(xgb.DMatrix(rows)), rtol=1e-6)
    listed = sagemaker.list_transform_jobs(NameContains=job)["TransformJobSummaries"]
    assert [(j["TransformJobName"], j["TransformJobStatus"]) for j in listed] == [(job, "Completed")]


def test_join_source_with_input_and_output_filters(server: LiveServer, model: tuple[str, xgb.Booster]) -> None:
    name, booster = model
    features = diabetes()[0][:50]
    s3, sagemaker = server.client("s3"), server.client("sagemaker")
    job = unique("join")
    # An id column first: InputFilter $[1:] hides it from the model, OutputFilter $[0,-1] keeps id and prediction.
    lines = [f"id-{i}," + ",".join(repr(float(v)) for v in row) for i, row in enumerate(features)]
    s3.put_object(Bucket=BUCKET, Key=f"{job}/in/rows.csv", Body="\n".join(lines).encode())
    request = transform_request(
        job,
        name,
        f"s3://{BUCKET}/{job}/in/rows.csv",
        f"s3://{BUCKET}/{job}/out",
        BatchStrategy="MultiRecord",
        DataProcessing={"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"},
    )
    sagemaker.create_transform_job(**request)
    described = wait_for_transform(sagemaker, job)
    assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    rows = [line.split(",") for line in _outputs(server, f"{job}/out/")["rows.csv.out"].decode().splitlines()]
    assert [r[0] for r in rows] == [f"id-{i}" for i in range(50)]
    assert all(len(r) == 2 for r in rows)
    np.testing.assert_allclose([float(r[1]) for r in rows], booster.predict(xgb.DMatrix(features)), rtol=1e-6)


JSONL_INFERENCE = """
import json, os, joblib
import numpy as np

def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))

def input_fn(body, content_type):
    return np.array([json.loads(line)["features"] for line in body.decode().splitlines() if line.strip()])

def predict_fn(rows, model):
    return model.predict(rows)

def output_fn(labels, accept):
    return "\\n".join(json.dumps({"label": int(v)}) for v in labels), "application/jsonlines"
"""


def test_json_lines_with_join(server: LiveServer, tmp_path: Path) -> None:
    import joblib
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    iris = load_iris()
    classifier = LogisticRegression(max_iter=500).fit(iris.data, iris.target)
    joblib.dump(classifier, tmp_path / "model.joblib")
    s3, sagemaker = server.client("s3"), server.client("sagemaker")
    job = unique("jsonl")
    s3.put_object(
        Bucket=BUCKET, Key=f"{job}/model.tar.gz", Body=_tar({"model.joblib": (tmp_path / "model.joblib").read_bytes()})
    )
    s3.put_object(Bucket=BUCKET, Key=f"{job}/sourcedir.tar.gz", Body=_tar({"inference.py": JSONL_INFERENCE.encode()}))
    sagemaker.create_model(
        ModelName=job,
        ExecutionRoleArn=ROLE,
        PrimaryContainer={
            "Image": SKLEARN_IMAGE,
            "ModelDataUrl": f"s3://{BUCKET}/{job}/model.tar.gz",
            "Environment": {
                "SAGEMAKER_PROGRAM": "inference.py",
                "SAGEMAKER_SUBMIT_DIRECTORY": f"s3://{BUCKET}/{job}/sourcedir.tar.gz",
            },
        },
    )
    records = [{"id": i, "features": row.tolist()} for i, row in enumerate(iris.data[::5])]
    s3.put_object(Bucket=BUCKET, Key=f"{job}/in/flowers.jsonl", Body="\n".join(json.dumps(r) for r in records).encode())
    request = transform_request(
        job,
        job,
        f"s3://{BUCKET}/{job}/in/",
        f"s3://{BUCKET}/{job}/out",
        ContentType="application/jsonlines",
        BatchStrategy="MultiRecord",
        DataProcessing={"JoinSource": "Input", "OutputFilter": "$['id','SageMakerOutput']"},
    )
    request["TransformOutput"]["Accept"] = "application/jsonlines"
    sagemaker.create_transform_job(**request)
    described = wait_for_transform(sagemaker, job)
    assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    joined = [json.loads(line) for line in _outputs(server, f"{job}/out/")["flowers.jsonl.out"].decode().splitlines()]
    expected = classifier.predict(iris.data[::5])
    assert joined == [{"id": i, "SageMakerOutput": {"label": int(v)}} for i, v in enumerate(expected)]


def test_manifest_of_files_across_two_instances(server: LiveServer, model: tuple[str, xgb.Booster]) -> None:
    name, booster = model
    features = diabetes()[0]
    s3, sagemaker = server.client("s3"), server.client("sagemaker")
    job = unique("manifest")
    chunks = {f"shard-{i}.csv": features[i * 50 : (i + 1) * 50] for i in range(4)}
    for key, rows in chunks.items():
        s3.put_object(Bucket=BUCKET, Key=f"{job}/data/{key}", Body=csv_rows(rows))
    s3.put_object(Bucket=BUCKET, Key=f"{job}/data/not-listed.csv", Body=b"garbage")
    manifest = [{"prefix": f"s3://{BUCKET}/{job}/data/"}, *chunks]
    s3.put_object(Bucket=BUCKET, Key=f"{job}/input.manifest", Body=json.dumps(manifest).encode())
    request = transform_request(
        job,
        name,
        f"s3://{BUCKET}/{job}/input.manifest",
        f"s3://{BUCKET}/{job}/out/",
        S3DataType="ManifestFile",
        InstanceCount=2,
        BatchStrategy="MultiRecord",
    )
    sagemaker.create_transform_job(**request)
    described = wait_for_transform(sagemaker, job)
    assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    outputs = _outputs(server, f"{job}/out/")
    assert sorted(outputs) == sorted(f"{key}.out" for key in chunks)
    for key, rows in chunks.items():
        values = [float(v) for v in outputs[f"{key}.out"].decode().split()]
        np.testing.assert_allclose(values, booster.predict(xgb.DMatrix(rows)), rtol=1e-6)
    # Two instances, each with its own log stream.
    streams = server.client("logs").describe_log_streams(
        logGroupName="/aws/sagemaker/TransformJobs", logStreamNamePrefix=f"{job}/"
    )["logStreams"]
    instances = {s["logStreamName"].split("/")[1] for s in streams}
    assert len(instances) == 2
    # Each host's utilization is in CloudWatch, as SageMaker publishes it for transform jobs.
    metrics = server.client("cloudwatch").list_metrics(Namespace="/aws/sagemaker/TransformJobs")["Metrics"]
    hosts = {d["Value"] for m in metrics if m["MetricName"] == "MemoryUtilization" for d in m["Dimensions"]}
    assert {f"{job}/{instance}" for instance in instances} <= hosts


def test_malformed_record_fails_the_job_naming_it(server: LiveServer, model: tuple[str, xgb.Booster]) -> None:
    name, _ = model
    rows = csv_rows(diabetes()[0][:40]).decode().splitlines()
    rows[26] = "1.0,2.0,oops,4.0,5.0,6.0,7.0,8.0,9.0,10.0"  # line 27
    s3, sagemaker = server.client("s3"), server.client("sagemaker")
    job = unique("bad")
    s3.put_object(Bucket=BUCKET, Key=f"{job}/in/rows.csv", Body="\n".join(rows).encode())
    request = transform_request(
        job, name, f"s3://{BUCKET}/{job}/in/", f"s3://{BUCKET}/{job}/out", BatchStrategy="MultiRecord"
    )
    sagemaker.create_transform_job(**request)
    described = wait_for_transform(sagemaker, job)
    assert described["TransformJobStatus"] == "Failed"
    reason = described["FailureReason"]
    assert reason.startswith("ClientError:"), reason
    assert f"record 27 of s3://{BUCKET}/{job}/in/rows.csv" in reason, reason
    assert _outputs(server, f"{job}/out/") == {}  # nothing partial is ever written


def _line_batches_job(server: LiveServer, model: str, prefix: str, body: bytes, **extra: object) -> dict[str, object]:
    """A Line + MultiRecord job over one object holding ``body``, with MaxPayloadInMB 1: once ended."""
    s3, sagemaker = server.client("s3"), server.client("sagemaker")
    job = unique(prefix)
    s3.put_object(Bucket=BUCKET, Key=f"{job}/in/rows.csv", Body=body)
    source, output = f"s3://{BUCKET}/{job}/in/rows.csv", f"s3://{BUCKET}/{job}/out"
    sagemaker.create_transform_job(
        **transform_request(job, model, source, output, BatchStrategy="MultiRecord", MaxPayloadInMB=1, **extra)
    )
    described: dict[str, object] = wait_for_transform(sagemaker, job)
    return described


def test_crlf_and_blank_lines_joined_with_their_outputs(server: LiveServer, model: tuple[str, xgb.Booster]) -> None:
    name, booster = model
    features = np.tile(diabetes()[0], (12, 1))  # about 1.1 MB of CSV: two requests of at most 1 MB
    lines = []
    for i, row in enumerate(features):
        lines.append(",".join(repr(float(v)) for v in row))
        if i % 97 == 0:
            lines.append("")  # a blank line is no record: skipped, with no output line
    body = ("\r\n".join(lines) + "\r\n").encode()
    assert len(body) > 1024 * 1024
    described = _line_batches_job(server, name, "lines", body, DataProcessing={"JoinSource": "Input"})
    assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    job = str(described["TransformJobName"])
    joined = [line.split(",") for line in _outputs(server, f"{job}/out/")["rows.csv.out"].decode().splitlines()]
    assert len(joined) == len(features)
    assert [row[:-1] for row in joined] == [[repr(float(v)) for v in row] for row in features]
    np.testing.assert_allclose([float(row[-1]) for row in joined], booster.predict(xgb.DMatrix(features)), rtol=1e-6)


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_a_line_above_max_payload_fails_the_job_naming_it(
    server: LiveServer, model: tuple[str, xgb.Booster], line_end: str
) -> None:
    rows = [",".join(repr(float(v)) for v in row) for row in diabetes()[0][:20]]
    rows[11] = ",".join(["1.5"] * 300_000)  # line 12: 1.2 MB
    described = _line_batches_job(server, model[0], "long", line_end.join(rows).encode())
    assert described["TransformJobStatus"] == "Failed"
    assert f"record 12 is {len(rows[11])} bytes, more than MaxPayloadInMB allows" in str(described["FailureReason"])


def test_stop_transform_job(server: LiveServer, model: tuple[str, xgb.Booster]) -> None:
    name, _ = model
    s3, sagemaker = server.client("s3"), server.client("sagemaker")
    job = unique("stop")
    # SingleRecord over many rows keeps the job busy long enough to be stopped.
    s3.put_object(Bucket=BUCKET, Key=f"{job}/in/rows.csv", Body=csv_rows(np.tile(diabetes()[0], (40, 1))))
    request = transform_request(
        job, name, f"s3://{BUCKET}/{job}/in/", f"s3://{BUCKET}/{job}/out", BatchStrategy="SingleRecord"
    )
    sagemaker.create_transform_job(**request)
    wait_for_transform(sagemaker, job, statuses=("InProgress",))
    sagemaker.stop_transform_job(TransformJobName=job)
    assert sagemaker.describe_transform_job(TransformJobName=job)["TransformJobStatus"] in ("Stopping", "Stopped")
    described = wait_for_transform(sagemaker, job, timeout=60)
    assert described["TransformJobStatus"] == "Stopped"
    assert _outputs(server, f"{job}/out/") == {}
    with pytest.raises(ClientError) as again:
        sagemaker.stop_transform_job(TransformJobName=job)
    assert "can no longer be stopped" in again.value.response["Error"]["Message"]


def test_create_errors(server: LiveServer, model: tuple[str, xgb.Booster]) -> None:
    name, _ = model
    sagemaker = server.client("sagemaker")
    job = unique("errors")
    with pytest.raises(ClientError) as no_input:
        sagemaker.create_transform_job(
            **transform_request(job, name, f"s3://{BUCKET}/nothing-here/", f"s3://{BUCKET}/{job}/out")
        )
    assert no_input.value.response["Error"]["Message"].startswith(
        f'No S3 objects found under S3 URL "s3://{BUCKET}/nothing-here/"'
    )
    with pytest.raises(ClientError) as no_model:
        sagemaker.create_transform_job(**transform_request(job, "no-such-model", f"s3://{BUCKET}/", f"s3://{BUCKET}/o"))
    assert no_model.value.response["Error"]["Message"].startswith("Could not find model")
    with pytest.raises(ClientError) as bad_filter:
        sagemaker.create_transform_job(
            **transform_request(
                job, name, f"s3://{BUCKET}/", f"s3://{BUCKET}/o", DataProcessing={"InputFilter": "features[0]"}
            )
        )
    assert "InputFilter" in bad_filter.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as missing:
        sagemaker.describe_transform_job(TransformJobName="never-was")
    assert missing.value.response["Error"]["Code"] == "ValidationException"
