"""Multipart uploads: boto3's managed transfers (multipart above 8 MiB, ranged parallel downloads)
and the low-level API with S3's error codes."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from boto3.s3.transfer import TransferConfig

from tests.e2e.s3_support import code_of

MiB = 1024 * 1024


def test_upload_file_and_download_file(s3: Any, bucket: str, tmp_path: Path) -> None:
    data = os.urandom(20 * MiB + 12345)
    source = tmp_path / "model.tar.gz"
    source.write_bytes(data)
    s3.upload_file(str(source), bucket, "artifacts/model.tar.gz")  # 8 MiB parts: 3 parts, in parallel
    head = s3.head_object(Bucket=bucket, Key="artifacts/model.tar.gz")
    assert head["ContentLength"] == len(data) and head["ETag"].endswith('-3"')
    target = tmp_path / "back.tar.gz"
    s3.download_file(bucket, "artifacts/model.tar.gz", str(target))  # ranged GETs, in parallel
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(data).digest()
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads") is None


def test_upload_fileobj_small_parts(s3: Any, bucket: str, tmp_path: Path) -> None:
    data = os.urandom(11 * MiB)
    source = tmp_path / "data.bin"
    source.write_bytes(data)
    config = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=2)
    with source.open("rb") as stream:
        s3.upload_fileobj(stream, bucket, "data.bin", Config=config, ExtraArgs={"Metadata": {"kind": "mp"}})
    head = s3.head_object(Bucket=bucket, Key="data.bin")
    assert head["ETag"].endswith('-3"') and head["Metadata"] == {"kind": "mp"}
    got = s3.get_object(Bucket=bucket, Key="data.bin", Range=f"bytes={5 * MiB - 3}-{5 * MiB + 2}")
    assert got["Body"].read() == data[5 * MiB - 3 : 5 * MiB + 3]


def test_low_level_multipart_api(s3: Any, bucket: str) -> None:
    upload = s3.create_multipart_upload(Bucket=bucket, Key="k", ContentType="text/plain")
    upload_id = upload["UploadId"]
    assert (upload["Bucket"], upload["Key"]) == (bucket, "k")
    first = b"a" * (5 * MiB)
    etag1 = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=first)["ETag"]
    etag2 = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=2, Body=b"tail")["ETag"]
    parts = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)
    assert [(p["PartNumber"], p["Size"], p["ETag"]) for p in parts["Parts"]] == [(1, 5 * MiB, etag1), (2, 4, etag2)]
    uploads = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [("k", upload_id)]
    assert (
        code_of(
            s3.complete_multipart_upload,
            Bucket=bucket,
            Key="k",
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": etag2}, {"PartNumber": 1, "ETag": etag1}]},
        )
        == "InvalidPartOrder"
    )
    assert (
        code_of(
            s3.complete_multipart_upload,
            Bucket=bucket,
            Key="k",
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag2}]},
        )
        == "InvalidPart"
    )
    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="k",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag1}, {"PartNumber": 2, "ETag": etag2}]},
    )
    md5s = hashlib.md5(first).digest() + hashlib.md5(b"tail").digest()
    assert done["ETag"] == f'"{hashlib.md5(md5s).hexdigest()}-2"'
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["ContentType"] == "text/plain" and got["Body"].read() == first + b"tail"
    assert code_of(s3.list_parts, Bucket=bucket, Key="k", UploadId=upload_id) == "NoSuchUpload"


def test_small_parts_abort_and_copy_parts(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="source", Body=b"0123456789" * (MiB // 2))  # 5 MiB
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    small = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"x")["ETag"]
    last = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=2, Body=b"y")["ETag"]
    parts = [{"PartNumber": 1, "ETag": small}, {"PartNumber": 2, "ETag": last}]
    assert (
        code_of(
            s3.complete_multipart_upload, Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": parts}
        )
        == "EntityTooSmall"
    )
    copied = s3.upload_part_copy(
        Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, CopySource={"Bucket": bucket, "Key": "source"}
    )
    ranged = s3.upload_part_copy(
        Bucket=bucket,
        Key="k",
        UploadId=upload_id,
        PartNumber=2,
        CopySource={"Bucket": bucket, "Key": "source"},
        CopySourceRange="bytes=0-9",
    )
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="k",
        UploadId=upload_id,
        MultipartUpload={
            "Parts": [
                {"PartNumber": 1, "ETag": copied["CopyPartResult"]["ETag"]},
                {"PartNumber": 2, "ETag": ranged["CopyPartResult"]["ETag"]},
            ]
        },
    )
    assert s3.head_object(Bucket=bucket, Key="k")["ContentLength"] == 5 * MiB + 10
    aborted = s3.create_multipart_upload(Bucket=bucket, Key="gone")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="gone", UploadId=aborted, PartNumber=1, Body=b"z")
    assert (
        s3.abort_multipart_upload(Bucket=bucket, Key="gone", UploadId=aborted)["ResponseMetadata"]["HTTPStatusCode"]
        == 204
    )
    assert code_of(s3.abort_multipart_upload, Bucket=bucket, Key="gone", UploadId=aborted) == "NoSuchUpload"
    assert (
        code_of(s3.upload_part, Bucket=bucket, Key="gone", UploadId=aborted, PartNumber=1, Body=b"z") == "NoSuchUpload"
    )
    assert code_of(s3.head_object, Bucket=bucket, Key="gone") == "404"
