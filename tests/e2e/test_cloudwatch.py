"""CloudWatch metrics end to end with real boto3: PutMetricData, then GetMetricStatistics,
GetMetricData and ListMetrics return what was put; bad input gets CloudWatch's error codes; bad or
missing signatures get 403.

botocore speaks CloudWatch in JSON 1.0 (it ranks ``json`` above the model's preferred smithy
rpc-v2-cbor); the ``cbor`` client here is the same boto3 with a copy of the model that lists only
rpc-v2-cbor, so both wire protocols are exercised by botocore's own serializers and parsers.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import cbor2
import httpx
import pytest
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from drydock.testing.live_server import ACCESS_KEY, REGION, SECRET_KEY, LiveServer

NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"})
CBOR_PATH = "/service/GraniteServiceVersion20100801/operation"


@pytest.fixture(scope="module")
def cbor_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A botocore data path whose CloudWatch model offers only smithy-rpc-v2-cbor."""
    loader = botocore.session.get_session().get_component("data_loader")
    model = loader.load_service_model("cloudwatch", "service-2")
    model["metadata"]["protocols"] = ["smithy-rpc-v2-cbor"]
    root = tmp_path_factory.mktemp("botocore-data")
    folder = root / "cloudwatch" / model["metadata"]["apiVersion"]
    folder.mkdir(parents=True)
    (folder / "service-2.json").write_text(json.dumps(model))
    return root


def cloudwatch_client(server: LiveServer, protocol: str, cbor_models: Path, **kwargs: Any) -> Any:
    session = botocore.session.Session()
    if protocol == "cbor":
        session.get_component("data_loader").search_paths.insert(0, str(cbor_models))
    client = boto3.session.Session(botocore_session=session).client(
        "cloudwatch",
        endpoint_url=server.url,
        region_name=REGION,
        aws_access_key_id=kwargs.pop("aws_access_key_id", ACCESS_KEY),
        aws_secret_access_key=kwargs.pop("aws_secret_access_key", SECRET_KEY),
        config=kwargs.pop("config", NO_RETRIES),
    )
    sent: list[str] = []
    client.meta.events.register("before-send.cloudwatch.*", lambda request, **_: sent.append(request.url))
    client.sent_urls = sent
    return client


@pytest.fixture(params=["json", "cbor"])
def cloudwatch(request: pytest.FixtureRequest, server: LiveServer, cbor_models: Path) -> Iterator[Any]:
    client = cloudwatch_client(server, request.param, cbor_models)
    yield client
    # Each protocol went where botocore sends it.
    if request.param == "cbor":
        assert all(CBOR_PATH in url for url in client.sent_urls)
    else:
        assert all(CBOR_PATH not in url for url in client.sent_urls)


@pytest.fixture
def namespace() -> str:
    return f"Drydock/E2E/{uuid.uuid4().hex[:10]}"


def minute_start() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)


