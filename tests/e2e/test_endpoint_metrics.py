"""Endpoint metrics reach CloudWatch (boto3's cloudwatch client) and Prometheus (/_drydock/metrics)."""

from __future__ import annotations

import datetime as dt
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from drydock.testing.live_server import LiveServer
from tests.e2e.hosting_support import create_xgb_model, csv_rows, deploy, diabetes, train_booster


def _sum(cloudwatch: Any, endpoint: str, metric: str, start: dt.datetime) -> float | None:
    points = cloudwatch.get_metric_statistics(
        Namespace="AWS/SageMaker",
        MetricName=metric,
        Dimensions=[{"Name": "EndpointName", "Value": endpoint}, {"Name": "VariantName", "Value": "AllTraffic"}],
        StartTime=start,
        EndTime=start + dt.timedelta(hours=1),
        Period=3600,
        Statistics=["Sum", "SampleCount"],
    )["Datapoints"]
    return points[0]["Sum"] if points else None


def test_invocations_latency_and_errors_are_published(server: LiveServer, tmp_path: Path) -> None:
    features, labels = diabetes()
    sagemaker, runtime = server.client("sagemaker"), server.client("sagemaker-runtime")
    cloudwatch = server.client("cloudwatch")
    start = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    name = deploy(
        sagemaker, [("AllTraffic", create_xgb_model(server, train_booster(features, labels), tmp_path), 1, 1.0)]
    )
    for _ in range(7):
        runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=csv_rows(features[:1]))["Body"].read()
    with pytest.raises(ClientError):
        runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=b"x,y")

    deadline = time.monotonic() + 15
    while _sum(cloudwatch, name, "Invocations", start) != 8:
        assert time.monotonic() < deadline, "the invocations never reached CloudWatch"
        time.sleep(0.2)
    assert _sum(cloudwatch, name, "Invocation4XXErrors", start) == 1
    assert _sum(cloudwatch, name, "Invocation5XXErrors", start) == 0
    assert _sum(cloudwatch, name, "ModelSetupTime", start) is not None

    listed = cloudwatch.list_metrics(Namespace="AWS/SageMaker", Dimensions=[{"Name": "EndpointName", "Value": name}])[
        "Metrics"
    ]
    names = {m["MetricName"] for m in listed}
    assert {"Invocations", "InvocationsPerInstance", "ModelLatency", "OverheadLatency", "ModelSetupTime"} <= names

    latency = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "latency",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/SageMaker",
                        "MetricName": "ModelLatency",
                        "Dimensions": [
                            {"Name": "EndpointName", "Value": name},
                            {"Name": "VariantName", "Value": "AllTraffic"},
                        ],
                    },
                    "Period": 3600,
                    "Stat": "Average",
                    "Unit": "Microseconds",
                },
            }
        ],
        StartTime=start,
        EndTime=start + dt.timedelta(hours=1),
    )["MetricDataResults"][0]
    assert latency["StatusCode"] == "Complete"
    assert 0 < latency["Values"][0] < 5_000_000  # microseconds: more than nothing, less than 5 s

    with urllib.request.urlopen(f"{server.url}/_drydock/metrics") as response:
        text = response.read().decode()
    assert f'drydock_endpoint_invocations_total{{endpoint="{name}",variant="AllTraffic"}} 8' in text

    # As on AWS, CloudTrail records the endpoint's management calls but not its invocations.
    trail = server.client("cloudtrail")
    names_in_trail = {
        e["EventName"]
        for e in trail.lookup_events(LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": name}])[
            "Events"
        ]
    }
    assert "CreateEndpoint" in names_in_trail and "InvokeEndpoint" not in names_in_trail
    sagemaker.delete_endpoint(EndpointName=name)
