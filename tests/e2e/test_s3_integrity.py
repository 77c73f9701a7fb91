"""Upload integrity and the other ways bytes reach S3: checksums, aws-chunked bodies, presigned URLs."""

from __future__ import annotations

import base64
import hashlib
import http.client
import urllib.error
import urllib.request
import zlib
from typing import Any

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from drydock.testing.live_server import ACCESS_KEY, REGION, SECRET_KEY, LiveServer
from tests.e2e.s3_support import code_of


class _DeclaredPayload(S3SigV4Auth):
    """Signs with a chosen x-amz-content-sha256 (a wrong hash, or a STREAMING-* mode)."""

    def __init__(self, payload: str) -> None:
        super().__init__(Credentials(ACCESS_KEY, SECRET_KEY), "s3", REGION)
        self._payload = payload

    def payload(self, request: Any) -> str:
        return self._payload


def send_signed(
    server: LiveServer, method: str, path: str, body: bytes, headers: dict[str, str], payload: str
) -> tuple[int, bytes]:
    request = AWSRequest(method=method, url=server.url + path, data=body, headers=headers)
    _DeclaredPayload(payload).add_auth(request)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=dict(request.headers.items()))
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def aws_chunked(data: bytes, chunk: int, trailers: dict[str, str], signed: bool = False) -> bytes:
    signature = f";chunk-signature={'0' * 64}" if signed else ""
    out = b""
    for start in range(0, len(data), chunk):
        piece = data[start : start + chunk]
        out += f"{len(piece):x}{signature}\r\n".encode() + piece + b"\r\n"
    out += f"0{signature}\r\n".encode()
    out += b"".join(f"{name}:{value}\r\n".encode() for name, value in trailers.items())
    return out + b"\r\n"


def crc32_b64(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def test_sdk_checksums_are_verified_and_returned(s3: Any, bucket: str) -> None:
    for algorithm in ("CRC32", "SHA1", "SHA256"):
        s3.put_object(Bucket=bucket, Key=algorithm, Body=b"checked bytes", ChecksumAlgorithm=algorithm)
    got = s3.get_object(Bucket=bucket, Key="CRC32", ChecksumMode="ENABLED")  # botocore re-validates
    assert got["Body"].read() == b"checked bytes" and got["ChecksumCRC32"] == crc32_b64(b"checked bytes")
    assert code_of(s3.put_object, Bucket=bucket, Key="bad", Body=b"x", ChecksumCRC32="AAAAAA==") == "BadDigest"
    wrong_md5 = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    assert code_of(s3.put_object, Bucket=bucket, Key="bad", Body=b"x", ContentMD5=wrong_md5) == "BadDigest"
    assert code_of(s3.put_object, Bucket=bucket, Key="bad", Body=b"x", ContentMD5="not-base64") == "InvalidDigest"
    assert code_of(s3.head_object, Bucket=bucket, Key="bad") == "404"  # nothing was stored


def test_payload_hash_mismatch_is_refused(server: LiveServer, s3: Any, bucket: str) -> None:
    status, body = send_signed(server, "PUT", f"/{bucket}/k", b"actual", {}, hashlib.sha256(b"declared").hexdigest())
    assert status == 400 and b"<Code>XAmzContentSHA256Mismatch</Code>" in body
    assert code_of(s3.head_object, Bucket=bucket, Key="k") == "404"


@pytest.mark.parametrize("signed", [False, True], ids=["unsigned-trailer", "signed-chunks"])
def test_aws_chunked_bodies_are_decoded(server: LiveServer, s3: Any, bucket: str, signed: bool) -> None:
    data = bytes(range(256)) * 300
    trailers = {} if signed else {"x-amz-checksum-crc32": crc32_b64(data)}
    headers = {
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(len(data)),
        "Content-Type": "application/octet-stream",
    }
    if trailers:
        headers["x-amz-trailer"] = "x-amz-checksum-crc32"
    mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" if signed else "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    status, body = send_signed(
        server, "PUT", f"/{bucket}/chunked", aws_chunked(data, 8192, trailers, signed), headers, mode
    )
    assert status == 200, body
    got = s3.get_object(Bucket=bucket, Key="chunked")
    assert got["Body"].read() == data
    assert "ContentEncoding" not in got  # aws-chunked described the upload, not the object


def test_aws_chunked_trailer_checksum_mismatch(server: LiveServer, s3: Any, bucket: str) -> None:
    data = b"chunked but corrupted" * 100
    headers = {
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(len(data)),
        "x-amz-trailer": "x-amz-checksum-crc32",
    }
    payload = aws_chunked(data, 1000, {"x-amz-checksum-crc32": crc32_b64(b"something else")})
    status, body = send_signed(server, "PUT", f"/{bucket}/bad", payload, headers, "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    assert status == 400 and b"<Code>BadDigest</Code>" in body
    truncated = aws_chunked(data, 1000, {})[:1500]
    status, body = send_signed(
        server, "PUT", f"/{bucket}/bad", truncated, headers, "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    )
    assert status == 400 and b"<Code>IncompleteBody</Code>" in body
    assert code_of(s3.head_object, Bucket=bucket, Key="bad") == "404"


@pytest.mark.parametrize("key", ["plain.txt", "dir/with space+plus%percent/ünï©ode.csv", "a//b/", "q?x=1&y"])
def test_presigned_urls_work_with_plain_urllib(server: LiveServer, bucket: str, key: str) -> None:
    # botocore presigns S3 URLs with SigV2 in us-east-1 unless told otherwise; Drydock verifies SigV4.
    s3 = server.client("s3", config=Config(signature_version="s3v4", retries={"max_attempts": 1}))
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
    request = urllib.request.Request(put_url, data=b"via presigned put", method="PUT")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
    with urllib.request.urlopen(get_url, timeout=30) as response:
        assert response.read() == b"via presigned put"
    tampered = get_url.replace("X-Amz-Expires=300", "X-Amz-Expires=301")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(tampered, timeout=30)
    assert caught.value.code == 403 and b"SignatureDoesNotMatch" in caught.value.read()


def test_refused_upload_leaves_the_connection_usable(s3: Any, bucket: str) -> None:
    # botocore sends "Expect: 100-continue" and then withholds the body when refused; the server must
    # not read the next request as that body.
    for _ in range(3):
        assert code_of(s3.put_object, Bucket="no-such-bucket-e2e", Key="k", Body=b"x" * 1000) == "NoSuchBucket"
        s3.put_object(Bucket=bucket, Key="k", Body=b"fine")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"fine"