def error_of(call: Any, **kwargs: Any) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def test_put_then_statistics_data_and_listing_return_it(cloudwatch: Any, namespace: str) -> None:
    start = minute_start()
    host = [{"Name": "Host", "Value": "web-1"}]
    cloudwatch.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {"MetricName": "Latency", "Dimensions": host, "Timestamp": start, "Value": 10.0, "Unit": "Milliseconds"},
            {
                "MetricName": "Latency",
                "Dimensions": host,
                "Timestamp": start + dt.timedelta(seconds=5),
                "Values": [20.0, 30.0],
                "Counts": [2.0, 1.0],
                "Unit": "Milliseconds",
                "StorageResolution": 1,
            },
            {
                "MetricName": "Requests",
                "Dimensions": host,
                "Timestamp": start + dt.timedelta(seconds=10),
                "StatisticValues": {"SampleCount": 4, "Sum": 40, "Minimum": 5, "Maximum": 15},
                "Unit": "Count",
            },
        ],
    )
    stats = cloudwatch.get_metric_statistics(
        Namespace=namespace,
        MetricName="Latency",
        Dimensions=host,
        StartTime=start - dt.timedelta(minutes=2),
        EndTime=start + dt.timedelta(minutes=2),
        Period=60,
        Statistics=["SampleCount", "Sum", "Average", "Minimum", "Maximum"],
        ExtendedStatistics=["p50", "p100"],
    )
    assert stats["Label"] == "Latency"
    (point,) = stats["Datapoints"]
    assert point["Timestamp"] == start
    assert (point["SampleCount"], point["Sum"], point["Minimum"], point["Maximum"]) == (4.0, 80.0, 10.0, 30.0)
    assert point["Average"] == 20.0 and point["Unit"] == "Milliseconds"
    assert point["ExtendedStatistics"] == {"p50": 20.0, "p100": 30.0}
    # The exact dimension set names the metric: without Host there is nothing.
    assert (
        cloudwatch.get_metric_statistics(
            Namespace=namespace,
            MetricName="Latency",
            StartTime=start,
            EndTime=start + dt.timedelta(minutes=1),
            Period=60,
            Statistics=["Sum"],
        )["Datapoints"]
        == []
    )

    data = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "requests",
                "MetricStat": {
                    "Metric": {"Namespace": namespace, "MetricName": "Requests", "Dimensions": host},
                    "Period": 60,
                    "Stat": "Sum",
                },
            },
            {
                "Id": "latency",
                "Label": "p50 latency",
                "MetricStat": {
                    "Metric": {"Namespace": namespace, "MetricName": "Latency", "Dimensions": host},
                    "Period": 60,
                    "Stat": "p50",
                },
                "ReturnData": False,
            },
            {"Id": "per_request", "Expression": "latency / requests * 2"},
        ],
        StartTime=start - dt.timedelta(minutes=2),
        EndTime=start + dt.timedelta(minutes=2),
    )
    results = {r["Id"]: r for r in data["MetricDataResults"]}
    assert set(results) == {"requests", "per_request"}  # ReturnData false is computed, not returned
    assert (results["requests"]["Label"], results["requests"]["Timestamps"]) == ("Requests", [start])
    assert results["requests"]["Values"] == [40.0] and results["requests"]["StatusCode"] == "Complete"
    assert results["per_request"]["Values"] == [1.0]
    assert "NextToken" not in data

    listed = cloudwatch.list_metrics(Namespace=namespace, Dimensions=[{"Name": "Host"}])["Metrics"]
    assert sorted(m["MetricName"] for m in listed) == ["Latency", "Requests"]
    assert all(m["Dimensions"] == host for m in listed)
    assert (
        cloudwatch.list_metrics(Namespace=namespace, Dimensions=[{"Name": "Host", "Value": "web-2"}])["Metrics"] == []
    )
    recent = cloudwatch.list_metrics(Namespace=namespace, MetricName="Requests", RecentlyActive="PT3H")
    assert [m["MetricName"] for m in recent["Metrics"]] == ["Requests"]


def test_get_metric_data_pages_by_max_datapoints(cloudwatch: Any, namespace: str) -> None:
    start = minute_start() - dt.timedelta(minutes=1)
    cloudwatch.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": "Tick",
                "Timestamp": start + dt.timedelta(seconds=s),
                "Value": float(s),
                "StorageResolution": 1,
            }
            for s in range(10)
        ],
    )
    query = {
        "Id": "tick",
        "MetricStat": {"Metric": {"Namespace": namespace, "MetricName": "Tick"}, "Period": 1, "Stat": "Maximum"},
    }
    window = {"StartTime": start, "EndTime": start + dt.timedelta(minutes=1)}
    pages, token = [], None
    while True:
        extra = {"NextToken": token} if token else {}
        page = cloudwatch.get_metric_data(
            MetricDataQueries=[query], ScanBy="TimestampAscending", MaxDatapoints=4, **window, **extra
        )
        pages.append(page["MetricDataResults"][0])
        token = page.get("NextToken")
        if not token:
            break
    assert [len(p["Values"]) for p in pages] == [4, 4, 2]
    assert [p["StatusCode"] for p in pages] == ["PartialData", "PartialData", "Complete"]
    assert [v for p in pages for v in p["Values"]] == [float(s) for s in range(10)]
    newest_first = cloudwatch.get_metric_data(MetricDataQueries=[query], **window)["MetricDataResults"][0]
    assert newest_first["Values"] == [float(s) for s in reversed(range(10))]
    assert newest_first["Timestamps"][0] == start + dt.timedelta(seconds=9)
    code = error_of(cloudwatch.get_metric_data, MetricDataQueries=[query], NextToken="bm90IGEgdG9rZW4=", **window)
    assert code[:2] == (400, "InvalidNextToken")


