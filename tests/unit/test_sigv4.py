"""SigV4 verification checked against botocore's own signers, the reference every AWS SDK user has.

Each case signs a request with botocore (SigV4Auth, S3SigV4Auth and their presigning variants),
turns it into the ``HttpRequest`` the gateway would build from the bytes on the wire, and checks that
our canonical request is byte-for-byte botocore's and that the authenticator accepts it, while a
wrong secret, a stale date or a changed byte is refused with the right error.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from typing import Any
from urllib.parse import unquote, urlsplit

import botocore.auth
import pytest
from botocore.auth import HmacV1QueryAuth, S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from drydock.errors import (
    AccessDenied,
    InvalidSignature,
    MissingAuthenticationToken,
    RequestExpired,
    UnrecognizedClient,
)
from drydock.wire.context import Principal
from drydock.wire.http import HttpRequest
from drydock.wire.sigv4 import KnownKey, SigV4Authenticator, canonical_request

ACCESS_KEY = "AKIDUNITTEST0000001"
SECRET = "unit/test+secret=key0000000000000000000"
HOST = "127.0.0.1:7070"
PRINCIPAL = Principal(
    access_key_id=ACCESS_KEY, arn="arn:aws:iam::000000000000:root", account="000000000000", user_id="000000000000"
)


def lookup(key_id: str) -> KnownKey | None:
    return KnownKey(SECRET, PRINCIPAL) if key_id == ACCESS_KEY else None


AUTH = SigV4Authenticator(lookup, clock_skew_seconds=300)


class _Recording:
    """Keeps the canonical request botocore signed, to compare with ours."""

    recorded = ""

    def canonical_request(self, request: AWSRequest) -> str:
        self.recorded = super().canonical_request(request)  # type: ignore[misc]
        return self.recorded


class RecordingSigV4(_Recording, SigV4Auth):
    pass


class RecordingS3SigV4(_Recording, S3SigV4Auth):
    pass


def received(method: str, url: str, headers: Any, body: bytes) -> HttpRequest:
    """The request as the gateway sees it: path and query as sent, header bytes decoded latin-1
    (http.client encodes str header values latin-1; the HTTP server hands us the raw bytes)."""
    parts = urlsplit(url)
    lowered: dict[str, str] = {}
    for name, value in headers.items():
        text = value.decode("latin-1") if isinstance(value, bytes) else value.encode("latin-1").decode("latin-1")
        lowered[name.lower()] = f"{lowered[name.lower()]},{text}" if name.lower() in lowered else text
    lowered.setdefault("host", HOST)
    return HttpRequest(
        method=method,
        raw_path=parts.path,
        path=unquote(parts.path),
        query_string=parts.query,
        headers=lowered,
        client="127.0.0.1",
        body=body,
    )


def sign(
    service: str,
    method: str,
    path: str,
    *,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    secret: str = SECRET,
    access_key: str = ACCESS_KEY,
) -> tuple[HttpRequest, str]:
    """Sign with botocore; return what the server receives and the canonical request botocore made."""
    request = AWSRequest(
        method=method, url=f"http://{HOST}{path}", params=params or {}, headers=headers or {}, data=body
    )
    signer_class = RecordingS3SigV4 if service == "s3" else RecordingSigV4
    signer = signer_class(Credentials(access_key, secret), service, "us-east-1")
    signer.add_auth(request)
    prepared = request.prepare()
    return received(method, prepared.url, prepared.headers, body), signer.recorded


def body_hash(service: str, body: bytes) -> str | None:
    # The gateway hashes the body itself for every service but S3, which streams it.
    return None if service == "s3" else hashlib.sha256(body).hexdigest()


def authenticate(request: HttpRequest, service: str) -> Principal:
    return AUTH.authenticate(request, body_hash(service, request.body or b""))


PATHS = [
    "/",
    "/endpoints/my-endpoint/invocations",
    "/bucket/key with spaces",
    "/bucket/key%20encoded",
    "/bucket/plus+sign",
    "/bucket/plus%2Bencoded",
    "/bucket/percent%25literal",
    "/bucket//double//slashes",
    "/bucket/trailing/",
    "/bucket/./dot/../segments",
    "/bucket/%E2%82%AC%20unicode%20%C3%BC",
    "/bucket/a%2Fencoded-slash",
    "/bucket/tilde~and-_.",
    "/bucket/sub-delims!$&'()*,;=:@",
    "//",
]

QUERIES: list[dict[str, str]] = [
    {"prefix": "a b"},
    {"prefix": "a+b"},
    {"k y": "v/w"},
    {"uploads": ""},
    {"€": "ü"},
    {"pct": "100%"},
    {"b": "2", "a": "1", "A": "0"},
    {"safe": "~-_."},
    {"list-type": "2", "delimiter": "/", "prefix": "dir/sub dir/"},
]

RAW_QUERIES = ["?a=b%20c", "?uploads", "?a=1&a=0", "?list-type=2&prefix=a%2Fb", "?x=%E2%82%AC"]


@pytest.mark.parametrize("service", ["sagemaker", "s3"])
@pytest.mark.parametrize("path", PATHS)
def test_paths_match_botocore(service: str, path: str) -> None:
    request, theirs = sign(service, "GET", path)
    signed = request.headers["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    payload = request.headers.get("x-amz-content-sha256") or hashlib.sha256(b"").hexdigest()
    assert canonical_request(request, signed, payload, service, False) == theirs
    assert authenticate(request, service) == PRINCIPAL


@pytest.mark.parametrize("service", ["sagemaker", "s3"])
@pytest.mark.parametrize("params", QUERIES, ids=lambda q: "&".join(f"{k}={v}" for k, v in q.items()))
def test_query_params_match_botocore(service: str, params: dict[str, str]) -> None:
    # botocore signs params %20-encoded but urlencode puts "+" for a space on the wire.
    request, theirs = sign(service, "GET", "/bucket", params=params)
    signed = request.headers["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    payload = request.headers.get("x-amz-content-sha256") or hashlib.sha256(b"").hexdigest()
    assert canonical_request(request, signed, payload, service, False) == theirs
    assert authenticate(request, service) == PRINCIPAL


@pytest.mark.parametrize("service", ["sagemaker", "s3"])
@pytest.mark.parametrize("query", RAW_QUERIES)
def test_raw_query_strings_verify(service: str, query: str) -> None:
    request, _ = sign(service, "GET", "/bucket" + query)
    assert authenticate(request, service) == PRINCIPAL


@pytest.mark.parametrize("service", ["sagemaker", "s3"])
def test_body_and_extra_headers_verify(service: str) -> None:
    body = b'{"ModelName": "m\xc3\xbc"}'
    request, _ = sign(
        service,
        "POST",
        "/",
        body=body,
        headers={
            "X-Amz-Target": "SageMaker.DescribeModel",
            "Content-Type": "application/x-amz-json-1.1",
            "X-Custom": "  spaced    value  ",
        },
    )
    assert authenticate(request, service) == PRINCIPAL


def test_non_ascii_header_value_signed_by_botocore_verifies() -> None:
    # botocore signs the text as UTF-8; http.client sends the latin-1 byte.
    request, _ = sign("sagemaker", "POST", "/", headers={"X-Amzn-SageMaker-Custom-Attributes": "café"}, body=b"{}")
    assert request.headers["x-amzn-sagemaker-custom-attributes"] == "café"
    assert authenticate(request, "sagemaker") == PRINCIPAL


def _spec_signature(canonical: bytes, amz_date: str, service: str) -> str:
    """SigV4 by the specification, over exact bytes (what the Go and Java SDKs do)."""
    scope = f"{amz_date[:8]}/us-east-1/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical).hexdigest()])
    key = f"AWS4{SECRET}".encode()
    for part in (amz_date[:8], "us-east-1", service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def test_utf8_header_bytes_signed_as_bytes_verify() -> None:
    amz_date = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    value = "naïve ☃".encode()
    empty = hashlib.sha256(b"").hexdigest()
    canonical = (
        b"GET\n/\n\nhost:"
        + HOST.encode()
        + b"\nx-amz-date:"
        + amz_date.encode()
        + b"\nx-note:"
        + value
        + b"\n\nhost;x-amz-date;x-note\n"
        + empty.encode()
    )
    signature = _spec_signature(canonical, amz_date, "sagemaker")
    headers = {
        "Authorization": f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{amz_date[:8]}/us-east-1/sagemaker/"
        f"aws4_request, SignedHeaders=host;x-amz-date;x-note, Signature={signature}",
        "X-Amz-Date": amz_date,
        "X-Note": value,
    }
    request = received("GET", f"http://{HOST}/", headers, b"")
    assert authenticate(request, "sagemaker") == PRINCIPAL


def test_date_header_instead_of_x_amz_date_verifies() -> None:
    # botocore signs an RFC 1123 Date header when the caller set one, and omits X-Amz-Date.
    request, _ = sign("sagemaker", "GET", "/", headers={"Date": "Mon, 01 Jan 2024 00:00:00 GMT"})
    assert "x-amz-date" not in request.headers
    assert authenticate(request, "sagemaker") == PRINCIPAL


@pytest.mark.parametrize("service", ["sagemaker", "s3"])
def test_wrong_secret_is_invalid_signature(service: str) -> None:
    request, _ = sign(service, "GET", "/bucket/key", secret="not-the-secret")
    with pytest.raises(InvalidSignature) as caught:
        authenticate(request, service)
    assert caught.value.status == 403
    assert caught.value.code == "InvalidSignatureException"
    assert caught.value.s3_code == "SignatureDoesNotMatch"


def test_unknown_access_key_is_unrecognized_client() -> None:
    request, _ = sign("sagemaker", "GET", "/", access_key="AKIDNOBODY")
    with pytest.raises(UnrecognizedClient) as caught:
        authenticate(request, "sagemaker")
    assert (caught.value.code, caught.value.s3_code, caught.value.status) == (
        "UnrecognizedClientException",
        "InvalidAccessKeyId",
        403,
    )


def test_missing_authorization_is_missing_token() -> None:
    request = received("GET", f"http://{HOST}/", {}, b"")
    with pytest.raises(MissingAuthenticationToken):
        authenticate(request, "sagemaker")


@pytest.mark.parametrize(
    "garbled",
    [
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 Credential=x",
        "AWS4-HMAC-SHA256 Credential=AK/20240101/us-east-1/sagemaker/aws4_request, SignedHeaders=host",
        "AWS4-HMAC-SHA256 Credential=AK, SignedHeaders=host, Signature=abcd",
        f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20240101/us-east-1/sagemaker/aws4_request, "
        "SignedHeaders=x-amz-date, Signature=abcd",
        "Bearer abc",
        "AWS AKID:signature",
        "\x00\xff",
    ],
)
def test_garbled_authorization_is_refused(garbled: str) -> None:
    request = received("GET", f"http://{HOST}/", {"Authorization": garbled, "X-Amz-Date": "20240101T000000Z"}, b"")
    with pytest.raises((InvalidSignature, UnrecognizedClient)) as caught:
        authenticate(request, "sagemaker")
    assert caught.value.status == 403


@pytest.mark.parametrize("minutes", [-6, 6, -60 * 24])
def test_date_outside_clock_skew_is_refused(monkeypatch: pytest.MonkeyPatch, minutes: int) -> None:
    stamp = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: stamp)
    request, _ = sign("sagemaker", "GET", "/")
    with pytest.raises(RequestExpired) as caught:
        authenticate(request, "sagemaker")
    assert caught.value.s3_code == "RequestTimeTooSkewed"
    assert "Signature expired" in caught.value.message


def test_date_inside_clock_skew_verifies(monkeypatch: pytest.MonkeyPatch) -> None:
    stamp = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=4)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: stamp)
    request, _ = sign("sagemaker", "GET", "/")
    assert authenticate(request, "sagemaker") == PRINCIPAL


def test_tampered_body_is_refused() -> None:
    request, _ = sign("sagemaker", "POST", "/", body=b'{"ModelName":"a"}')
    request.body = b'{"ModelName":"b"}'
    with pytest.raises(InvalidSignature):
        authenticate(request, "sagemaker")


def test_tampered_body_with_stale_declared_hash_is_refused() -> None:
    # S3-style signing declares the body's hash in a header; a changed body must not ride on it.
    request, _ = sign("s3", "PUT", "/bucket/key", body=b"original")
    request.body = b"tampered"
    with pytest.raises(InvalidSignature):
        AUTH.authenticate(request, hashlib.sha256(b"tampered").hexdigest())


def presign(
    service: str,
    path: str,
    *,
    expires: int = 300,
    stamp: dt.datetime | None = None,
    params: dict[str, str] | None = None,
    body: bytes = b"",
    method: str = "GET",
) -> HttpRequest:
    request = AWSRequest(method=method, url=f"http://{HOST}{path}", params=params or {}, data=body)
    signer_class = S3SigV4QueryAuth if service == "s3" else SigV4QueryAuth
    signer = signer_class(Credentials(ACCESS_KEY, SECRET), service, "us-east-1", expires=expires)
    if stamp is None:
        signer.add_auth(request)
    else:
        original = botocore.auth.get_current_datetime
        botocore.auth.get_current_datetime = lambda: stamp
        try:
            signer.add_auth(request)
        finally:
            botocore.auth.get_current_datetime = original
    prepared = request.prepare()
    return received(method, prepared.url, {"host": HOST}, body)


@pytest.mark.parametrize("path", ["/bucket/key", "/bucket/dir/a b+c%25.txt", "/bucket/%E2%82%AC"])
def test_presigned_s3_url_verifies(path: str) -> None:
    request = presign("s3", path, params={"response-content-type": "text/plain; charset=utf-8"})
    assert authenticate(request, "s3") == PRINCIPAL


def test_presigned_non_s3_url_signs_the_body() -> None:
    # Unlike S3's UNSIGNED-PAYLOAD, botocore's generic presigner hashes the (empty) body.
    request = presign("sagemaker", "/endpoints/e/invocations", method="POST")
    assert authenticate(request, "sagemaker") == PRINCIPAL
    request.body = b"4,5,6"
    with pytest.raises(InvalidSignature):
        authenticate(request, "sagemaker")


def test_presigned_url_with_changed_query_is_refused() -> None:
    request = presign("s3", "/bucket/key")
    request.query_string = request.query_string.replace("X-Amz-Expires=300", "X-Amz-Expires=3000")
    request._query = None
    with pytest.raises(InvalidSignature):
        authenticate(request, "s3")


def test_expired_presigned_url_is_access_denied() -> None:
    stamp = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=120)
    request = presign("s3", "/bucket/key", expires=60, stamp=stamp)
    with pytest.raises(AccessDenied) as caught:
        authenticate(request, "s3")
    assert caught.value.message == "Request has expired"
    assert (caught.value.s3_code, caught.value.status) == ("AccessDenied", 403)


@pytest.mark.parametrize("expires", ["0", "604801", "-5", "soon", "9" * 5000])
def test_presigned_url_with_bad_expiry_is_refused(expires: str) -> None:
    request = presign("s3", "/bucket/key")
    request.query_string = request.query_string.replace("X-Amz-Expires=300", f"X-Amz-Expires={expires}")
    request._query = None
    with pytest.raises(AccessDenied):
        authenticate(request, "s3")


def test_presigned_url_dated_in_year_9999_is_refused_not_crashed() -> None:
    request = presign("s3", "/bucket/key")
    today = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
    request.query_string = re.sub(r"X-Amz-Date=\w+", "X-Amz-Date=99991231T235959Z", request.query_string)
    request.query_string = request.query_string.replace(f"%2F{today}%2F", "%2F99991231%2F").replace(
        "X-Amz-Expires=300", "X-Amz-Expires=604800"
    )
    request._query = None
    with pytest.raises((RequestExpired, AccessDenied, InvalidSignature)):
        authenticate(request, "s3")


# --- S3 presigned URLs of signature version 2 (boto3's default for generate_presigned_url) --------


def presign_v2(
    path: str,
    *,
    method: str = "GET",
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    expires: int = 300,
    secret: str = SECRET,
) -> HttpRequest:
    request = AWSRequest(method=method, url=f"http://{HOST}{path}", params=params or {}, headers=headers or {})
    request.prepare()  # botocore signs the URL with its params already in it
    request.url = request.prepare().url
    request.params = {}
    HmacV1QueryAuth(Credentials(ACCESS_KEY, secret), expires=expires).add_auth(request)
    sent = dict(headers or {})
    return received(method, request.prepare().url, {"host": HOST, **sent}, b"")


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/bucket/key", None),
        ("/bucket/dir/a%20b%2Bc%25.txt", None),
        ("/bucket/%E2%82%AC/%C3%BC", None),
        ("/bucket/key", {"response-content-type": "text/plain; charset=utf-8", "versionId": "v 1"}),
        ("/bucket/key", {"uploadId": "abc", "partNumber": "3", "not-a-subresource": "x"}),
        ("/bucket", {"uploads": ""}),
    ],
)
def test_presigned_v2_url_verifies(path: str, params: dict[str, str] | None) -> None:
    assert authenticate(presign_v2(path, params=params), "s3") == PRINCIPAL


def test_presigned_v2_put_with_content_type_and_amz_headers_verifies() -> None:
    headers = {"Content-Type": "text/csv", "x-amz-server-side-encryption": "AES256"}
    request = presign_v2("/bucket/upload.csv", method="PUT", headers=headers)
    assert authenticate(request, "s3") == PRINCIPAL


def test_presigned_v2_failures() -> None:
    wrong = presign_v2("/bucket/key", secret="not-the-secret")
    with pytest.raises(InvalidSignature):
        authenticate(wrong, "s3")
    expired = presign_v2("/bucket/key", expires=-10)
    with pytest.raises(AccessDenied) as caught:
        authenticate(expired, "s3")
    assert caught.value.message == "Request has expired"
    moved = presign_v2("/bucket/key")
    moved.raw_path = "/bucket/other"
    with pytest.raises(InvalidSignature):
        authenticate(moved, "s3")
    unknown = presign_v2("/bucket/key")
    unknown.query_string = unknown.query_string.replace(f"AWSAccessKeyId={ACCESS_KEY}", "AWSAccessKeyId=NOBODY")
    unknown._query = None
    with pytest.raises(UnrecognizedClient):
        authenticate(unknown, "s3")


def test_presigned_v2_is_not_accepted_for_json_services() -> None:
    request = presign_v2("/")
    request.headers["x-amz-target"] = "SageMaker.ListModels"
    with pytest.raises(MissingAuthenticationToken):
        authenticate(request, "sagemaker")
