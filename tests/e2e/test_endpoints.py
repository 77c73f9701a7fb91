"""Endpoints through real boto3: create, describe, invoke, list, delete, and the errors SageMaker gives."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb
from botocore.exceptions import ClientError

from drydock.testing.live_server import LiveServer
from tests.e2e.hosting_support import (
    XGB_IMAGE,
    create_config,
    create_xgb_model,
    csv_rows,
    diabetes,
    predictions,
    train_booster,
    unique,
    wait_for_endpoint,
)


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    return diabetes()


def test_create_invoke_delete(server: LiveServer, tmp_path: Path, data: tuple[np.ndarray, np.ndarray]) -> None:
    features, labels = data
    booster = train_booster(features, labels)
    sagemaker, runtime = server.client("sagemaker"), server.client("sagemaker-runtime")
    model = create_xgb_model(server, booster, tmp_path)
    config = create_config(sagemaker, [("AllTraffic", model, 1, 1.0)])
    name = unique("endpoint")

    started = time.monotonic()
    arn = sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=config)["EndpointArn"]
    assert arn.endswith(f":endpoint/{name}")
    creating = sagemaker.describe_endpoint(EndpointName=name)
    assert creating["EndpointStatus"] in ("Creating", "InService")
    endpoint = wait_for_endpoint(sagemaker, name)
    assert endpoint["EndpointStatus"] == "InService", endpoint.get("FailureReason")
    assert time.monotonic() - started < 30
    (variant,) = endpoint["ProductionVariants"]
    assert variant["VariantName"] == "AllTraffic"
    assert variant["CurrentWeight"] == variant["DesiredWeight"] == 1.0
    assert variant["CurrentInstanceCount"] == variant["DesiredInstanceCount"] == 1
    assert variant["DeployedImages"][0]["SpecifiedImage"] == XGB_IMAGE
    assert endpoint["EndpointConfigName"] == config

    rows = features[:25]
    answer = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=csv_rows(rows))
    assert answer["InvokedProductionVariant"] == "AllTraffic"
    assert answer["ContentType"].startswith("text/csv")
    expected = booster.predict(xgb.DMatrix(rows))
    np.testing.assert_allclose(predictions(answer["Body"].read()), expected, rtol=1e-6)

    listed = sagemaker.list_endpoints(NameContains=name, StatusEquals="InService")["Endpoints"]
    assert [e["EndpointName"] for e in listed] == [name]

    sagemaker.delete_endpoint(EndpointName=name)
    deadline = time.monotonic() + 30
    while True:
        try:
            assert sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"] == "Deleting"
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ValidationException"
            assert error.response["Error"]["Message"] == f'Could not find endpoint "{arn}".'
            break
        assert time.monotonic() < deadline, "the endpoint was never deleted"
        time.sleep(0.05)
    with pytest.raises(ClientError) as gone:
        runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=b"1,2")
    assert gone.value.response["Error"]["Code"] == "ValidationError"
    assert gone.value.response["Error"]["Message"] == f"Endpoint {name} of account 000000000000 not found."


def test_control_plane_errors(server: LiveServer, tmp_path: Path, data: tuple[np.ndarray, np.ndarray]) -> None:
    sagemaker = server.client("sagemaker")
    with pytest.raises(ClientError) as missing_config:
        sagemaker.create_endpoint(EndpointName=unique("endpoint"), EndpointConfigName="no-such-config")
    assert missing_config.value.response["Error"]["Message"].startswith("Could not find endpoint configuration")

    model = create_xgb_model(server, train_booster(*data, rounds=2), tmp_path)
    config = create_config(sagemaker, [("AllTraffic", model, 1, 1.0)])
    name = unique("endpoint")
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=config)
    with pytest.raises(ClientError) as duplicate:
        sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=config)
    assert duplicate.value.response["Error"]["Message"].startswith("Cannot create already existing endpoint")
    # Still Creating: the model server takes far longer to start than this call takes to arrive.
    with pytest.raises(ClientError) as busy:
        sagemaker.update_endpoint(EndpointName=name, EndpointConfigName=config)
    assert busy.value.response["Error"]["Message"].startswith("Cannot update in-progress endpoint")
    assert wait_for_endpoint(sagemaker, name)["EndpointStatus"] == "InService"
    with pytest.raises(ClientError) as unknown_variant:
        sagemaker.update_endpoint_weights_and_capacities(
            EndpointName=name, DesiredWeightsAndCapacities=[{"VariantName": "Nope", "DesiredWeight": 1.0}]
        )
    assert "Nope" in unknown_variant.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as missing:
        sagemaker.describe_endpoint(EndpointName="never-created")
    assert missing.value.response["Error"]["Message"] == (
        'Could not find endpoint "arn:aws:sagemaker:us-east-1:000000000000:endpoint/never-created".'
    )
    sagemaker.delete_endpoint(EndpointName=name)


def test_model_errors_reach_the_client(server: LiveServer, tmp_path: Path, data: tuple[np.ndarray, np.ndarray]) -> None:
    sagemaker, runtime = server.client("sagemaker"), server.client("sagemaker-runtime")
    model = create_xgb_model(server, train_booster(*data, rounds=2), tmp_path)
    name = unique("endpoint")
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=create_config(sagemaker, [("A", model, 1, 1.0)]))
    assert wait_for_endpoint(sagemaker, name)["EndpointStatus"] == "InService"

    with pytest.raises(ClientError) as bad_csv:
        runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=b"1,2,not-a-number")
    error = bad_csv.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert error["Error"]["Code"] == "ModelError"
    assert 400 <= error["OriginalStatusCode"] < 500
    assert error["OriginalMessage"]
    assert error["LogStreamArn"].endswith(f"log-group:/aws/sagemaker/Endpoints/{name}")
    assert "Received client error" in error["Error"]["Message"]

    with pytest.raises(ClientError) as unsupported:
        runtime.invoke_endpoint(EndpointName=name, ContentType="image/png", Body=b"\x89PNG")
    assert unsupported.value.response["OriginalStatusCode"] == 415

    with pytest.raises(ClientError) as bad_variant:
        runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=b"1", TargetVariant="B")
    assert bad_variant.value.response["Error"]["Code"] == "ValidationError"

    # The endpoint still serves, and its log group holds the model server's output.
    ok = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=csv_rows(data[0][:1]))
    assert len(predictions(ok["Body"].read())) == 1
    logs = server.client("logs")
    streams = logs.describe_log_streams(logGroupName=f"/aws/sagemaker/Endpoints/{name}")["logStreams"]
    assert [s["logStreamName"].split("/")[0] for s in streams] == ["A"]
    assert streams[0]["logStreamName"].split("/")[1].startswith("i-")
    sagemaker.delete_endpoint(EndpointName=name)
