"""Log event operations: PutLogEvents, GetLogEvents (with tailing tokens) and FilterLogEvents."""

from __future__ import annotations

import itertools
from bisect import bisect_left, bisect_right
from typing import Any

from drydock.core.pagination import fingerprint
from drydock.errors import LogsInvalidParameter
from drydock.services.dependencies import deps_of
from drydock.services.logs.api import api
from drydock.services.logs.filter_pattern import FilterPattern
from drydock.services.logs.groups import group_name_of, sequence_token
from drydock.services.logs.tokens import Direction, StreamToken, backward, forward, page_after, page_token
from drydock.store.log_events import (
    MAX_PAGE_BYTES,
    MAX_PAGE_EVENTS,
    EventPosition,
    EventRange,
    InputEvent,
    LogEvent,
    event_size,
    now_ms,
)
from drydock.wire.context import RequestContext

HOUR_MS = 3600 * 1000
DAY_MS = 24 * HOUR_MS
#: PutLogEvents' limits (AWS: sum of UTF-8 messages + 26 bytes each; 14 days back; 2 hours ahead).
MAX_BATCH_BYTES = 1_048_576
MAX_AGE_MS = 14 * DAY_MS
MAX_AHEAD_MS = 2 * HOUR_MS
#: Timestamps are unbounded longs in the model; no event is later than this (year 146,000,000).
MAX_TIME_MS = 2**62
#: FilterLogEvents examines at most this many candidate events per call, then returns a nextToken,
#: as AWS does with partial pages, so one call never scans a whole group.
MAX_SCAN = 20_000
SCAN_BATCH = 1_000


