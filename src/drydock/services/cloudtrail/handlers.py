"""LookupEvents: the audit trail, newest first, filtered by one lookup attribute and a time range."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drydock.core.pagination import PageToken, decode_token, encode_token, fingerprint
from drydock.errors import InvalidLookupAttributes, InvalidNextToken, InvalidTimeRange, ValidationError
from drydock.services.cloudtrail.api import api
from drydock.services.cloudtrail.trail_event import event_source, read_only, resource_type, trail_event, username
from drydock.services.dependencies import deps_of
from drydock.store.audit import AuditRecord
from drydock.wire.context import RequestContext

__all__ = ["api", "lookup_events"]

#: LookupEvents returns 50 events unless MaxResults asks for fewer.
DEFAULT_MAX_RESULTS = 50
#: Attributes the store cannot filter on are matched here, reading this many records per query and
#: at most MAX_SCAN per call; a call that stops early returns a NextToken, as CloudTrail may.
SCAN_BATCH = 500
MAX_SCAN = 20_000


Predicate = Callable[[AuditRecord], bool]


@api.operation("LookupEvents")
def lookup_events(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    deps = deps_of(ctx)
    attributes = request.get("LookupAttributes") or []
    if len(attributes) > 1:
        # CloudTrail: "Currently the list can contain only one item."
        raise InvalidLookupAttributes("You can specify only one lookup attribute.")
    start, end = request.get("StartTime"), request.get("EndTime")
    if start is not None and end is not None and start > end:
        raise InvalidTimeRange("The StartTime must be earlier than the EndTime.")
    if request.get("EventCategory") == "insight":
        return {"Events": []}  # Drydock records no Insights events
    max_results = request.get("MaxResults", DEFAULT_MAX_RESULTS)
    filters, predicate = _lookup(attributes[0] if attributes else None)
    stamp = fingerprint("LookupEvents", attributes, start, end)
    before_id = _token_after(request["NextToken"], stamp) if request.get("NextToken") else None
    audit = deps.audit
    batch_size = max_results + 1 if predicate is None else SCAN_BATCH
    found: list[AuditRecord] = []
    scanned = 0
    while True:
        batch = audit.query(start=start, end=end, before_id=before_id, limit=batch_size, **filters)
        exhausted = len(batch) < batch_size
        for index, record in enumerate(batch):
            before_id = record.id
            scanned += 1
            if predicate is None or predicate(record):
                found.append(record)
                if len(found) == max_results:
                    # More may follow unless this was the last record of the last batch.
                    exhausted = exhausted and index == len(batch) - 1
                    break
        if exhausted or len(found) == max_results or scanned >= MAX_SCAN:
            break
    return {
        "Events": [trail_event(record, deps.region, deps.account_id) for record in found],
        "NextToken": None if exhausted else encode_token(PageToken(stamp, [before_id])),
    }


def _lookup(attribute: dict[str, str] | None) -> tuple[dict[str, str], Predicate | None]:
    """Store filters and, for attributes the store cannot filter on, a record predicate."""
    if attribute is None:
        return {}, None
    key, value = attribute["AttributeKey"], attribute["AttributeValue"]
    if "\x00" in value or not _encodable(value):
        raise InvalidLookupAttributes(f"The value of lookup attribute {key} is not valid text.")
    if key == "EventName":
        return {"operation": value}, None
    if key == "ResourceName":
        return {"resource": value}, None
    if key == "Username" and value.startswith("arn:"):
        return {"principal_arn": value}, None
    predicates: dict[str, Predicate] = {
        "Username": lambda r: username(r.principal_arn) == value,
        "EventId": lambda r: r.request_id == value,
        "AccessKeyId": lambda r: r.access_key_id == value,
        "EventSource": lambda r: event_source(r.service) == value,
        "ReadOnly": lambda r: str(read_only(r.operation)).lower() == value.lower(),
        "ResourceType": lambda r: r.resource is not None and resource_type(r.service, r.operation) == value,
    }
    return {}, predicates[key]


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, which JSON's "\\ud800" can carry
        return False
    return True


def _token_after(token: str, stamp: str) -> int:
    try:
        after = decode_token(token, stamp).after[0]
    except (ValidationError, IndexError):
        after = None
    if not isinstance(after, int) or isinstance(after, bool) or not 0 < after < 2**62:
        raise InvalidNextToken("The NextToken is not valid for this request; start again without it.")
    return after
