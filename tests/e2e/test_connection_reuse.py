"""A refused request whose body was never read must not poison the keep-alive connection.

botocore sends uploads with ``Expect: 100-continue`` and withholds the body until the server asks
for it; if the server answers (say, 403 for a bad signature) without reading, the body never comes,
and a server that kept the connection open would parse the client's next request as that body.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest
from botocore.exceptions import ClientError

from drydock.testing.live_server import LiveServer


def test_refused_upload_closes_the_connection(server: LiveServer) -> None:
    request = (
        "PUT /some-bucket/key.txt HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{server.port}\r\n"
        "Authorization: AWS4-HMAC-SHA256 Credential=AKIDUNKNOWN/20260101/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64 + "\r\n"
        "X-Amz-Date: 20260101T000000Z\r\n"
        "Content-Length: 11\r\n"
        "Expect: 100-continue\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                break
            head += chunk
    status_line, _, rest = head.partition(b"\r\n")
    assert b" 403 " in status_line
    assert b"connection: close" in rest.lower()


def test_boto3_recovers_after_a_refused_upload(server: LiveServer, tmp_path: Any) -> None:
    good = server.client("s3")
    good.create_bucket(Bucket="reuse-bucket")
    bad = server.client("s3", aws_secret_access_key="not-the-secret")
    for _ in range(3):
        with pytest.raises(ClientError) as caught:
            bad.put_object(Bucket="reuse-bucket", Key="k", Body=b"x" * 1000)
        assert caught.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
        # The same client's pooled connection must still serve the next call correctly.
        with pytest.raises(ClientError) as caught:
            bad.list_objects_v2(Bucket="reuse-bucket")
        assert caught.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    good.put_object(Bucket="reuse-bucket", Key="k", Body=b"fine")
    assert good.get_object(Bucket="reuse-bucket", Key="k")["Body"].read() == b"fine"
