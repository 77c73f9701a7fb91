"""``drydock audit``: the server's audit trail, read through CloudTrail's LookupEvents like any client.

The command holds no special access: it signs requests with the same credentials ``drydock env``
prints and asks the running server, so what it shows is exactly what boto3 or
``aws cloudtrail lookup-events`` would see.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import boto3
from botocore.config import Config
from rich.console import Console
from rich.table import Table

from drydock.config import Settings
from drydock.server.credentials import root_credentials

#: LookupEvents answers at most 50 events per page.
PAGE_SIZE = 50


def endpoint_url(settings: Settings) -> str:
    # A server listening on every interface is reached on loopback, as `drydock env` prints it.
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    return f"http://{host}:{settings.port}"


def cloudtrail_client(settings: Settings) -> Any:
    credentials = root_credentials(settings)
    return boto3.session.Session().client(
        "cloudtrail",
        endpoint_url=endpoint_url(settings),
        region_name=settings.region,
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
        config=Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=60),
    )


def lookup(client: Any, *, limit: int, operation: str | None, resource: str | None) -> list[dict[str, Any]]:
    """Up to ``limit`` events, newest first.

    CloudTrail takes one lookup attribute per call, so with both filters the operation goes to the
    server and the resource is matched here.
    """
    attributes: list[dict[str, str]] = []
    if operation:
        attributes = [{"AttributeKey": "EventName", "AttributeValue": operation}]
    elif resource:
        attributes = [{"AttributeKey": "ResourceName", "AttributeValue": resource}]
    filter_here = bool(operation and resource)
    found: list[dict[str, Any]] = []
    token: str | None = None
    while len(found) < limit:
        request: dict[str, Any] = {"MaxResults": PAGE_SIZE if filter_here else min(PAGE_SIZE, limit - len(found))}
        if attributes:
            request["LookupAttributes"] = attributes
        if token:
            request["NextToken"] = token
        page = client.lookup_events(**request)
        for event in page.get("Events", []):
            if filter_here and resource not in _resources(event):
                continue
            found.append(event)
            if len(found) == limit:
                break
        token = page.get("NextToken")
        if not token:
            break
    return found


def render(events: list[dict[str, Any]], console: Console) -> None:
    table = Table(title=f"Drydock audit trail ({len(events)} calls, newest first)", title_justify="left")
    table.add_column("Time (UTC)", no_wrap=True)
    table.add_column("Principal", overflow="fold")
    table.add_column("Operation", no_wrap=True)
    table.add_column("Resource", overflow="fold")
    table.add_column("Outcome", no_wrap=True)
    for event in events:
        detail = json.loads(event.get("CloudTrailEvent") or "{}")
        principal = detail.get("userIdentity", {}).get("arn") or event.get("Username", "")
        status = (detail.get("additionalEventData") or {}).get("httpStatusCode")
        error = detail.get("errorCode")
        outcome = f"[red]{error}[/red]" if error else "[green]OK[/green]"
        if status is not None:
            outcome += f" ({status})"
        table.add_row(
            _utc(event.get("EventTime")),
            principal,
            event.get("EventName", ""),
            ", ".join(_resources(event)),
            outcome,
        )
    console.print(table)


def _resources(event: dict[str, Any]) -> list[str]:
    return [r["ResourceName"] for r in event.get("Resources") or [] if r.get("ResourceName")]


def _utc(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    return str(value or "")
