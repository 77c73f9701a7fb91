"""Multipart uploads: Create, UploadPart, UploadPartCopy, Complete, Abort, ListParts, ListMultipartUploads."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from drydock.errors import S3Error
from drydock.objects.failures import MAX_PUT_SIZE, malformed_xml
from drydock.objects.model import ByteRange, CompletedPart
from drydock.services.s3.api import Reply, S3Call, s3_api
from drydock.services.s3.bucket_operations import owner
from drydock.services.s3.object_headers import check_conditions, metadata_from, parse_range
from drydock.services.s3.object_operations import parse_copy_source, write_condition


@s3_api.operation("CreateMultipartUpload")
async def create_multipart_upload(call: S3Call) -> Reply:
    metadata = metadata_from(call.params, call.request.headers)
    upload = await call.run(call.store.create_multipart_upload, call.bucket, call.key, metadata)
    return Reply(
        {
            "Bucket": call.bucket,
            "Key": call.key,
            "UploadId": upload.upload_id,
            # Echoed so SDKs that chose a checksum algorithm see it accepted.
            "ChecksumAlgorithm": call.params.get("ChecksumAlgorithm"),
            "ChecksumType": call.params.get("ChecksumType"),
        }
    )


@s3_api.operation("UploadPart")
async def upload_part(call: S3Call) -> Reply:
    body = call.upload_body()
    part = await call.run(
        call.store.upload_part, call.bucket, call.key, call.params["UploadId"], call.params["PartNumber"], body
    )
    return Reply({"ETag": part.etag, **body.checksums})


@s3_api.operation("UploadPartCopy")
async def upload_part_copy(call: S3Call) -> Reply:
    source_bucket, source_key = parse_copy_source(call.params["CopySource"])
    byte_range: ByteRange | None = None
    if call.params.get("CopySourceRange"):
        byte_range = parse_range(call.params["CopySourceRange"])
        if byte_range is None or byte_range.suffix_length is not None or byte_range.last is None:
            raise S3Error(
                "InvalidArgument", "The x-amz-copy-source-range value must be of the form bytes=first-last", 400
            )
    reader = await call.run(call.store.get_object, source_bucket, source_key, byte_range)
    try:
        check_conditions(reader.info, call.params, prefix="CopySource")
        if reader.length > MAX_PUT_SIZE:
            raise S3Error("InvalidRequest", "A part copied from another object must be at most 5 GiB", 400)
        # The bytes stream from the source straight into the part: nothing is held whole.
        part = await call.run(
            call.store.upload_part, call.bucket, call.key, call.params["UploadId"], call.params["PartNumber"], reader
        )
    finally:
        reader.close()
    return Reply({"CopyPartResult": {"ETag": part.etag, "LastModified": part.last_modified}})


@s3_api.operation("CompleteMultipartUpload")
async def complete_multipart_upload(call: S3Call) -> Reply:
    listed = (call.params.get("MultipartUpload") or {}).get("Parts") or []
    try:
        parts = [CompletedPart(int(p["PartNumber"]), str(p["ETag"])) for p in listed]
    except (KeyError, TypeError, ValueError):
        raise malformed_xml("Each Part needs a PartNumber and an ETag.") from None
    info = await call.run(
        call.store.complete_multipart_upload,
        call.bucket,
        call.key,
        call.params["UploadId"],
        parts,
        write_condition(call),
    )
    return Reply(
        {
            "Location": f"/{call.bucket}/{quote(call.key)}",
            "Bucket": call.bucket,
            "Key": call.key,
            "ETag": info.etag,
        }
    )


@s3_api.operation("AbortMultipartUpload")
async def abort_multipart_upload(call: S3Call) -> Reply:
    await call.run(call.store.abort_multipart_upload, call.bucket, call.key, call.params["UploadId"])
    return Reply()


@s3_api.operation("ListParts")
async def list_parts(call: S3Call) -> Reply:
    marker = int(call.params.get("PartNumberMarker") or 0)
    max_parts = min(int(call.params.get("MaxParts") or 1000), 1000)
    if max_parts < 0 or marker < 0:
        raise S3Error("InvalidArgument", "max-parts and part-number-marker must not be negative", 400)
    listing = await call.run(call.store.list_parts, call.bucket, call.key, call.params["UploadId"], marker, max_parts)
    return Reply(
        {
            "Bucket": call.bucket,
            "Key": call.key,
            "UploadId": call.params["UploadId"],
            "PartNumberMarker": str(marker),
            "NextPartNumberMarker": None
            if listing.next_part_number_marker is None
            else str(listing.next_part_number_marker),
            "MaxParts": max_parts,
            "IsTruncated": listing.is_truncated,
            "Parts": [
                {"PartNumber": p.part_number, "LastModified": p.last_modified, "ETag": p.etag, "Size": p.size}
                for p in listing.parts
            ]
            or None,
            "Initiator": _initiator(call),
            "Owner": owner(call),
            "StorageClass": "STANDARD",
        }
    )


@s3_api.operation("ListMultipartUploads")
async def list_multipart_uploads(call: S3Call) -> Reply:
    encode = call.params.get("EncodingType") == "url"

    def shown(value: str | None) -> str | None:
        return quote(value, safe="/") if encode and value is not None else value

    prefix = str(call.params.get("Prefix") or "")
    key_marker = str(call.params.get("KeyMarker") or "")
    upload_marker = str(call.params.get("UploadIdMarker") or "")
    max_uploads = max(0, min(int(call.params.get("MaxUploads") or 1000), 1000))
    listing = await call.run(
        call.store.list_multipart_uploads, call.bucket, prefix, key_marker, upload_marker, max_uploads
    )
    output: dict[str, Any] = {
        "Bucket": call.bucket,
        "KeyMarker": shown(key_marker),
        "UploadIdMarker": upload_marker,
        "NextKeyMarker": shown(listing.next_key_marker),
        "NextUploadIdMarker": listing.next_upload_id_marker,
        "Prefix": shown(prefix) if prefix else None,
        "MaxUploads": max_uploads,
        "IsTruncated": listing.is_truncated,
        "EncodingType": call.params.get("EncodingType"),
        "Uploads": [
            {
                "UploadId": u.upload_id,
                "Key": shown(u.key),
                "Initiated": u.initiated,
                "StorageClass": "STANDARD",
                "Owner": owner(call),
                "Initiator": _initiator(call),
            }
            for u in listing.uploads
        ]
        or None,
    }
    return Reply(output)


def _initiator(call: S3Call) -> dict[str, str]:
    return {"ID": call.ctx.principal.arn, "DisplayName": call.ctx.principal.user_id}
