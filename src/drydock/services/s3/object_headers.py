"""What S3 reads from and writes to an object's HTTP headers: metadata, ranges, conditions."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from drydock.errors import S3Error
from drydock.objects.failures import precondition_failed
from drydock.objects.model import DEFAULT_CONTENT_TYPE, SYSTEM_MEMBERS, ByteRange, ObjectInfo, ObjectMetadata
from drydock.services.s3.integrity import CHECKSUM_MEMBERS

_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$")
#: GetObject's response-* query parameters override these response headers (S3 API reference).
_OVERRIDES = {
    "ResponseCacheControl": "CacheControl",
    "ResponseContentDisposition": "ContentDisposition",
    "ResponseContentEncoding": "ContentEncoding",
    "ResponseContentLanguage": "ContentLanguage",
    "ResponseContentType": "ContentType",
}


def metadata_from(params: Mapping[str, Any], headers: Mapping[str, str]) -> ObjectMetadata:
    """The metadata a PutObject/CreateMultipartUpload/CopyObject(REPLACE) request carries."""
    system: dict[str, str] = {}
    for member in SYSTEM_MEMBERS:
        value = params.get(member)
        if member == "Expires":
            # Stored as sent: S3 returns Expires verbatim, and clients send all sorts of dates.
            value = headers.get("expires")
        if member == "ContentEncoding" and value:
            # aws-chunked describes the upload's framing, not the object (S3 strips it).
            value = ",".join(e for e in (p.strip() for p in str(value).split(",")) if e and e != "aws-chunked")
        if value:
            system[member] = str(value)
    checksums = {
        member: headers[f"x-amz-checksum-{algorithm}"]
        for algorithm, member in CHECKSUM_MEMBERS.items()
        if f"x-amz-checksum-{algorithm}" in headers
    }
    return ObjectMetadata(
        content_type=str(params.get("ContentType") or DEFAULT_CONTENT_TYPE),
        user={str(k).lower(): str(v) for k, v in (params.get("Metadata") or {}).items()},
        system=system,
        checksums=checksums,
    )


def object_output(info: ObjectInfo, params: Mapping[str, Any], whole: bool = True) -> dict[str, Any]:
    """GetObject/HeadObject output members describing ``info`` (checksums only when the client set
    ``x-amz-checksum-mode: ENABLED`` and gets the whole object, as S3 does)."""
    output: dict[str, Any] = {
        "ETag": info.etag,
        "LastModified": info.last_modified,
        "ContentLength": info.size,
        "ContentType": info.metadata.content_type,
        "AcceptRanges": "bytes",
        "Metadata": dict(info.metadata.user) or None,
    }
    output.update({k: v for k, v in info.metadata.system.items() if k in SYSTEM_MEMBERS})
    if whole and str(params.get("ChecksumMode", "")).upper() == "ENABLED" and info.parts_count is None:
        output.update(info.metadata.checksums)
    for query_member, member in _OVERRIDES.items():
        if params.get(query_member):
            output[member] = params[query_member]
    if params.get("ResponseExpires"):
        output["Expires"] = params["ResponseExpires"]
    return output


def parse_range(header: str | None) -> ByteRange | None:
    """One ``bytes=`` range; anything else (several ranges, other units, garbage) is ignored and the
    whole object is served, as RFC 9110 allows and S3 does."""
    if not header:
        return None
    match = _RANGE.match(header)
    if match is None or not (match[1] or match[2]):
        return None
    if not match[1]:
        return ByteRange(suffix_length=int(match[2]))
    return ByteRange(int(match[1]), int(match[2]) if match[2] else None)


def content_range(span: tuple[int, int], size: int) -> str:
    return f"bytes {span[0]}-{span[1]}/{size}"


class NotModified(Exception):
    """The client's copy is current: answer 304 with no body."""


def check_conditions(info: ObjectInfo, params: Mapping[str, Any], prefix: str = "") -> None:
    """RFC 9110 §13.2.2 evaluation order, as S3 applies it to GET/HEAD (and, with the
    ``CopySource`` prefix, to CopyObject's source, where a "not modified" outcome is a 412)."""
    if_match = params.get(f"{prefix}IfMatch")
    if if_match is not None:
        if not etag_matches(if_match, info.etag):
            raise precondition_failed("If-Match")
    else:
        since = params.get(f"{prefix}IfUnmodifiedSince")
        if isinstance(since, dt.datetime) and info.last_modified > since:
            raise precondition_failed("If-Unmodified-Since")
    if_none_match = params.get(f"{prefix}IfNoneMatch")
    if if_none_match is not None:
        if etag_matches(if_none_match, info.etag):
            raise NotModified() if not prefix else precondition_failed("If-None-Match")
    else:
        since = params.get(f"{prefix}IfModifiedSince")
        if isinstance(since, dt.datetime) and info.last_modified <= since:
            raise NotModified() if not prefix else precondition_failed("If-Modified-Since")


def etag_matches(wanted: str, etag: str) -> bool:
    candidates = [c.strip().removeprefix("W/") for c in wanted.split(",")]
    return any(c == "*" or c.strip('"') == etag.strip('"') for c in candidates)


def not_implemented_header(name: str) -> S3Error:
    return S3Error(
        "NotImplemented", f"A header you provided implies functionality that is not implemented: {name}", 501
    )
