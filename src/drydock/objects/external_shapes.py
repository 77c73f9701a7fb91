"""Translation between the port's values and boto3's S3 request/response dictionaries."""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime
from typing import Any

from drydock.objects.model import (
    DEFAULT_CONTENT_TYPE,
    SYSTEM_MEMBERS,
    ObjectInfo,
    ObjectListing,
    ObjectMetadata,
    PartInfo,
    UploadInfo,
)

_CHECKSUMS = ("ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME", "ChecksumSHA1", "ChecksumSHA256")


def write_params(metadata: ObjectMetadata) -> dict[str, Any]:
    """PutObject/CreateMultipartUpload/CopyObject parameters that store ``metadata``."""
    params: dict[str, Any] = {"ContentType": metadata.content_type or DEFAULT_CONTENT_TYPE}
    if metadata.user:
        params["Metadata"] = dict(metadata.user)
    for member, value in metadata.system.items():
        if member in SYSTEM_MEMBERS and value:
            params[member] = value
    return params


def object_info(bucket: str, key: str, response: dict[str, Any]) -> ObjectInfo:
    """An :class:`ObjectInfo` from a HeadObject/GetObject response (a ranged GET reports the whole
    object's size in Content-Range)."""
    size = int(response.get("ContentLength") or 0)
    content_range = response.get("ContentRange")
    if content_range and "/" in content_range:
        total = content_range.rsplit("/", 1)[1]
        if total.isdigit():
            size = int(total)
    system: dict[str, str] = {}
    for member in SYSTEM_MEMBERS:
        value = response.get(member)
        if member == "Expires":
            value = response.get("ExpiresString") or value
        if isinstance(value, dt.datetime):
            value = format_datetime(_utc(value), usegmt=True)
        if value:
            system[member] = str(value)
    etag = str(response.get("ETag") or '""')
    metadata = ObjectMetadata(
        content_type=str(response.get("ContentType") or DEFAULT_CONTENT_TYPE),
        user={str(k).lower(): str(v) for k, v in (response.get("Metadata") or {}).items()},
        system=system,
        checksums={name: str(response[name]) for name in _CHECKSUMS if response.get(name)},
    )
    return ObjectInfo(bucket, key, size, etag, _utc(response["LastModified"]), metadata, _parts_count(etag))


def listing_from(bucket: str, response: dict[str, Any], start_after: str) -> ObjectListing:
    objects = [
        ObjectInfo(
            bucket,
            entry["Key"],
            int(entry.get("Size") or 0),
            str(entry.get("ETag") or '""'),
            _utc(entry["LastModified"]),
            parts_count=_parts_count(str(entry.get("ETag") or "")),
        )
        for entry in response.get("Contents", [])
        if entry["Key"] > start_after
    ]
    # The port never lists a common prefix at or before start_after (see ObjectStore.list_objects).
    prefixes = [p["Prefix"] for p in response.get("CommonPrefixes", []) if p["Prefix"] > start_after]
    last = max([o.key for o in objects] + prefixes, default=None)
    return ObjectListing(objects, prefixes, bool(response.get("IsTruncated")), last)


def part_info(part: dict[str, Any]) -> PartInfo:
    return PartInfo(
        int(part["PartNumber"]),
        int(part.get("Size") or 0),
        str(part.get("ETag") or ""),
        _utc(part["LastModified"]),
        {name: str(part[name]) for name in _CHECKSUMS if part.get(name)},
    )


def upload_info(bucket: str, upload: dict[str, Any]) -> UploadInfo:
    return UploadInfo(bucket, upload["Key"], upload["UploadId"], _utc(upload["Initiated"]))


def _parts_count(etag: str) -> int | None:
    tail = etag.strip('"').rpartition("-")[2]
    return int(tail) if "-" in etag and tail.isdigit() else None


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