@api.operation("PutLogEvents")
def put_log_events(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    store = deps_of(ctx).logs
    group, stream = request["logGroupName"], request["logStreamName"]
    events = request["logEvents"]
    stamps = [event["timestamp"] for event in events]
    if any(later < earlier for earlier, later in itertools.pairwise(stamps)):
        raise LogsInvalidParameter("Log events in a single PutLogEvents request must be in chronological order.")
    size = sum(event_size(event["message"]) for event in events)
    if size > MAX_BATCH_BYTES:
        raise LogsInvalidParameter(f"Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}")
    retention = store.get_group(group).retention_in_days
    now = now_ms()
    # The batch is sorted, so the rejected events are a prefix (too old, expired) and a suffix (too new).
    too_old_end = bisect_left(stamps, now - MAX_AGE_MS)
    expired_end = bisect_left(stamps, now - retention * DAY_MS) if retention else 0
    too_new_start = bisect_right(stamps, now + MAX_AHEAD_MS)
    accepted = events[max(too_old_end, expired_end) : too_new_start]
    if accepted and accepted[-1]["timestamp"] - accepted[0]["timestamp"] > DAY_MS:
        raise LogsInvalidParameter(
            "The batch of log events in a single PutLogEvents request cannot span more than 24 hours."
        )
    sequence = store.put_events(group, stream, [InputEvent(e["timestamp"], e["message"]) for e in accepted])
    rejected: dict[str, int] = {}
    if too_new_start < len(events):
        rejected["tooNewLogEventStartIndex"] = too_new_start
    # End indexes are exclusive, as the model documents: events [0, end) were rejected.
    if too_old_end:
        rejected["tooOldLogEventEndIndex"] = too_old_end
    if expired_end:
        rejected["expiredLogEventEndIndex"] = expired_end
    return {"nextSequenceToken": sequence_token(sequence), "rejectedLogEventsInfo": rejected or None}


@api.operation("GetLogEvents")
def get_log_events(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    store = deps_of(ctx).logs
    group, stream = group_name_of(ctx, request), request["logStreamName"]
    start, end = _time(request, "startTime"), _time(request, "endTime")
    limit = request.get("limit", MAX_PAGE_EVENTS)
    token = StreamToken.decode(request["nextToken"]) if "nextToken" in request else None
    if token is None:
        # AWS's default is the newest events (startFromHead=false); the SageMaker SDK reads from the head.
        from_head = request.get("startFromHead", False)
        window = EventRange(start=start, end=end, newest_first=not from_head, limit=limit)
    elif token.direction is Direction.FORWARD:
        window = EventRange(start=start, end=end, after=token.position, limit=limit)
    else:
        window = EventRange(start=start, end=end, before=token.position, newest_first=True, limit=limit)
    events = store.get_events(group, stream, window)
    if events:
        next_forward, next_backward = forward(events[-1].position), backward(events[0].position)
    elif token is None:
        # Nothing in range yet: tail from the start of the range.
        origin = EventPosition(-1 if start is None else start, 0)
        next_forward, next_backward = forward(origin), backward(EventPosition(origin.timestamp, 1))
    else:
        # The end of the stream in this direction: the same token comes back, which is how a client
        # that tails with nextForwardToken knows to wait and ask again.
        at = token.position
        if token.direction is Direction.FORWARD:
            next_forward, next_backward = token.encode(), backward(EventPosition(at.timestamp, at.id + 1))
        else:
            next_forward, next_backward = forward(EventPosition(at.timestamp, at.id - 1)), token.encode()
    return {
        "events": [{"timestamp": e.timestamp, "message": e.message, "ingestionTime": e.ingestion_time} for e in events],
        "nextForwardToken": next_forward,
        "nextBackwardToken": next_backward,
    }


@api.operation("FilterLogEvents")
def filter_log_events(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    store = deps_of(ctx).logs
    group = group_name_of(ctx, request)
    names, prefix = request.get("logStreamNames"), request.get("logStreamNamePrefix")
    if names is not None and prefix is not None:
        raise LogsInvalidParameter("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
    text = request.get("filterPattern", "")
    pattern = FilterPattern.parse(text)
    start, end = _time(request, "startTime"), _time(request, "endTime")
    limit = request.get("limit", MAX_PAGE_EVENTS)
    stamp = fingerprint("FilterLogEvents", group, names, prefix, start, end, text)
    if "nextToken" in request:
        direction_text, at_stamp, at_id = page_after(request["nextToken"], stamp, str, int, int)
        direction = Direction.BACKWARD if direction_text == Direction.BACKWARD else Direction.FORWARD
        position = EventPosition(at_stamp, at_id)
    else:
        direction = Direction.FORWARD if request.get("startFromHead", True) else Direction.BACKWARD
        position = None
    newest_first = direction is Direction.BACKWARD
    # When the store applies the whole pattern, a batch of `limit` candidates is a full page.
    exact = not (pattern.optional or pattern.excluded)
    batch_size = min(limit, SCAN_BATCH) if exact else SCAN_BATCH
    matches: list[LogEvent] = []
    size = scanned = 0
    more, full = True, False
    while more and not full and scanned < MAX_SCAN:
        window = EventRange(
            start=start,
            # FilterLogEvents' endTime is inclusive, GetLogEvents' exclusive.
            end=None if end is None else end + 1,
            after=None if newest_first else position,
            before=position if newest_first else None,
            newest_first=newest_first,
            limit=batch_size,
        )
        batch = store.scan_group(group, window, stream_names=names, stream_prefix=prefix, containing=pattern.required)
        more = bool(batch)
        for event in reversed(batch) if newest_first else batch:
            if pattern.matches(event.message):
                if matches and size + event_size(event.message) > MAX_PAGE_BYTES:
                    full = True  # a 1 MB page: this event starts the next one
                    break
                size += event_size(event.message)
                matches.append(event)
            scanned += 1
            position = event.position
            if len(matches) >= limit:
                full = True
                break
    next_token = None
    if more and position is not None:
        next_token = page_token(stamp, [direction.value, position.timestamp, position.id])
    return {
        "events": [
            {
                "logStreamName": e.stream_name,
                "timestamp": e.timestamp,
                "message": e.message,
                "ingestionTime": e.ingestion_time,
                "eventId": str(e.id),
            }
            for e in matches
        ],
        "nextToken": next_token,
    }


def _time(request: dict[str, Any], member: str) -> int | None:
    """A time bound, capped so that it fits the store's 64-bit columns without changing its meaning."""
    value = request.get(member)
    return None if value is None else min(int(value), MAX_TIME_MS)