def test_bad_input_gets_cloudwatch_errors_and_the_server_keeps_serving(cloudwatch: Any, namespace: str) -> None:
    # Half a second past: an hour back from here rounds down to 3,601 one-second buckets, never 3,600.
    now = dt.datetime.now(dt.UTC).replace(microsecond=500_000) - dt.timedelta(seconds=1)
    put = cloudwatch.put_metric_data
    assert error_of(put, Namespace="AWS/EC2", MetricData=[{"MetricName": "m", "Value": 1}]) == (
        400,
        "InvalidParameterValue",
        "The value AWS/EC2 for parameter Namespace is invalid.",
    )
    both = {"MetricName": "m", "Value": 1, "StatisticValues": {"SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1}}
    assert error_of(put, Namespace=namespace, MetricData=[{"MetricName": "ok", "Value": 1}, both]) == (
        400,
        "InvalidParameterCombination",
        "The parameters MetricData.member.2.Value and MetricData.member.2.StatisticValues are mutually exclusive "
        "and you have specified both.",
    )
    old = {"MetricName": "m", "Value": 1, "Timestamp": now - dt.timedelta(days=15)}
    assert error_of(put, Namespace=namespace, MetricData=[old])[1:] == (
        "InvalidParameterValue",
        "The parameter MetricData.member.1.Timestamp must specify a time within the past two weeks.",
    )
    status, code, message = error_of(
        put, Namespace=namespace, MetricData=[{"MetricName": "m", "Value": 1, "Unit": "Parsecs"}]
    )
    assert (status, code) == (400, "ValidationError")
    assert "Value 'Parsecs' at 'metricData.1.member.unit' failed to satisfy constraint" in message
    # Modelled errors are boto3's exception classes, as on AWS.
    with pytest.raises(cloudwatch.exceptions.InvalidParameterValueException):
        put(Namespace=namespace, MetricData=[{"MetricName": "m", "Value": 1, "StorageResolution": 30}])

    stats = {"Namespace": namespace, "MetricName": "m", "StartTime": now - dt.timedelta(hours=1), "EndTime": now}
    get = cloudwatch.get_metric_statistics
    assert error_of(get, Period=45, Statistics=["Sum"], **stats)[1] == "InvalidParameterValue"
    assert error_of(get, Period=1, Statistics=["Sum"], **stats) == (
        400,
        "InvalidParameterCombination",
        "You have requested up to 3,601 datapoints, which exceeds the limit of 1,440. You may reduce the "
        "datapoints requested by increasing Period, or decreasing the time range.",
    )
    assert error_of(get, Period=60, **stats)[1] == "InvalidParameterCombination"
    assert error_of(get, Period=60, ExtendedStatistics=["tm99"], **stats)[2].endswith(
        "is not supported by Drydock: ask for percentiles (p0 to p100) or the basic statistics."
    )
    same = {**stats, "EndTime": stats["StartTime"]}
    assert (
        error_of(get, Period=60, Statistics=["Sum"], **same)[2]
        == "The parameter StartTime must not equal parameter EndTime."
    )
    bad_stat = {
        "Id": "m1",
        "MetricStat": {"Metric": {"Namespace": namespace, "MetricName": "m"}, "Period": 60, "Stat": "Median"},
    }
    assert error_of(
        cloudwatch.get_metric_data, MetricDataQueries=[bad_stat], StartTime=stats["StartTime"], EndTime=now
    ) == (
        400,
        "ValidationError",
        "The value Median for parameter MetricDataQueries.member.1.MetricStat.Stat is not a valid statistic.",
    )
    assert error_of(cloudwatch.describe_alarms)[:2] == (501, "NotImplemented")
    assert isinstance(cloudwatch.list_metrics(Namespace=namespace)["Metrics"], list)


def test_malformed_cbor_is_a_serialization_error(server: LiveServer) -> None:
    def send(body: bytes) -> httpx.Response:
        headers = {"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor", "Accept": "application/cbor"}
        request = AWSRequest(method="POST", url=f"{server.url}{CBOR_PATH}/ListMetrics", data=body, headers=headers)
        SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "monitoring", REGION).add_auth(request)
        prepared = request.prepare()
        return httpx.post(prepared.url, headers=dict(prepared.headers.items()), content=body, timeout=10)

    for body in (b"\xff\x00", b"\x9f" * 5000, b"\xa1\x61", b"[1,2]"):
        response = send(body)
        assert response.status_code == 400, body
        assert response.headers["smithy-protocol"] == "rpc-v2-cbor"
        assert cbor2.loads(response.content)["__type"] == "SerializationException"
    ok = send(cbor2.dumps({"Namespace": "Nothing/Here"}))
    assert ok.status_code == 200 and cbor2.loads(ok.content) == {"Metrics": []}


@pytest.mark.parametrize("protocol", ["json", "cbor"])
def test_unsigned_and_badly_signed_requests_get_403(server: LiveServer, cbor_models: Path, protocol: str) -> None:
    unsigned = cloudwatch_client(server, protocol, cbor_models, config=Config(signature_version=UNSIGNED))
    status, code, _ = error_of(unsigned.list_metrics)
    assert (status, code) == (403, "MissingAuthenticationTokenException")
    wrong = cloudwatch_client(server, protocol, cbor_models, aws_secret_access_key="not-the-secret")
    status, code, _ = error_of(
        wrong.put_metric_data, Namespace="Drydock/Auth", MetricData=[{"MetricName": "m", "Value": 1}]
    )
    assert (status, code) == (403, "InvalidSignatureException")
    # Nothing was stored by the rejected put.
    good = cloudwatch_client(server, protocol, cbor_models)
    assert good.list_metrics(Namespace="Drydock/Auth")["Metrics"] == []
