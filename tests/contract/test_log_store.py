"""The log store on SQLite and PostgreSQL alike: what the Logs API and the training engine rely on."""

from __future__ import annotations

import threading

import pytest

from drydock.errors import LogsResourceAlreadyExists, LogsResourceNotFound
from drydock.store.database import Database
from drydock.store.log_events import EventRange, InputEvent, LogStore, StreamOrder, stream_sort_key


@pytest.fixture
def store(db: Database) -> LogStore:
    return LogStore(db)


def test_engine_style_append_and_read_back(store: LogStore) -> None:
    # The engine's path: ensure (idempotently, possibly racing) then append.
    for _ in range(2):
        store.ensure_stream("/aws/sagemaker/TrainingJobs", "job/algo-1-1")
    assert (
        store.put_events("/aws/sagemaker/TrainingJobs", "job/algo-1-1", [InputEvent(5, "a"), InputEvent(5, "b")]) == 1
    )
    assert store.put_events("/aws/sagemaker/TrainingJobs", "job/algo-1-1", [InputEvent(3, "older")]) == 2
    events = store.get_events("/aws/sagemaker/TrainingJobs", "job/algo-1-1", EventRange())
    # Time order; equal timestamps keep their write order.
    assert [e.message for e in events] == ["older", "a", "b"]
    stream = store.get_stream("/aws/sagemaker/TrainingJobs", "job/algo-1-1")
    assert (stream.first_event_timestamp, stream.last_event_timestamp, stream.sequence) == (3, 5, 2)
    assert stream.stored_bytes == 3 * 26 + len("older") + 2
    assert store.get_group("/aws/sagemaker/TrainingJobs").stored_bytes == stream.stored_bytes


def test_missing_and_duplicate_resources(store: LogStore) -> None:
    with pytest.raises(LogsResourceNotFound):
        store.create_stream("g", "s")
    store.create_group("g")
    with pytest.raises(LogsResourceAlreadyExists):
        store.create_group("g")
    store.create_stream("g", "s")
    with pytest.raises(LogsResourceAlreadyExists):
        store.create_stream("g", "s")
    with pytest.raises(LogsResourceNotFound):
        store.put_events("g", "other", [InputEvent(1, "x")])
    store.put_events("g", "s", [InputEvent(1, "x")])
    store.delete_group("g")
    with pytest.raises(LogsResourceNotFound):
        store.get_events("g", "s", EventRange())
    store.create_group("g")
    store.create_stream("g", "s")
    assert store.get_events("g", "s", EventRange()) == []


def test_windows_positions_and_page_limits(store: LogStore) -> None:
    store.ensure_stream("g", "s")
    store.put_events("g", "s", [InputEvent(t, f"m{t}") for t in range(10)])
    every = store.get_events("g", "s", EventRange())
    assert [e.timestamp for e in store.get_events("g", "s", EventRange(start=2, end=5))] == [2, 3, 4]
    newest = store.get_events("g", "s", EventRange(newest_first=True, limit=3))
    assert [e.timestamp for e in newest] == [7, 8, 9]
    after = store.get_events("g", "s", EventRange(after=every[4].position, limit=2))
    assert [e.timestamp for e in after] == [5, 6]
    before = store.get_events("g", "s", EventRange(before=every[4].position, newest_first=True, limit=2))
    assert [e.timestamp for e in before] == [2, 3]
    # A page stops at max_bytes but always carries at least one event.
    assert len(store.get_events("g", "s", EventRange(max_bytes=2 * 28))) == 2
    assert len(store.get_events("g", "s", EventRange(max_bytes=1))) == 1


def test_group_and_stream_listing(store: LogStore) -> None:
    for name in ("b", "a/x", "a/y", "A/z"):
        store.create_group(name)
    groups, more = store.list_groups(prefix="a/")
    assert [g.name for g in groups] == ["a/x", "a/y"] and not more
    groups, more = store.list_groups(limit=2)
    assert [g.name for g in groups] == ["A/z", "a/x"] and more
    groups, _ = store.list_groups(after="a/x")
    assert [g.name for g in groups] == ["a/y", "b"]
    assert [g.name for g in store.list_groups(contains="/z")[0]] == ["A/z"]
    assert store.list_groups(contains="/Z")[0] == []

    for stream, stamp in (("s1", 30), ("s2", 10), ("s3", 20)):
        store.create_stream("b", stream)
        store.put_events("b", stream, [InputEvent(stamp, "x")])
    store.create_stream("b", "s0")
    streams, more = store.list_streams("b", order=StreamOrder.LAST_EVENT_TIME, descending=True, limit=2)
    assert [s.name for s in streams] == ["s1", "s3"] and more
    after = stream_sort_key(streams[-1], StreamOrder.LAST_EVENT_TIME)
    rest, more = store.list_streams("b", order=StreamOrder.LAST_EVENT_TIME, descending=True, after=after)
    assert [s.name for s in rest] == ["s2", "s0"] and not more
    assert [s.name for s in store.list_streams("b", prefix="s", descending=True)[0]] == ["s3", "s2", "s1", "s0"]


def test_scan_group_is_interleaved_and_case_sensitive(store: LogStore) -> None:
    store.ensure_stream("g", "one")
    store.ensure_stream("g", "two")
    store.put_events("g", "one", [InputEvent(1, "ERROR a"), InputEvent(3, "error b")])
    store.put_events("g", "two", [InputEvent(2, "ERROR c")])
    found = store.scan_group("g", EventRange(), containing=["ERROR"])
    assert [(e.stream_name, e.message) for e in found] == [("one", "ERROR a"), ("two", "ERROR c")]
    assert [e.message for e in store.scan_group("g", EventRange(), stream_names=["one"])] == ["ERROR a", "error b"]
    assert [e.message for e in store.scan_group("g", EventRange(), stream_prefix="tw")] == ["ERROR c"]


def test_concurrent_writers_to_one_stream_lose_nothing(store: LogStore) -> None:
    store.ensure_stream("g", "s")

    def write(writer: int) -> None:
        for batch in range(10):
            store.put_events("g", "s", [InputEvent(batch, f"w{writer}-{batch}-{i}") for i in range(5)])

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    events = store.get_events("g", "s", EventRange())
    assert len(events) == len({e.message for e in events}) == 200
    assert store.get_stream("g", "s").sequence == 40
