"""The audit trail: every call is recorded, CloudTrail LookupEvents serves it, `drydock audit` shows it."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from drydock.testing.live_server import ACCESS_KEY, LiveServer

XGB_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


@pytest.fixture
def cloudtrail(server: LiveServer) -> Any:
    return server.client("cloudtrail")


def by_resource(cloudtrail: Any, name: str, **kwargs: Any) -> list[dict[str, Any]]:
    lookup = [{"AttributeKey": "ResourceName", "AttributeValue": name}]
    events: list[dict[str, Any]] = cloudtrail.lookup_events(LookupAttributes=lookup, **kwargs)["Events"]
    return events


def test_calls_are_recorded_with_principal_resource_and_outcome(sagemaker: Any, cloudtrail: Any) -> None:
    name = f"audited-{uuid.uuid4().hex[:10]}"
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=2)
    sagemaker.create_model(ModelName=name, PrimaryContainer={"Image": XGB_IMAGE})
    sagemaker.delete_model(ModelName=name)
    with pytest.raises(ClientError):
        sagemaker.describe_model(ModelName=name)

    events = by_resource(cloudtrail, name)
    # Newest first.
    assert [e["EventName"] for e in events] == ["DescribeModel", "DeleteModel", "CreateModel"]
    failed, _, created = events
    assert created["EventSource"] == "sagemaker.amazonaws.com"
    assert created["Username"] == "root" and created["AccessKeyId"] == ACCESS_KEY
    assert created["ReadOnly"] == "false" and failed["ReadOnly"] == "true"
    assert created["Resources"] == [{"ResourceType": "AWS::SageMaker::Model", "ResourceName": name}]
    assert created["EventTime"] >= before

    detail = json.loads(created["CloudTrailEvent"])
    assert detail["eventName"] == "CreateModel"
    assert detail["eventSource"] == "sagemaker.amazonaws.com"
    assert detail["userIdentity"]["arn"] == "arn:aws:iam::000000000000:root"
    assert detail["userIdentity"]["accessKeyId"] == ACCESS_KEY
    assert detail["sourceIPAddress"] == "127.0.0.1"
    assert detail["requestID"] == created["EventId"]
    assert dt.datetime.fromisoformat(detail["eventTime"]) >= before.replace(microsecond=0)
    assert "errorCode" not in detail
    failure = json.loads(failed["CloudTrailEvent"])
    assert failure["errorCode"] == "ValidationException"
    assert failure["additionalEventData"]["httpStatusCode"] == 400


def test_lookup_attributes_time_range_and_pages(server: LiveServer, sagemaker: Any, cloudtrail: Any) -> None:
    name = f"paged-{uuid.uuid4().hex[:10]}"
    for _ in range(5):
        with pytest.raises(ClientError):
            sagemaker.describe_model(ModelName=name)
    first = cloudtrail.lookup_events(
        LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": name}], MaxResults=2
    )
    assert len(first["Events"]) == 2 and first["NextToken"]
    paginator = cloudtrail.get_paginator("lookup_events")
    pages = list(
        paginator.paginate(
            LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": name}],
            PaginationConfig={"PageSize": 2},
        )
    )
    ids = [e["EventId"] for page in pages for e in page["Events"]]
    assert len(ids) == len(set(ids)) == 5
    assert "NextToken" not in pages[-1]

    # A time window that ends before the calls finds none of them.
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    assert by_resource(cloudtrail, name, EndTime=past) == []
    assert len(by_resource(cloudtrail, name, StartTime=past)) == 5

    # Attributes the store cannot index are matched on the server too.
    server.client("logs").describe_log_groups()
    by_source = cloudtrail.lookup_events(
        LookupAttributes=[{"AttributeKey": "EventSource", "AttributeValue": "logs.amazonaws.com"}], MaxResults=1
    )["Events"]
    assert by_source[0]["EventName"] == "DescribeLogGroups"
    by_user = cloudtrail.lookup_events(
        LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": "root"}], MaxResults=3
    )["Events"]
    assert len(by_user) == 3 and {e["Username"] for e in by_user} == {"root"}
    event_id = by_user[1]["EventId"]
    found = cloudtrail.lookup_events(LookupAttributes=[{"AttributeKey": "EventId", "AttributeValue": event_id}])
    assert [e["EventId"] for e in found["Events"]] == [event_id]


def test_lookup_errors(cloudtrail: Any) -> None:
    def code_of(**kwargs: Any) -> str:
        with pytest.raises(ClientError) as caught:
            cloudtrail.lookup_events(**kwargs)
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        return str(caught.value.response["Error"]["Code"])

    two = [
        {"AttributeKey": "EventName", "AttributeValue": "CreateModel"},
        {"AttributeKey": "Username", "AttributeValue": "root"},
    ]
    assert code_of(LookupAttributes=two) == "InvalidLookupAttributesException"
    now = dt.datetime.now(dt.UTC)
    assert code_of(StartTime=now, EndTime=now - dt.timedelta(hours=1)) == "InvalidTimeRangeException"
    assert code_of(NextToken="not-a-token") == "InvalidNextTokenException"


def test_drydock_audit_command(server: LiveServer, sagemaker: Any) -> None:
    name = f"cli-{uuid.uuid4().hex[:10]}"
    sagemaker.create_model(ModelName=name, PrimaryContainer={"Image": XGB_IMAGE})
    with pytest.raises(ClientError):
        sagemaker.create_model(ModelName=name, PrimaryContainer={"Image": XGB_IMAGE})

    def audit(*args: str) -> str:
        env = server.env() | {"COLUMNS": "250"}
        result = subprocess.run(
            [sys.executable, "-m", "drydock.cli", "audit", "--port", str(server.port), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    shown = audit("--resource", name)
    lines = [line for line in shown.splitlines() if name in line]
    assert len(lines) == 2
    newest, oldest = lines
    assert "CreateModel" in newest and "ValidationException (400)" in newest
    assert "CreateModel" in oldest and "OK (200)" in oldest
    assert "arn:aws:iam::000000000000:root" in newest

    # Both filters at once: the operation goes to the server, the resource is matched by the CLI.
    both = audit("--operation", "CreateModel", "--resource", name, "--limit", "1")
    assert len([line for line in both.splitlines() if name in line]) == 1
    assert "Time (UTC)" in both and "Outcome" in both


def test_drydock_audit_without_a_server_fails_clearly(server: LiveServer) -> None:
    from drydock.testing.ports import free_port

    result = subprocess.run(
        [sys.executable, "-m", "drydock.cli", "audit", "--port", str(free_port())],
        env=server.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "is `drydock server` running?" in result.stderr
