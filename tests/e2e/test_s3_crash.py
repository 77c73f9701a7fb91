"""A server killed mid-upload loses only that upload: the previous version (or the absence of one)
survives, and nothing half-written is ever visible, then or after the restart."""

from __future__ import annotations

import http.client
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from drydock.testing.live_server import ACCESS_KEY, REGION, SECRET_KEY, LiveServer

MiB = 1024 * 1024


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path / "home")
    server.start()
    yield server
    server.stop()


class _UnsignedPayload(S3SigV4Auth):
    def payload(self, request: object) -> str:
        return "UNSIGNED-PAYLOAD"


def start_put(server: LiveServer, path: str, declared_length: int, sent: bytes) -> http.client.HTTPConnection:
    """Begin a signed PutObject that announces ``declared_length`` bytes but sends only ``sent``."""
    request = AWSRequest(method="PUT", url=server.url + path, headers={"Content-Length": str(declared_length)})
    _UnsignedPayload(Credentials(ACCESS_KEY, SECRET_KEY), "s3", REGION).add_auth(request)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.putrequest("PUT", path, skip_accept_encoding=True)
    for name, value in request.headers.items():
        connection.putheader(name, value)
    connection.endheaders()
    connection.send(sent)
    return connection


def wait_for_temp_bytes(home: Path, at_least: int, timeout: float = 20.0) -> None:
    temp = home / "objects" / "tmp"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sizes = [f.stat().st_size for f in temp.iterdir()] if temp.exists() else []
        if any(size >= at_least for size in sizes):
            return
        time.sleep(0.02)
    raise AssertionError("the upload never reached the server's temporary file")


def test_sigkill_mid_put_keeps_the_old_version(live: LiveServer) -> None:
    s3 = live.client("s3")
    s3.create_bucket(Bucket="durable")
    s3.put_object(Bucket="durable", Key="model.tar.gz", Body=b"version one", Metadata={"v": "1"})

    overwrite = start_put(live, "/durable/model.tar.gz", 64 * MiB, b"2" * (4 * MiB))
    fresh = start_put(live, "/durable/new-key", 64 * MiB, b"3" * (4 * MiB))
    wait_for_temp_bytes(live.home, 2 * MiB)
    # Half-written bytes are never visible, even while the upload is in flight.
    assert s3.get_object(Bucket="durable", Key="model.tar.gz")["Body"].read() == b"version one"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="durable")["Contents"]] == ["model.tar.gz"]

    live.kill()
    overwrite.close()
    fresh.close()
    live.start()

    s3 = live.client("s3")
    got = s3.get_object(Bucket="durable", Key="model.tar.gz")
    assert got["Body"].read() == b"version one" and got["Metadata"] == {"v": "1"}
    with pytest.raises(ClientError) as caught:
        s3.head_object(Bucket="durable", Key="new-key")
    assert caught.value.response["Error"]["Code"] == "404"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="durable")["Contents"]] == ["model.tar.gz"]
    assert list((live.home / "objects" / "tmp").iterdir()) == []  # the orphaned temp files were swept
    # And the store still takes writes normally.
    s3.put_object(Bucket="durable", Key="model.tar.gz", Body=b"version two")
    assert s3.get_object(Bucket="durable", Key="model.tar.gz")["Body"].read() == b"version two"


def test_sigkill_mid_part_keeps_the_upload_consistent(live: LiveServer) -> None:
    s3 = live.client("s3")
    s3.create_bucket(Bucket="parts")
    upload_id = s3.create_multipart_upload(Bucket="parts", Key="k")["UploadId"]
    etag = s3.upload_part(Bucket="parts", Key="k", UploadId=upload_id, PartNumber=1, Body=b"a" * (5 * MiB))["ETag"]
    partial = start_put(live, f"/parts/k?partNumber=2&uploadId={upload_id}", 32 * MiB, b"b" * (3 * MiB))
    wait_for_temp_bytes(live.home, 1 * MiB)
    live.kill()
    partial.close()
    live.start()

    s3 = live.client("s3")
    parts = s3.list_parts(Bucket="parts", Key="k", UploadId=upload_id)["Parts"]
    assert [(p["PartNumber"], p["ETag"]) for p in parts] == [(1, etag)]  # part 2 never happened
    last = s3.upload_part(Bucket="parts", Key="k", UploadId=upload_id, PartNumber=2, Body=b"tail")["ETag"]
    s3.complete_multipart_upload(
        Bucket="parts",
        Key="k",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}, {"PartNumber": 2, "ETag": last}]},
    )
    assert s3.head_object(Bucket="parts", Key="k")["ContentLength"] == 5 * MiB + 4
