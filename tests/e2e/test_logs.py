"""CloudWatch Logs end to end with real boto3: groups, streams, events, tailing and filtering."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from drydock.testing.live_server import LiveServer

DAY_MS = 24 * 3600 * 1000


def now_ms() -> int:
    return int(time.time() * 1000)


def error_of(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


@pytest.fixture
def logs(server: LiveServer) -> Any:
    return server.client("logs")


@pytest.fixture
def group(logs: Any) -> Iterator[str]:
    name = f"/drydock/test/{uuid.uuid4().hex[:12]}"
    logs.create_log_group(logGroupName=name)
    yield name
    logs.delete_log_group(logGroupName=name)


def put(logs: Any, group: str, stream: str, messages: list[str], start: int | None = None) -> None:
    base = now_ms() if start is None else start
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": base + i, "message": m} for i, m in enumerate(messages)],
    )


def test_log_group_lifecycle_and_errors(logs: Any) -> None:
    prefix = f"/drydock/groups-{uuid.uuid4().hex[:8]}/"
    names = [f"{prefix}{letter}" for letter in "edcba"]
    for name in names:
        logs.create_log_group(logGroupName=name, tags={"team": "ml"})
    code, message = error_of(logs.create_log_group, logGroupName=names[0])
    assert (code, message) == ("ResourceAlreadyExistsException", "The specified log group already exists")

    described = logs.describe_log_groups(logGroupNamePrefix=prefix)["logGroups"]
    # ASCII-sorted by name, as AWS lists them.
    assert [g["logGroupName"] for g in described] == sorted(names)
    first = described[0]
    assert first["arn"] == f"arn:aws:logs:us-east-1:000000000000:log-group:{prefix}a:*"
    assert first["logGroupArn"] == f"arn:aws:logs:us-east-1:000000000000:log-group:{prefix}a"
    assert first["storedBytes"] == 0 and first["creationTime"] > 0

    paginator = logs.get_paginator("describe_log_groups")
    pages = list(paginator.paginate(logGroupNamePrefix=prefix, PaginationConfig={"PageSize": 2}))
    assert [len(p["logGroups"]) for p in pages] == [2, 2, 1]
    assert "nextToken" not in pages[-1]

    # logGroupNamePattern is a case-sensitive substring match.
    matched = logs.describe_log_groups(logGroupNamePattern=prefix.strip("/").upper())["logGroups"]
    assert matched == []
    assert len(logs.describe_log_groups(logGroupNamePattern=prefix.strip("/"))["logGroups"]) == 5

    for name in names:
        logs.delete_log_group(logGroupName=name)
    assert logs.describe_log_groups(logGroupNamePrefix=prefix)["logGroups"] == []
    code, message = error_of(logs.delete_log_group, logGroupName=names[0])
    assert (code, message) == ("ResourceNotFoundException", "The specified log group does not exist.")


def test_retention_policy(logs: Any, group: str) -> None:
    logs.put_retention_policy(logGroupName=group, retentionInDays=7)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["retentionInDays"] == 7
    code, _ = error_of(logs.put_retention_policy, logGroupName=group, retentionInDays=8)
    assert code == "InvalidParameterException"
    # Events older than the retention period are rejected as expired; the rest are kept.
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = now_ms()
    answer = logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[{"timestamp": now - 2 * DAY_MS, "message": "expired"}, {"timestamp": now, "message": "kept"}],
    )
    assert answer["rejectedLogEventsInfo"] == {"expiredLogEventEndIndex": 1}
    logs.delete_retention_policy(logGroupName=group)
    assert "retentionInDays" not in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]


def test_streams_describe_order_and_tokens(logs: Any, group: str) -> None:
    code, _ = error_of(logs.create_log_stream, logGroupName=group + "-missing", logStreamName="s")
    assert code == "ResourceNotFoundException"
    for name in ("job/algo-2-1", "job/algo-1-1", "other"):
        logs.create_log_stream(logGroupName=group, logStreamName=name)
    code, message = error_of(logs.create_log_stream, logGroupName=group, logStreamName="other")
    assert (code, message) == ("ResourceAlreadyExistsException", "The specified log stream already exists")

    # What the SageMaker SDK sends: with exactly `limit` streams there must be no nextToken, or its
    # `while "nextToken" in response` loop never ends.
    answer = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix="job/", orderBy="LogStreamName", limit=2)
    assert [s["logStreamName"] for s in answer["logStreams"]] == ["job/algo-1-1", "job/algo-2-1"]
    assert "nextToken" not in answer
    stream = answer["logStreams"][0]
    assert stream["arn"].endswith(f":log-group:{group}:log-stream:job/algo-1-1")
    assert "lastEventTimestamp" not in stream

    page = logs.describe_log_streams(logGroupName=group, limit=2)
    assert len(page["logStreams"]) == 2 and "nextToken" in page
    rest = logs.describe_log_streams(logGroupName=group, limit=2, nextToken=page["nextToken"])
    assert [s["logStreamName"] for s in rest["logStreams"]] == ["other"] and "nextToken" not in rest
    code, _ = error_of(logs.describe_log_streams, logGroupName=group, nextToken="garbage")
    assert code == "InvalidParameterException"

    put(logs, group, "other", ["late"], start=now_ms())
    put(logs, group, "job/algo-2-1", ["early"], start=now_ms() - 60_000)
    newest = logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", descending=True)
    assert [s["logStreamName"] for s in newest["logStreams"]] == ["other", "job/algo-2-1", "job/algo-1-1"]
    code, _ = error_of(
        logs.describe_log_streams, logGroupName=group, orderBy="LastEventTime", logStreamNamePrefix="job/"
    )
    assert code == "InvalidParameterException"

    # logGroupIdentifier accepts the logGroupArn DescribeLogGroups reports (the model forbids its "*").
    arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["logGroupArn"]
    assert len(logs.describe_log_streams(logGroupIdentifier=arn)["logStreams"]) == 3
    code, _ = error_of(logs.describe_log_streams, logGroupName=group, logGroupIdentifier=arn)
    assert code == "InvalidParameterException"

    logs.delete_log_stream(logGroupName=group, logStreamName="other")
    code, message = error_of(logs.delete_log_stream, logGroupName=group, logStreamName="other")
    assert (code, message) == ("ResourceNotFoundException", "The specified log stream does not exist.")


def test_put_log_events_rules(logs: Any, group: str) -> None:
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = now_ms()
    code, message = error_of(
        logs.put_log_events,
        logGroupName=group,
        logStreamName="s",
        logEvents=[{"timestamp": now, "message": "b"}, {"timestamp": now - 1, "message": "a"}],
    )
    assert code == "InvalidParameterException" and "chronological order" in message
    code, message = error_of(
        logs.put_log_events,
        logGroupName=group,
        logStreamName="s",
        logEvents=[{"timestamp": now - DAY_MS - 1000, "message": "a"}, {"timestamp": now, "message": "b"}],
    )
    assert code == "InvalidParameterException" and "24 hours" in message
    code, _ = error_of(
        logs.put_log_events, logGroupName=group, logStreamName="nope", logEvents=[{"timestamp": now, "message": "x"}]
    )
    assert code == "ResourceNotFoundException"

    # Too old (> 14 days) and too new (> 2 hours ahead) events are rejected, the rest stored.
    answer = logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[
            {"timestamp": now - 15 * DAY_MS, "message": "ancient"},
            {"timestamp": now, "message": "kept-1"},
            {"timestamp": now + 1, "message": "kept-2"},
            {"timestamp": now + 3 * 3600 * 1000, "message": "future"},
        ],
    )
    assert answer["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 1, "tooNewLogEventStartIndex": 3}
    first_token = answer["nextSequenceToken"]
    events = logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True)["events"]
    assert [e["message"] for e in events] == ["kept-1", "kept-2"]
    assert events[0]["ingestionTime"] >= events[0]["timestamp"] - 1000

    # Sequence tokens are ignored (as on AWS since 2023) but still returned, and they advance.
    again = logs.put_log_events(
        logGroupName=group, logStreamName="s", logEvents=[{"timestamp": now + 2, "message": "m"}], sequenceToken="x"
    )
    assert again["nextSequenceToken"] > first_token and "rejectedLogEventsInfo" not in again
    stream = logs.describe_log_streams(logGroupName=group)["logStreams"][0]
    assert (stream["firstEventTimestamp"], stream["lastEventTimestamp"]) == (now, now + 2)


def test_get_log_events_pages_and_tokens(logs: Any, group: str) -> None:
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    start = now_ms() - 10_000
    put(logs, group, "s", [f"line {i}" for i in range(25)], start=start)

    # Default (startFromHead=false): the newest events, still oldest first within the page.
    tail = logs.get_log_events(logGroupName=group, logStreamName="s", limit=5)
    assert [e["message"] for e in tail["events"]] == [f"line {i}" for i in range(20, 25)]

    # Reading from the head with a forward token sees every event once, then an empty page with the
    # same token: how the SageMaker SDK knows to stop, and how tailing clients know to wait.
    seen: list[str] = []
    kwargs: dict[str, Any] = {"logGroupName": group, "logStreamName": "s", "startFromHead": True, "limit": 10}
    token = None
    for _ in range(10):
        page = logs.get_log_events(**kwargs, **({"nextToken": token} if token else {}))
        assert page["nextForwardToken"] and page["nextBackwardToken"]
        seen += [e["message"] for e in page["events"]]
        if not page["events"]:
            assert page["nextForwardToken"] == token
            break
        token = page["nextForwardToken"]
    assert seen == [f"line {i}" for i in range(25)]

    # Backward from the end reaches the start, newest pages first.
    back: list[str] = []
    page = logs.get_log_events(logGroupName=group, logStreamName="s", limit=10)
    back = [e["message"] for e in page["events"]]
    backward = page["nextBackwardToken"]
    while True:
        page = logs.get_log_events(logGroupName=group, logStreamName="s", limit=10, nextToken=backward)
        if not page["events"]:
            assert page["nextBackwardToken"] == backward
            break
        back = [e["message"] for e in page["events"]] + back
        backward = page["nextBackwardToken"]
    assert back == seen

    # startTime is inclusive, endTime exclusive.
    window = logs.get_log_events(
        logGroupName=group, logStreamName="s", startTime=start + 3, endTime=start + 6, startFromHead=True
    )
    assert [e["message"] for e in window["events"]] == ["line 3", "line 4", "line 5"]
    code, _ = error_of(logs.get_log_events, logGroupName=group, logStreamName="s", nextToken="zz")
    assert code == "InvalidParameterException"
    code, message = error_of(logs.get_log_events, logGroupName=group, logStreamName="missing")
    assert (code, message) == ("ResourceNotFoundException", "The specified log stream does not exist.")


def test_tailing_sees_each_event_once_while_a_writer_appends(server: LiveServer, logs: Any, group: str) -> None:
    logs.create_log_stream(logGroupName=group, logStreamName="tail")
    batches, per_batch = 20, 7
    expected = [f"batch {b} event {i}" for b in range(batches) for i in range(per_batch)]
    writer_client = server.client("logs")
    failures: list[BaseException] = []

    def write() -> None:
        # An appending writer: every batch is later than the one before (a job's output, stamped as
        # it is read). An event stamped earlier than what a tailer has already read is not delivered
        # to that tailer, on AWS as here.
        next_stamp = 0
        try:
            for b in range(batches):
                messages = expected[b * per_batch : (b + 1) * per_batch]
                next_stamp = max(now_ms(), next_stamp)
                put(writer_client, group, "tail", messages, start=next_stamp)
                next_stamp += per_batch
        except BaseException as exc:  # surfaced by the assertion below
            failures.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    seen: list[str] = []
    token = None
    deadline = time.monotonic() + 60
    while len(seen) < len(expected) and time.monotonic() < deadline:
        request: dict[str, Any] = {"logGroupName": group, "logStreamName": "tail", "startFromHead": True}
        if token:
            request["nextToken"] = token
        page = logs.get_log_events(**request)
        seen += [e["message"] for e in page["events"]]
        token = page["nextForwardToken"]
    writer.join()
    assert not failures
    assert seen == expected


def test_filter_log_events(logs: Any, group: str) -> None:
    start = now_ms() - 10_000
    logs.create_log_stream(logGroupName=group, logStreamName="job/algo-1")
    logs.create_log_stream(logGroupName=group, logStreamName="job/algo-2")
    logs.create_log_stream(logGroupName=group, logStreamName="other")
    put(logs, group, "job/algo-1", ["ERROR disk full", "INFO ok", "WARN Out of memory soon"], start=start)
    put(logs, group, "job/algo-2", ["error lowercase", "ERROR Out of memory", "INFO done"], start=start + 10)
    put(logs, group, "other", ["ERROR elsewhere"], start=start + 20)

    def messages(**kwargs: Any) -> list[str]:
        return [e["message"] for e in logs.filter_log_events(logGroupName=group, **kwargs)["events"]]

    # Interleaved across streams in time order; matching is case-sensitive.
    assert messages(filterPattern="ERROR") == ["ERROR disk full", "ERROR Out of memory", "ERROR elsewhere"]
    assert messages(filterPattern='"Out of memory"') == ["WARN Out of memory soon", "ERROR Out of memory"]
    assert messages(filterPattern='ERROR "Out of memory"') == ["ERROR Out of memory"]
    assert messages(filterPattern="?WARN ?error") == ["WARN Out of memory soon", "error lowercase"]
    assert messages(filterPattern="ERROR -memory -disk") == ["ERROR elsewhere"]
    assert messages(filterPattern="ERROR", logStreamNamePrefix="job/") == ["ERROR disk full", "ERROR Out of memory"]
    assert messages(filterPattern="INFO", logStreamNames=["job/algo-2"]) == ["INFO done"]
    assert len(messages()) == 7
    # endTime is inclusive for FilterLogEvents.
    assert messages(startTime=start + 1, endTime=start + 10) == [
        "INFO ok",
        "WARN Out of memory soon",
        "error lowercase",
    ]

    answer = logs.filter_log_events(logGroupName=group, filterPattern="ERROR")
    event = answer["events"][0]
    assert event["logStreamName"] == "job/algo-1" and event["eventId"] and event["ingestionTime"] > 0

    paginator = logs.get_paginator("filter_log_events")
    pages = list(paginator.paginate(logGroupName=group, PaginationConfig={"PageSize": 3}))
    assert [e["message"] for p in pages for e in p["events"]] == messages()

    code, _ = error_of(logs.filter_log_events, logGroupName=group, logStreamNames=["other"], logStreamNamePrefix="job/")
    assert code == "InvalidParameterException"
    code, message = error_of(logs.filter_log_events, logGroupName=group, filterPattern='{ $.level = "error" }')
    assert code == "InvalidParameterException" and "JSON filter patterns" in message
    code, _ = error_of(logs.filter_log_events, logGroupName=group, filterPattern='"unclosed')
    assert code == "InvalidParameterException"
    code, _ = error_of(logs.filter_log_events, logGroupName=group + "-missing")
    assert code == "ResourceNotFoundException"


def test_deleting_a_group_deletes_its_streams_and_events(logs: Any) -> None:
    name = f"/drydock/test/{uuid.uuid4().hex[:12]}"
    logs.create_log_group(logGroupName=name)
    logs.create_log_stream(logGroupName=name, logStreamName="s")
    put(logs, name, "s", ["one", "two"])
    logs.delete_log_group(logGroupName=name)
    logs.create_log_group(logGroupName=name)
    assert logs.describe_log_streams(logGroupName=name)["logStreams"] == []
    assert logs.filter_log_events(logGroupName=name)["events"] == []
    logs.delete_log_group(logGroupName=name)


def test_constraint_violations_are_invalid_parameter_exceptions(logs: Any) -> None:
    # CloudWatch Logs, unlike SageMaker, names these InvalidParameterException.
    with pytest.raises(logs.exceptions.InvalidParameterException) as caught:
        logs.create_log_group(logGroupName="bad name with spaces")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    message = caught.value.response["Error"]["Message"]
    assert message.startswith("1 validation error detected: Value 'bad name with spaces' at 'logGroupName'")
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.describe_log_streams(logGroupName="/any", limit=51)


def test_hostile_input_is_a_4xx_never_a_500(logs: Any, group: str) -> None:
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    cases: list[tuple[Any, dict[str, Any]]] = [
        (logs.get_log_events, {"logStreamName": "s", "nextToken": "f/99999999999999999999999/1"}),
        (logs.get_log_events, {"logStreamName": "s", "nextToken": "x/1/2"}),
        (logs.describe_log_streams, {"nextToken": "eyJmIjoieCIsImEiOls5OTldfQ=="}),
        (logs.filter_log_events, {"nextToken": "eyJmIjoieCIsImEiOls5OTldfQ=="}),
        (logs.create_log_stream, {"logStreamName": "nul\x00name"}),
        (logs.create_log_stream, {"logStreamName": "lone \ud800 surrogate"}),
        (logs.filter_log_events, {"filterPattern": "a\x00b"}),
    ]
    for call, kwargs in cases:
        with pytest.raises(ClientError) as caught:
            call(logGroupName=group, **kwargs)
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400, kwargs
        # A lone surrogate may already be refused as unreadable JSON (SerializationException).
        assert caught.value.response["Error"]["Code"] in ("InvalidParameterException", "SerializationException")

    # Far-future bounds are just far: nothing matches, nothing breaks.
    far = 2**63 - 1  # the largest long the model allows
    assert logs.get_log_events(logGroupName=group, logStreamName="s", startTime=far)["events"] == []
    assert logs.filter_log_events(logGroupName=group, startTime=0, endTime=far)["events"] == []
    # NUL inside a message is stored (as U+FFFD, which every backend can hold).
    put(logs, group, "s", ["before\x00after"])
    events = logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True)["events"]
    assert [e["message"] for e in events] == ["before\ufffdafter"]
