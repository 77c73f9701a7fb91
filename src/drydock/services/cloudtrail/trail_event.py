"""One audit record as a CloudTrail event: the ``Event`` summary and its ``CloudTrailEvent`` JSON."""

from __future__ import annotations

import json
import re
from typing import Any

from drydock.store.audit import AuditRecord

#: The gateway names a call's service by its X-Amz-Target prefix or its SigV4 scope; CloudTrail
#: names it by the service's endpoint, as in "sagemaker.amazonaws.com".
_ENDPOINTS = {
    "SageMaker": "sagemaker",
    "Logs_20140328": "logs",
    "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101": "cloudtrail",
    "AnyScaleFrontendService": "application-autoscaling",
    "GraniteServiceVersion20100801": "monitoring",
}
_NAMESPACES = {
    "sagemaker": "SageMaker",
    "logs": "Logs",
    "s3": "S3",
    "sts": "STS",
    "cloudtrail": "CloudTrail",
    "monitoring": "CloudWatch",
    "application-autoscaling": "ApplicationAutoScaling",
}
#: CloudTrail's readOnly: calls that only read (Describe*, List*, Get*, ...).
_READ_ONLY = re.compile(r"^(Describe|List|Get|Lookup|Head|Search|Filter|Query|Select|GET |HEAD )")
_VERB = re.compile(
    r"^(Create|Describe|Delete|Update|List|Get|Put|Stop|Start|Add|Head|Filter|Lookup|Invoke|Upload|"
    r"Complete|Abort|Copy|Restore|Tag|Untag)([A-Z][A-Za-z0-9]*)$"
)


def event_source(service: str) -> str:
    endpoint = _ENDPOINTS.get(service, service.lower())
    return f"{endpoint}.amazonaws.com"


def username(principal_arn: str) -> str:
    """CloudTrail's userName: "root" for the account, the user's or session's name otherwise."""
    if principal_arn.endswith(":root"):
        return "root"
    return re.split(r"[/:]", principal_arn)[-1]


def read_only(operation: str) -> bool:
    return _READ_ONLY.match(operation) is not None


def resource_type(service: str, operation: str) -> str | None:
    """``AWS::<Namespace>::<Noun>`` from the operation's name (CreateModel: AWS::SageMaker::Model)."""
    endpoint = event_source(service).removesuffix(".amazonaws.com")
    if endpoint == "logs":
        return "AWS::Logs::LogGroup"  # every Logs call is audited against its log group
    match = _VERB.match(operation)
    namespace = _NAMESPACES.get(endpoint)
    if match is None or namespace is None:
        return None
    verb, noun = match.groups()
    if verb in ("List", "Describe") and noun.endswith("s") and not noun.endswith("ss"):
        noun = noun[:-1]
    return f"AWS::{namespace}::{noun}"


def trail_event(record: AuditRecord, region: str, account: str) -> dict[str, Any]:
    """The ``Event`` LookupEvents returns for ``record``."""
    source = event_source(record.service)
    kind = resource_type(record.service, record.operation)
    resources = None
    if record.resource:
        resources = [{"ResourceType": kind, "ResourceName": record.resource}]
    return {
        "EventId": record.request_id,
        "EventName": record.operation,
        "ReadOnly": "true" if read_only(record.operation) else "false",
        "AccessKeyId": record.access_key_id or None,
        "EventTime": record.time,
        "EventSource": source,
        "Username": username(record.principal_arn),
        "Resources": resources,
        "CloudTrailEvent": json.dumps(_document(record, source, region, account), separators=(",", ":")),
    }


def _document(record: AuditRecord, source: str, region: str, account: str) -> dict[str, Any]:
    document: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": _identity(record),
        "eventTime": record.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source,
        "eventName": record.operation,
        "awsRegion": region,
        "sourceIPAddress": record.source_ip,
        "requestParameters": None,
        "responseElements": None,
        # CloudTrail has no status field; additionalEventData is its place for service extras.
        "additionalEventData": {"httpStatusCode": record.status},
        "requestID": record.request_id,
        "eventID": record.request_id,
        "readOnly": read_only(record.operation),
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
    }
    if record.error_code:
        document["errorCode"] = record.error_code
    return document


def _identity(record: AuditRecord) -> dict[str, Any]:
    arn = record.principal_arn
    if not arn.startswith("arn:"):
        # The signature did not verify: CloudTrail knows nothing about such a caller.
        return {"type": "Unknown", "accessKeyId": record.access_key_id}
    kind = "Root" if arn.endswith(":root") else "IAMUser" if ":user/" in arn else "AssumedRole"
    account = arn.split(":")[4]
    return {
        "type": kind,
        "principalId": account if kind == "Root" else username(arn),
        "arn": arn,
        "accountId": account,
        "accessKeyId": record.access_key_id,
        "userName": username(arn),
    }
