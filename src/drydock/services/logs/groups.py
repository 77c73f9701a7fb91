"""Log group and log stream operations: Create/Delete/Describe, retention."""

from __future__ import annotations

from typing import Any

from drydock.core.pagination import fingerprint
from drydock.errors import LogsInvalidParameter, ValidationError
from drydock.services.dependencies import Dependencies, deps_of
from drydock.services.logs.api import api
from drydock.services.logs.tokens import page_after, page_token
from drydock.store.log_events import LogGroup, LogStream, StreamOrder, stream_sort_key
from drydock.wire.context import RequestContext

#: Describe* return up to 50 items unless ``limit`` says fewer.
DEFAULT_LIMIT = 50
#: The only retention periods PutRetentionPolicy accepts.
RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)


def group_arn(deps: Dependencies, name: str) -> str:
    return f"arn:aws:logs:{deps.region}:{deps.account_id}:log-group:{name}"


def group_name_of(ctx: RequestContext, request: dict[str, Any]) -> str:
    """The log group a request names by ``logGroupName`` or ``logGroupIdentifier`` (a name or ARN)."""
    name, identifier = request.get("logGroupName"), request.get("logGroupIdentifier")
    if name is not None and identifier is not None:
        raise LogsInvalidParameter("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
    if name is not None:
        resolved = str(name)
    elif identifier is not None:
        resolved = _from_identifier(identifier)
    else:
        raise LogsInvalidParameter("Either logGroupName or logGroupIdentifier must be specified.")
    ctx.resource = resolved
    return resolved


def _from_identifier(identifier: str) -> str:
    if not identifier.startswith("arn:"):
        return identifier
    _, marker, rest = identifier.partition(":log-group:")
    # ARNs that DescribeLogGroups reports as ``arn`` end in ":*"; ``logGroupArn`` does not.
    name = rest.removesuffix(":*")
    if not marker or not name or ":" in name:
        raise LogsInvalidParameter(f"Invalid log group ARN {identifier!r}")
    return name


# --- log groups -----------------------------------------------------------------------------------


@api.operation("CreateLogGroup")
def create_log_group(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    deps_of(ctx).logs.create_group(
        request["logGroupName"],
        kms_key_id=request.get("kmsKeyId"),
        log_group_class=request.get("logGroupClass", "STANDARD"),
        deletion_protection=request.get("deletionProtectionEnabled", False),
        tags=request.get("tags"),
    )
    return {}


@api.operation("DeleteLogGroup")
def delete_log_group(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    store = deps_of(ctx).logs
    group = store.get_group(request["logGroupName"])
    if group.deletion_protection:
        raise ValidationError(
            f"Log group {group.name} has deletion protection enabled; turn it off before deleting the group."
        )
    store.delete_group(group.name)
    return {}


@api.operation("DescribeLogGroups")
def describe_log_groups(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    deps = deps_of(ctx)
    prefix, pattern = request.get("logGroupNamePrefix"), request.get("logGroupNamePattern") or None
    if prefix is not None and pattern is not None:
        raise LogsInvalidParameter("logGroupNamePrefix and logGroupNamePattern are mutually exclusive.")
    identifiers = request.get("logGroupIdentifiers")
    names = None if identifiers is None else [_from_identifier(i) for i in identifiers]
    group_class = request.get("logGroupClass")
    stamp = fingerprint("DescribeLogGroups", prefix, pattern, names, group_class)
    after = page_after(request["nextToken"], stamp, str)[0] if "nextToken" in request else None
    groups, more = deps.logs.list_groups(
        prefix=prefix,
        contains=pattern,
        names=names,
        log_group_class=group_class,
        after=after,
        limit=request.get("limit", DEFAULT_LIMIT),
    )
    return {
        # With a pattern AWS answers only arn, creationTime and logGroupName.
        "logGroups": [_describe_group(deps, group, brief=pattern is not None) for group in groups],
        "nextToken": page_token(stamp, [groups[-1].name]) if more and groups else None,
    }


def _describe_group(deps: Dependencies, group: LogGroup, *, brief: bool) -> dict[str, Any]:
    arn = group_arn(deps, group.name)
    described: dict[str, Any] = {"logGroupName": group.name, "creationTime": group.creation_time, "arn": f"{arn}:*"}
    if brief:
        return described
    return described | {
        "logGroupArn": arn,
        "retentionInDays": group.retention_in_days,
        "metricFilterCount": 0,
        "storedBytes": group.stored_bytes,
        "kmsKeyId": group.kms_key_id,
        "logGroupClass": group.log_group_class,
        "deletionProtectionEnabled": group.deletion_protection,
    }


@api.operation("PutRetentionPolicy")
def put_retention_policy(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    days = request.get("retentionInDays")
    if days not in RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in sorted(RETENTION_DAYS))
        raise LogsInvalidParameter(
            f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{allowed}]"
        )
    deps_of(ctx).logs.set_retention(request["logGroupName"], days)
    return {}


@api.operation("DeleteRetentionPolicy")
def delete_retention_policy(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    deps_of(ctx).logs.set_retention(request["logGroupName"], None)
    return {}


# --- log streams ----------------------------------------------------------------------------------


@api.operation("CreateLogStream")
def create_log_stream(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    deps_of(ctx).logs.create_stream(request["logGroupName"], request["logStreamName"])
    return {}


@api.operation("DeleteLogStream")
def delete_log_stream(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    deps_of(ctx).logs.delete_stream(request["logGroupName"], request["logStreamName"])
    return {}


@api.operation("DescribeLogStreams")
def describe_log_streams(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    deps = deps_of(ctx)
    group = group_name_of(ctx, request)
    prefix = request.get("logStreamNamePrefix")
    order = StreamOrder(request.get("orderBy", StreamOrder.NAME.value))
    if prefix is not None and order is StreamOrder.LAST_EVENT_TIME:
        raise LogsInvalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.")
    descending = request.get("descending", False)
    stamp = fingerprint("DescribeLogStreams", group, prefix, order, descending)
    after = page_after(request["nextToken"], stamp, int, str) if "nextToken" in request else None
    streams, more = deps.logs.list_streams(
        group,
        prefix=prefix,
        order=order,
        descending=descending,
        after=(after[0], after[1]) if after else None,
        limit=request.get("limit", DEFAULT_LIMIT),
    )
    # Only when there truly are more streams: the SageMaker SDK loops `while "nextToken" in response`
    # without passing the token back, so a spurious token would spin it forever.
    next_token = page_token(stamp, list(stream_sort_key(streams[-1], order))) if more and streams else None
    return {"logStreams": [_describe_stream(deps, s) for s in streams], "nextToken": next_token}


def _describe_stream(deps: Dependencies, stream: LogStream) -> dict[str, Any]:
    return {
        "logStreamName": stream.name,
        "creationTime": stream.creation_time,
        "firstEventTimestamp": stream.first_event_timestamp,
        "lastEventTimestamp": stream.last_event_timestamp,
        "lastIngestionTime": stream.last_ingestion_time,
        "uploadSequenceToken": sequence_token(stream.sequence),
        "arn": f"{group_arn(deps, stream.group_name)}:log-stream:{stream.name}",
        # AWS stopped reporting per-stream storedBytes in 2019: it is always 0.
        "storedBytes": 0,
    }


def sequence_token(sequence: int) -> str:
    """AWS ignores sequence tokens since 2023 but still returns them; ours count the stream's puts."""
    return f"{sequence:056d}"
