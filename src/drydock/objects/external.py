"""The ObjectStore port over any S3-compatible endpoint (AWS S3, MinIO, Ceph, another Drydock).

Writes stream: a body that fits in one 8 MiB chunk is one PutObject, a longer one becomes a multipart
upload of 8 MiB parts read one at a time (memory stays bounded whatever the size) and aborted if
anything fails, so the endpoint's own atomicity gives ours. The endpoint's errors come back as the
same ``S3Error`` codes the embedded store raises.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from drydock.errors import S3Error
from drydock.objects.external_shapes import listing_from, object_info, part_info, upload_info, write_params
from drydock.objects.failures import (
    MAX_PART_NUMBER,
    bucket_already_owned,
    invalid_argument,
    no_such_bucket,
    no_such_key,
)
from drydock.objects.model import (
    BucketInfo,
    ByteRange,
    CompletedPart,
    DeleteOutcome,
    ObjectInfo,
    ObjectListing,
    ObjectMetadata,
    ObjectReader,
    PartInfo,
    PartListing,
    UploadInfo,
    UploadListing,
    WriteCondition,
)
from drydock.objects.names import check_bucket_name, check_key
from drydock.objects.port import Source

#: Part size for streamed writes: botocore's own multipart default.
PART_SIZE = 8 * 1024 * 1024
#: Checksums botocore can pass on without the optional CRT extension.
_FORWARDED_CHECKSUMS = ("ChecksumCRC32", "ChecksumSHA1", "ChecksumSHA256")


class ExternalObjectStore:
    """Implements :class:`drydock.objects.port.ObjectStore` with a boto3 client. Thread-safe (boto3
    clients are)."""

    def __init__(self, endpoint_url: str, access_key_id: str, secret_access_key: str, region: str) -> None:
        self.region = region
        self.client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url or None,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            region_name=region,
            config=Config(
                s3={"addressing_style": "path"},
                retries={"max_attempts": 3, "mode": "standard"},
                max_pool_connections=32,
            ),
        )

    # --- buckets --------------------------------------------------------------------------------

    def create_bucket(self, bucket: str, region: str = "us-east-1") -> BucketInfo:
        check_bucket_name(bucket)
        params: dict[str, Any] = {"Bucket": bucket}
        if region and region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": region}
        # S3 in us-east-1 answers 200 to re-creating an owned bucket; the port reports it instead.
        try:
            self.head_bucket(bucket)
        except S3Error as error:
            if error.code != "NoSuchBucket":
                raise
        else:
            raise bucket_already_owned(bucket)
        with _translated(bucket):
            self.client.create_bucket(**params)
        return self.head_bucket(bucket)

    def head_bucket(self, bucket: str) -> BucketInfo:
        with _translated(bucket):
            response = self.client.head_bucket(Bucket=bucket)
        region = response.get("BucketRegion") or "us-east-1"
        for info in self.list_buckets():
            if info.name == bucket:
                return BucketInfo(bucket, info.creation_date, region)
        return BucketInfo(bucket, dt.datetime.now(dt.UTC).replace(microsecond=0), region)

    def list_buckets(self) -> list[BucketInfo]:
        with _translated():
            response = self.client.list_buckets()
        found = [
            BucketInfo(b["Name"], _utc(b["CreationDate"]), b.get("BucketRegion") or "us-east-1")
            for b in response.get("Buckets", [])
        ]
        return sorted(found, key=lambda b: b.name)

    def delete_bucket(self, bucket: str) -> None:
        with _translated(bucket):
            for page in self.client.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
                for upload in page.get("Uploads", []):
                    self.client.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
            self.client.delete_bucket(Bucket=bucket)

    # --- objects --------------------------------------------------------------------------------

    def put_object(
        self,
        bucket: str,
        key: str,
        source: Source,
        metadata: ObjectMetadata | None = None,
        condition: WriteCondition | None = None,
    ) -> ObjectInfo:
        check_key(key)
        if isinstance(source, Path):
            with source.open("rb") as stream:
                return self.put_object(bucket, key, stream, metadata, condition)
        metadata = metadata or ObjectMetadata()
        params = {"Bucket": bucket, "Key": key, **write_params(metadata), **_condition(condition)}
        first = _read_full(source, PART_SIZE)
        with _translated(bucket, key):
            if len(first) < PART_SIZE:
                # Let the endpoint check the bytes against the checksums the client sent us.
                params.update({k: v for k, v in metadata.checksums.items() if k in _FORWARDED_CHECKSUMS})
                self.client.put_object(Body=first, **params)
            else:
                self._multipart_put(params, first, source)
        return self.head_object(bucket, key)

    def _multipart_put(self, params: dict[str, Any], first: bytes, source: BinaryIO) -> None:
        conditions = {k: params.pop(k) for k in ("IfMatch", "IfNoneMatch") if k in params}
        upload = self.client.create_multipart_upload(**params)
        ids = {"Bucket": params["Bucket"], "Key": params["Key"], "UploadId": upload["UploadId"]}
        try:
            parts: list[dict[str, Any]] = []
            chunk = first
            while chunk:
                number = len(parts) + 1
                if number > MAX_PART_NUMBER:
                    raise invalid_argument("the object is too large for a streamed multipart upload")
                answer = self.client.upload_part(Body=chunk, PartNumber=number, **ids)
                parts.append({"PartNumber": number, "ETag": answer["ETag"]})
                chunk = _read_full(source, PART_SIZE)
            self.client.complete_multipart_upload(MultipartUpload={"Parts": parts}, **ids, **conditions)
        except BaseException:
            with contextlib.suppress(Exception):
                self.client.abort_multipart_upload(**ids)
            raise

    def get_object(self, bucket: str, key: str, byte_range: ByteRange | None = None) -> ObjectReader:
        params: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if byte_range is not None:
            params["Range"] = _range_header(byte_range)
        with _translated(bucket, key, probe=self._probe_bucket):
            response = self.client.get_object(**params)
        info = object_info(bucket, key, response)
        span = None
        content_range = response.get("ContentRange")
        if byte_range is not None and content_range:
            positions = content_range.split()[-1].split("/")[0].split("-")
            span = (int(positions[0]), int(positions[1]))
        return ObjectReader(info, response["Body"], span)

    def head_object(self, bucket: str, key: str) -> ObjectInfo:
        with _translated(bucket, key, probe=self._probe_bucket):
            response = self.client.head_object(Bucket=bucket, Key=key)
        return object_info(bucket, key, response)

    def delete_object(self, bucket: str, key: str) -> None:
        with _translated(bucket):
            self.client.delete_object(Bucket=bucket, Key=key)

    def delete_objects(self, bucket: str, keys: Sequence[str]) -> list[DeleteOutcome]:
        failed: dict[str, tuple[str, str]] = {}
        with _translated(bucket):
            self.head_bucket(bucket)
            for start in range(0, len(keys), 1000):
                batch = [{"Key": key} for key in keys[start : start + 1000]]
                response = self.client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
                for error in response.get("Errors", []):
                    failed[error["Key"]] = (error.get("Code", "InternalError"), error.get("Message", ""))
        return [DeleteOutcome(key, *failed[key]) if key in failed else DeleteOutcome(key) for key in keys]

    def copy_object(
        self,
        source_bucket: str,
        source_key: str,
        bucket: str,
        key: str,
        metadata: ObjectMetadata | None = None,
        condition: WriteCondition | None = None,
    ) -> ObjectInfo:
        check_key(key)
        source = self.head_object(source_bucket, source_key)
        params: dict[str, Any] = {"Bucket": bucket, "Key": key, **_condition(condition)}
        if metadata is not None:
            params.update(write_params(metadata))
        with _translated(bucket, key):
            if source.size <= 5 * 1024**3:
                params["MetadataDirective"] = "COPY" if metadata is None else "REPLACE"
                copy_source = {"Bucket": source_bucket, "Key": source_key}
                self.client.copy_object(CopySource=copy_source, **params)
            else:
                extra = write_params(metadata or source.metadata)
                self.client.copy({"Bucket": source_bucket, "Key": source_key}, bucket, key, ExtraArgs=extra)
        return self.head_object(bucket, key)

    def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        delimiter: str = "",
        start_after: str = "",
        max_keys: int = 1000,
    ) -> ObjectListing:
        params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": max_keys}
        if delimiter:
            params["Delimiter"] = delimiter
        if start_after:
            params["StartAfter"] = start_after
        with _translated(bucket):
            response = self.client.list_objects_v2(**params)
        return listing_from(bucket, response, start_after)

    def local_path(self, bucket: str, key: str) -> Path | None:
        return None  # the bytes live behind the endpoint; callers download them

    # --- multipart uploads ------------------------------------------------------------------------

    def create_multipart_upload(self, bucket: str, key: str, metadata: ObjectMetadata | None = None) -> UploadInfo:
        check_key(key)
        metadata = metadata or ObjectMetadata()
        with _translated(bucket, key):
            response = self.client.create_multipart_upload(Bucket=bucket, Key=key, **write_params(metadata))
        return UploadInfo(bucket, key, response["UploadId"], dt.datetime.now(dt.UTC), metadata)

    def upload_part(self, bucket: str, key: str, upload_id: str, part_number: int, source: Source) -> PartInfo:
        if not 1 <= part_number <= MAX_PART_NUMBER:
            raise invalid_argument("Part number must be an integer between 1 and 10000, inclusive")
        if isinstance(source, Path):
            with source.open("rb") as stream:
                return self.upload_part(bucket, key, upload_id, part_number, stream)
        # A part is at most 5 GiB; botocore needs a seekable body, so spool it through a file.
        with _spooled(source) as (body, size), _translated(bucket, key, upload_id=upload_id):
            response = self.client.upload_part(
                Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=part_number, Body=body
            )
        return PartInfo(part_number, size, response["ETag"], dt.datetime.now(dt.UTC).replace(microsecond=0))

    def list_parts(
        self, bucket: str, key: str, upload_id: str, part_number_marker: int = 0, max_parts: int = 1000
    ) -> PartListing:
        with _translated(bucket, key, upload_id=upload_id):
            response = self.client.list_parts(
                Bucket=bucket, Key=key, UploadId=upload_id, PartNumberMarker=part_number_marker, MaxParts=max_parts
            )
        parts = [part_info(p) for p in response.get("Parts", [])]
        truncated = bool(response.get("IsTruncated"))
        marker = response.get("NextPartNumberMarker")
        return PartListing(parts, truncated, int(marker) if truncated and marker else None)

    def complete_multipart_upload(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        parts: Sequence[CompletedPart],
        condition: WriteCondition | None = None,
    ) -> ObjectInfo:
        listed = [{"PartNumber": p.part_number, "ETag": p.etag} for p in parts]
        with _translated(bucket, key, upload_id=upload_id):
            self.client.complete_multipart_upload(
                Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": listed}, **_condition(condition)
            )
        return self.head_object(bucket, key)

    def abort_multipart_upload(self, bucket: str, key: str, upload_id: str) -> None:
        with _translated(bucket, key, upload_id=upload_id):
            self.client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)

    def list_multipart_uploads(
        self,
        bucket: str,
        prefix: str = "",
        key_marker: str = "",
        upload_id_marker: str = "",
        max_uploads: int = 1000,
    ) -> UploadListing:
        params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxUploads": max_uploads}
        if key_marker:
            params["KeyMarker"] = key_marker
            if upload_id_marker:
                params["UploadIdMarker"] = upload_id_marker
        with _translated(bucket):
            response = self.client.list_multipart_uploads(**params)
        uploads = [upload_info(bucket, u) for u in response.get("Uploads", [])]
        truncated = bool(response.get("IsTruncated"))
        return UploadListing(
            uploads,
            [p["Prefix"] for p in response.get("CommonPrefixes", [])],
            truncated,
            response.get("NextKeyMarker") if truncated else None,
            response.get("NextUploadIdMarker") if truncated else None,
        )

    def close(self) -> None:
        self.client.close()

    def _probe_bucket(self, bucket: str) -> None:
        self.head_bucket(bucket)


@contextlib.contextmanager
def _translated(bucket: str = "", key: str = "", *, upload_id: str = "", probe: Any = None) -> Iterator[None]:
    """Turn the endpoint's answers into the port's ``S3Error``s (HEAD errors carry no body, so a
    bare 404 is told apart by asking whether the bucket exists)."""
    try:
        yield
    except ClientError as error:
        answer = error.response.get("Error", {})
        code = str(answer.get("Code") or "")
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400)
        message = str(answer.get("Message") or code)
        if code in ("404", "NotFound"):
            if key and probe is not None:
                probe(bucket)
                raise no_such_key(bucket, key) from None
            raise no_such_bucket(bucket) from None
        if code == "412":
            code, message = "PreconditionFailed", "At least one of the pre-conditions you specified did not hold"
        elif code == "403":
            code, message = "AccessDenied", "Access Denied"
        elif code.isdigit():
            code = "InvalidRequest"
        raise S3Error(code, message, status, resource=upload_id or (f"/{bucket}/{key}" if key else bucket)) from None
    except BotoCoreError as error:
        raise S3Error("ServiceUnavailable", f"The object store endpoint failed: {error}", 503) from None


def _condition(condition: WriteCondition | None) -> dict[str, str]:
    if condition is None:
        return {}
    params = {"IfNoneMatch": "*"} if condition.if_none_match else {}
    if condition.if_match is not None:
        params["IfMatch"] = condition.if_match
    return params


def _range_header(byte_range: ByteRange) -> str:
    if byte_range.suffix_length is not None:
        return f"bytes=-{byte_range.suffix_length}"
    return f"bytes={byte_range.first}-{'' if byte_range.last is None else byte_range.last}"


def _read_full(source: BinaryIO, size: int) -> bytes:
    chunks: list[bytes] = []
    wanted = size
    while wanted > 0:
        chunk = source.read(wanted)
        if not chunk:
            break
        chunks.append(chunk)
        wanted -= len(chunk)
    return b"".join(chunks)


@contextlib.contextmanager
def _spooled(source: BinaryIO) -> Iterator[tuple[Any, int]]:
    with tempfile.SpooledTemporaryFile(max_size=PART_SIZE) as spool:
        size = 0
        while chunk := source.read(1024 * 1024):
            spool.write(chunk)
            size += len(chunk)
        spool.seek(0)
        yield spool, size


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
