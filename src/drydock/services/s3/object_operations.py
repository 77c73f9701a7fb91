"""Object operations: PutObject, GetObject, HeadObject, DeleteObject(s), CopyObject."""

from __future__ import annotations

from collections.abc import AsyncIterator
from email.utils import format_datetime
from typing import Any
from urllib.parse import unquote

from anyio import CapacityLimiter, to_thread

from drydock.errors import S3Error
from drydock.objects.failures import invalid_argument, malformed_xml
from drydock.objects.model import ObjectInfo, ObjectReader, WriteCondition
from drydock.services.s3.api import Reply, S3Call, s3_api
from drydock.services.s3.object_headers import (
    NotModified,
    check_conditions,
    content_range,
    metadata_from,
    not_implemented_header,
    object_output,
    parse_range,
)
from drydock.wire.http import HttpResponse

#: GET bodies go out in 1 MiB reads: few thread hops, bounded memory per download.
GET_CHUNK = 1024 * 1024


def write_condition(call: S3Call) -> WriteCondition | None:
    """S3 conditional writes: ``If-None-Match: *`` and ``If-Match: <etag>``."""
    if_none_match = call.params.get("IfNoneMatch")
    if_match = call.params.get("IfMatch")
    if if_none_match is None and if_match is None:
        return None
    if if_none_match is not None and if_none_match.strip() != "*":
        raise not_implemented_header("If-None-Match (only '*' is supported on writes)")
    return WriteCondition(if_none_match=if_none_match is not None, if_match=if_match)


@s3_api.operation("PutObject")
async def put_object(call: S3Call) -> Reply:
    _require_length(call)
    body = call.upload_body()
    metadata = metadata_from(call.params, call.request.headers)
    info = await call.run(call.store.put_object, call.bucket, call.key, body, metadata, write_condition(call))
    return Reply({"ETag": info.etag, **body.checksums})


@s3_api.operation("GetObject")
async def get_object(call: S3Call) -> Reply | HttpResponse:
    byte_range = _part_or_range(call)
    reader = await call.run(call.store.get_object, call.bucket, call.key, byte_range)
    try:
        check_conditions(reader.info, call.params)
    except NotModified:
        reader.close()
        return _not_modified(reader.info)
    except BaseException:
        reader.close()
        raise
    output = object_output(reader.info, call.params, whole=reader.span is None)
    output["ContentLength"] = reader.length
    output["Body"] = _stream(reader, call.limiter)
    if reader.span is not None:
        output["ContentRange"] = content_range(reader.span, reader.info.size)
        return Reply(output, status=206)
    return Reply(output)


@s3_api.operation("HeadObject")
async def head_object(call: S3Call) -> Reply | HttpResponse:
    byte_range = _part_or_range(call)
    info = await call.run(call.store.head_object, call.bucket, call.key)
    try:
        check_conditions(info, call.params)
    except NotModified:
        return _not_modified(info)
    if byte_range is None:
        return Reply(object_output(info, call.params))
    span = byte_range.resolve(info.size)
    output = object_output(info, call.params, whole=False)
    output.update(ContentLength=span[1] - span[0] + 1, ContentRange=content_range(span, info.size))
    return Reply(output, status=206)


@s3_api.operation("DeleteObject")
async def delete_object(call: S3Call) -> Reply:
    await call.run(call.store.delete_object, call.bucket, call.key)
    return Reply()


@s3_api.operation("DeleteObjects")
async def delete_objects(call: S3Call) -> Reply:
    request = call.params.get("Delete") or {}
    keys = [str(entry.get("Key", "")) for entry in request.get("Objects", [])]
    if not keys or len(keys) > 1000:
        raise malformed_xml("A DeleteObjects request names between 1 and 1000 keys.")
    outcomes = await call.run(call.store.delete_objects, call.bucket, keys)
    deleted = [{"Key": o.key} for o in outcomes if o.error_code is None]
    errors = [{"Key": o.key, "Code": o.error_code, "Message": o.error_message} for o in outcomes if o.error_code]
    # Quiet mode reports only failures (S3 API reference, DeleteObjects).
    return Reply({"Deleted": None if request.get("Quiet") else deleted, "Errors": errors or None})


@s3_api.operation("CopyObject")
async def copy_object(call: S3Call) -> Reply:
    source_bucket, source_key = parse_copy_source(call.params["CopySource"])
    directive = str(call.params.get("MetadataDirective") or "COPY").upper()
    if directive not in ("COPY", "REPLACE"):
        raise invalid_argument("Unknown metadata directive.")
    source = await call.run(call.store.head_object, source_bucket, source_key)
    check_conditions(source, call.params, prefix="CopySource")
    metadata = metadata_from(call.params, call.request.headers) if directive == "REPLACE" else None
    if (source_bucket, source_key) == (call.bucket, call.key) and metadata is None:
        raise S3Error(
            "InvalidRequest",
            "This copy request is illegal because it is trying to copy an object to itself without changing "
            "the object's metadata, storage class, website redirect location or encryption attributes.",
            400,
        )
    info = await call.run(
        call.store.copy_object, source_bucket, source_key, call.bucket, call.key, metadata, write_condition(call)
    )
    return Reply({"CopyObjectResult": {"ETag": info.etag, "LastModified": info.last_modified}})


def parse_copy_source(value: str) -> tuple[str, str]:
    """``x-amz-copy-source``: ``[/]bucket/key[?versionId=...]``, URL-encoded (S3 API reference)."""
    path, _, query = value.partition("?")
    if query and "versionId=" in query and "versionId=null" not in query:
        raise S3Error("NotImplemented", "Drydock does not keep object versions; omit versionId", 501)
    bucket, _, key = unquote(path).lstrip("/").partition("/")
    if not bucket or not key or "\x00" in path + unquote(path):
        raise invalid_argument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
    return bucket, key


def _part_or_range(call: S3Call) -> Any:
    part_number = call.params.get("PartNumber")
    if part_number is not None and part_number != 1:
        # Objects are kept whole, so only part 1 of a single-part object can be addressed.
        raise S3Error("InvalidPartNumber", "The requested partnumber is not satisfiable", 416)
    return parse_range(call.params.get("Range"))


def _not_modified(info: ObjectInfo) -> HttpResponse:
    return HttpResponse(
        status=304,
        headers=[("ETag", info.etag), ("Last-Modified", format_datetime(info.last_modified, usegmt=True))],
    )


def _require_length(call: S3Call) -> None:
    headers = call.request.headers
    if "content-length" not in headers and "chunked" not in headers.get("transfer-encoding", ""):
        raise S3Error("MissingContentLength", "You must provide the Content-Length HTTP header.", 411)


async def _stream(reader: ObjectReader, limiter: CapacityLimiter) -> AsyncIterator[bytes]:
    try:
        while True:
            chunk = await to_thread.run_sync(reader.read, GET_CHUNK, limiter=limiter)
            if not chunk:
                return
            yield chunk
    finally:
        reader.close()
