"""The tools people point at S3, unmodified: the aws CLI (cp/ls/sync), s3fs, and pandas."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import s3fs

from drydock.testing.live_server import ACCESS_KEY, REGION, SECRET_KEY, LiveServer

AWS = str(Path(sys.executable).with_name("aws"))
MiB = 1024 * 1024


@pytest.fixture
def bucket(server: LiveServer) -> str:
    name = f"tools-{uuid.uuid4().hex[:16]}"
    server.client("s3").create_bucket(Bucket=name)
    return name


def aws_s3(server: LiveServer, *args: str) -> str:
    env = server.aws_env() | {"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    result = subprocess.run([AWS, "s3", *args], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"aws s3 {' '.join(args)} failed: {result.stderr}"
    return result.stdout


def test_aws_cli_cp_ls_sync(server: LiveServer, bucket: str, tmp_path: Path) -> None:
    local = tmp_path / "local"
    (local / "nested dir").mkdir(parents=True)
    (local / "small.txt").write_text("hello\n")
    (local / "nested dir" / "ü.csv").write_text("a,b\n1,2\n")
    big = os.urandom(9 * MiB)  # above the CLI's 8 MiB multipart threshold
    (local / "big.bin").write_bytes(big)
    # S3's LastModified has whole seconds (as on AWS): a file written in the same second as its upload
    # would look newer than its copy to `aws s3 sync`, which would then upload it again.
    an_hour_ago = time.time() - 3600
    for path in local.rglob("*"):
        os.utime(path, (an_hour_ago, an_hour_ago))

    aws_s3(server, "cp", str(local / "small.txt"), f"s3://{bucket}/one/small.txt")
    aws_s3(server, "sync", str(local), f"s3://{bucket}/synced")
    listing = aws_s3(server, "ls", "--recursive", f"s3://{bucket}/")
    for key in ("one/small.txt", "synced/small.txt", "synced/big.bin", "synced/nested dir/ü.csv"):
        assert key in listing
    top = aws_s3(server, "ls", f"s3://{bucket}/synced/")
    assert "PRE nested dir/" in top and "big.bin" in top
    assert "upload:" not in aws_s3(server, "sync", str(local), f"s3://{bucket}/synced")  # nothing changed

    back = tmp_path / "back"
    aws_s3(server, "sync", f"s3://{bucket}/synced", str(back))
    assert (back / "big.bin").read_bytes() == big
    assert (back / "nested dir" / "ü.csv").read_text() == "a,b\n1,2\n"
    aws_s3(server, "cp", f"s3://{bucket}/synced/big.bin", f"s3://{bucket}/copied/big.bin")  # multipart copy
    aws_s3(server, "cp", f"s3://{bucket}/copied/big.bin", str(tmp_path / "copied.bin"))
    assert (tmp_path / "copied.bin").read_bytes() == big
    aws_s3(server, "rm", "--recursive", f"s3://{bucket}/synced")
    assert "synced/" not in aws_s3(server, "ls", "--recursive", f"s3://{bucket}/")


def _fs(server: LiveServer) -> Any:
    return s3fs.S3FileSystem(
        key=ACCESS_KEY,
        secret=SECRET_KEY,
        client_kwargs={"endpoint_url": server.url, "region_name": REGION},
        skip_instance_cache=True,
        use_listings_cache=False,
    )


def test_s3fs(server: LiveServer, bucket: str) -> None:
    fs = _fs(server)
    with fs.open(f"{bucket}/dir/file.txt", "wb") as out:
        out.write(b"line 1\nline 2\n")
    fs.pipe(f"{bucket}/dir/sub/other.bin", b"\x00" * 100)
    assert fs.cat(f"{bucket}/dir/file.txt") == b"line 1\nline 2\n"
    assert sorted(fs.ls(f"{bucket}/dir")) == [f"{bucket}/dir/file.txt", f"{bucket}/dir/sub"]
    assert fs.isdir(f"{bucket}/dir/sub") and fs.isfile(f"{bucket}/dir/file.txt")
    assert fs.info(f"{bucket}/dir/sub/other.bin")["size"] == 100
    assert fs.find(f"{bucket}/dir") == [f"{bucket}/dir/file.txt", f"{bucket}/dir/sub/other.bin"]
    with fs.open(f"{bucket}/dir/file.txt", "rb") as stream:
        stream.seek(7)
        assert stream.read(6) == b"line 2"  # a ranged GET
    fs.rm(f"{bucket}/dir", recursive=True)
    assert not fs.exists(f"{bucket}/dir/file.txt")


def test_pandas_read_and_write_csv(server: LiveServer, bucket: str) -> None:
    options = {
        "key": ACCESS_KEY,
        "secret": SECRET_KEY,
        "client_kwargs": {"endpoint_url": server.url, "region_name": REGION},
    }
    frame = pd.DataFrame({"x": range(1000), "label": ["cat", "dog"] * 500})
    frame.to_csv(f"s3://{bucket}/datasets/train.csv", index=False, storage_options=options)
    back = pd.read_csv(f"s3://{bucket}/datasets/train.csv", storage_options=options)
    pd.testing.assert_frame_equal(back, frame)
    server.client("s3").put_object(Bucket=bucket, Key="raw/iris.csv", Body=b"sepal,species\n5.1,setosa\n4.9,setosa\n")
    iris = pd.read_csv(f"s3://{bucket}/raw/iris.csv", storage_options=options)
    assert list(iris["species"]) == ["setosa", "setosa"]
