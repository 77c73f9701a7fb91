"""ListObjects (v1) and ListObjectsV2.

With ``encoding-type=url`` (botocore and the aws CLI always ask for it) keys, prefixes, delimiter
and markers are URL-encoded in the XML, so keys with characters XML 1.0 cannot carry survive; the
client decodes them with ``unquote_plus``, hence ``quote`` (which leaves no bare ``+``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from drydock.errors import S3Error
from drydock.objects.model import ObjectListing
from drydock.services.s3.api import Reply, S3Call, s3_api
from drydock.services.s3.bucket_operations import owner

MAX_KEYS = 1000


def _max_keys(call: S3Call) -> int:
    value = call.params.get("MaxKeys")
    if value is None:
        return MAX_KEYS
    if value < 0:
        raise S3Error("InvalidArgument", "Provided max-keys not an integer or within integer range", 400)
    return min(int(value), MAX_KEYS)


def _encoder(call: S3Call) -> Callable[[str | None], str | None]:
    encoding = call.params.get("EncodingType")
    if encoding is None:
        return lambda value: value
    if encoding != "url":
        raise S3Error("InvalidArgument", "Invalid Encoding Method specified in Request", 400)
    return lambda value: None if value is None else quote(value, safe="/")


def _entries(call: S3Call, listing: ObjectListing, encode: Callable[[str | None], str | None]) -> dict[str, Any]:
    with_owner = call.params.get("FetchOwner", True)  # v1 always lists the owner; v2 on request
    contents = []
    for info in listing.objects:
        entry: dict[str, Any] = {
            "Key": encode(info.key),
            "LastModified": info.last_modified,
            "ETag": info.etag,
            "Size": info.size,
            "StorageClass": info.metadata.system.get("StorageClass", "STANDARD"),
        }
        if with_owner:
            entry["Owner"] = owner(call)
        contents.append(entry)
    return {
        "Contents": contents or None,
        "CommonPrefixes": [{"Prefix": encode(p)} for p in listing.common_prefixes] or None,
    }


async def _list(call: S3Call, start_after: str) -> ObjectListing:
    return await call.run(
        call.store.list_objects,
        call.bucket,
        str(call.params.get("Prefix") or ""),
        str(call.params.get("Delimiter") or ""),
        start_after,
        _max_keys(call),
    )


@s3_api.operation("ListObjects")
async def list_objects(call: S3Call) -> Reply:
    encode = _encoder(call)
    marker = str(call.params.get("Marker") or "")
    listing = await _list(call, marker)
    delimiter = call.params.get("Delimiter") or None
    output: dict[str, Any] = {
        "Name": call.bucket,
        "Prefix": encode(str(call.params.get("Prefix") or "")),
        "Marker": encode(marker),
        "MaxKeys": _max_keys(call),
        "Delimiter": encode(delimiter),
        "IsTruncated": listing.is_truncated,
        "EncodingType": call.params.get("EncodingType"),
        **_entries(call, listing, encode),
    }
    # S3 returns NextMarker only with a delimiter; without one clients continue from the last key.
    if listing.is_truncated and delimiter:
        output["NextMarker"] = encode(listing.next_start_after)
    return Reply(output)


@s3_api.operation("ListObjectsV2")
async def list_objects_v2(call: S3Call) -> Reply:
    encode = _encoder(call)
    token = call.params.get("ContinuationToken")
    start_after = str(call.params.get("StartAfter") or "")
    listing = await _list(call, _decode_token(token) if token is not None else start_after)
    call.params.setdefault("FetchOwner", False)
    entries = _entries(call, listing, encode)
    output: dict[str, Any] = {
        "Name": call.bucket,
        "Prefix": encode(str(call.params.get("Prefix") or "")),
        "MaxKeys": _max_keys(call),
        "Delimiter": encode(call.params.get("Delimiter") or None),
        "IsTruncated": listing.is_truncated,
        "KeyCount": len(listing.objects) + len(listing.common_prefixes),
        "EncodingType": call.params.get("EncodingType"),
        "ContinuationToken": token,
        "StartAfter": encode(start_after or None),
        **entries,
    }
    if listing.is_truncated and listing.next_start_after is not None:
        output["NextContinuationToken"] = _encode_token(listing.next_start_after)
    return Reply(output)


def _encode_token(position: str) -> str:
    return base64.urlsafe_b64encode(position.encode("utf-8")).decode("ascii")


def _decode_token(token: str) -> str:
    try:
        position = base64.b64decode(token.encode("ascii"), altchars=b"-_", validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        position = ""
    if not position or "\x00" in position:  # a token this server issued names a position
        raise S3Error("InvalidArgument", "The continuation token provided is incorrect", 400)
    return position
