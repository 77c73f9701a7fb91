"""A Drydock server whose object store is an external S3 endpoint (here: another Drydock server)
serves the same S3 API, with the bytes kept behind that endpoint."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from drydock.testing.live_server import ACCESS_KEY, SECRET_KEY, LiveServer

MiB = 1024 * 1024


@pytest.fixture
def fronting(server: LiveServer, tmp_path: Path) -> Iterator[LiveServer]:
    front = LiveServer(
        tmp_path / "front",
        extra_env={
            "DRYDOCK_OBJECT_STORE": server.url,
            "DRYDOCK_OBJECT_STORE_ACCESS_KEY_ID": ACCESS_KEY,
            "DRYDOCK_OBJECT_STORE_SECRET_ACCESS_KEY": SECRET_KEY,
        },
    )
    front.start()
    yield front
    front.stop()


def test_s3_api_over_an_external_store(server: LiveServer, fronting: LiveServer, tmp_path: Path) -> None:
    s3: Any = fronting.client("s3")
    backend: Any = server.client("s3")
    bucket = f"ext-{os.urandom(6).hex()}"
    s3.create_bucket(Bucket=bucket)
    assert backend.head_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200

    s3.put_object(Bucket=bucket, Key="dir/small.txt", Body=b"hello", ContentType="text/plain", Metadata={"a": "1"})
    assert backend.get_object(Bucket=bucket, Key="dir/small.txt")["Body"].read() == b"hello"
    head = s3.head_object(Bucket=bucket, Key="dir/small.txt")
    assert (head["ContentType"], head["Metadata"]) == ("text/plain", {"a": "1"})

    data = os.urandom(9 * MiB)  # above the 8 MiB multipart threshold
    (tmp_path / "big").write_bytes(data)
    s3.upload_file(str(tmp_path / "big"), bucket, "dir/big.bin")
    s3.download_file(bucket, "dir/big.bin", str(tmp_path / "back"))
    assert (tmp_path / "back").read_bytes() == data
    assert s3.get_object(Bucket=bucket, Key="dir/big.bin", Range="bytes=10-19")["Body"].read() == data[10:20]

    listing = s3.list_objects_v2(Bucket=bucket, Delimiter="/", Prefix="dir/")
    assert [o["Key"] for o in listing["Contents"]] == ["dir/big.bin", "dir/small.txt"]
    s3.copy_object(Bucket=bucket, Key="copy.txt", CopySource={"Bucket": bucket, "Key": "dir/small.txt"})
    assert s3.get_object(Bucket=bucket, Key="copy.txt")["Body"].read() == b"hello"
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "dir/small.txt"}, {"Key": "dir/big.bin"}]})
    s3.delete_object(Bucket=bucket, Key="copy.txt")
    s3.delete_bucket(Bucket=bucket)
    assert bucket not in [b["Name"] for b in backend.list_buckets()["Buckets"]]
