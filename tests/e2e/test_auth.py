"""SigV4 against the live server: every failure is a 403 in the shape of the protocol it came in on,
and botocore reads the AWS error code from it.

Requests boto3 cannot make (a stale date, a garbled header, UTF-8 header bytes) are signed with
botocore's own signer and sent with httpx, so the server sees exactly what a misbehaving client sends.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import botocore.auth
import httpx
import pytest
from botocore import UNSIGNED
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from drydock.testing.live_server import ACCESS_KEY, REGION, SECRET_KEY, LiveServer

ACCOUNT = "000000000000"
NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"})
#: boto3 presigns S3 URLs with SigV2 unless told otherwise; these tests are about SigV4 presigning.
S3_SIGV4 = Config(signature_version="s3v4", retries={"max_attempts": 1, "mode": "standard"})


# --- helpers -------------------------------------------------------------------------------------


def send_signed(
    server: LiveServer,
    service: str,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    params: dict[str, str] | None = None,
    secret: str = SECRET_KEY,
    stamp: dt.datetime | None = None,
) -> httpx.Response:
    """Sign with botocore (optionally as of ``stamp``) and send the bytes with httpx."""
    request = AWSRequest(method=method, url=server.url + path, params=params or {}, headers=headers or {}, data=body)
    signer = (S3SigV4Auth if service == "s3" else SigV4Auth)(Credentials(ACCESS_KEY, secret), service, REGION)
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
    # http.client (botocore's transport) sends str header values latin-1 encoded; so do we.
    wire_headers = [(k, v if isinstance(v, bytes) else v.encode("latin-1")) for k, v in prepared.headers.items()]
    return httpx.request(method, prepared.url, headers=wire_headers, content=body, timeout=10)


class ApiCall:
    """One boto3 call, with its client at hand to hook events on."""

    def __init__(self, client: Any, call: Callable[[Any], Any]) -> None:
        self.client = client
        self.call = call

    def __call__(self) -> Any:
        return self.call(self.client)


def sagemaker_call(server: LiveServer, **client_args: Any) -> ApiCall:
    return ApiCall(server.client("sagemaker", **client_args), lambda client: client.list_models(MaxResults=1))


def runtime_call(server: LiveServer, **client_args: Any) -> ApiCall:
    return ApiCall(
        server.client("sagemaker-runtime", **client_args),
        lambda client: client.invoke_endpoint(EndpointName="no-such-endpoint", Body=b"1,2,3", ContentType="text/csv"),
    )


def error_of(call: Callable[[], Any]) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def assert_json_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["x-amzn-requestid"]
    body = response.json()
    assert body["__type"] == code
    assert body["message"]
    return dict(body)


CALLS = {"sagemaker (json 1.1)": sagemaker_call, "sagemaker-runtime (rest-json)": runtime_call}


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[dt.timedelta], None]]:
    """Makes botocore sign as if its clock were off by the given amount."""

    def shift(offset: dt.timedelta) -> None:
        stamp = dt.datetime.now(dt.UTC) + offset
        monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: stamp)

    yield shift


# --- JSON 1.1 and rest-json: boto3 clients ----------------------------------------------------------


def test_valid_signatures_are_served(server: LiveServer) -> None:
    assert "Models" in sagemaker_call(server)()
    # The runtime verifies the signature, then answers for the endpoint exactly as AWS does.
    assert error_of(runtime_call(server)) == (
        400,
        "ValidationError",
        f"Endpoint no-such-endpoint of account {ACCOUNT} not found.",
    )


@pytest.mark.parametrize("make_call", CALLS.values(), ids=CALLS.keys())
def test_wrong_secret_is_invalid_signature(server: LiveServer, make_call: Any) -> None:
    status, code, message = error_of(make_call(server, aws_secret_access_key="not-the-secret"))
    assert (status, code) == (403, "InvalidSignatureException")
    assert "signature we calculated does not match" in message


@pytest.mark.parametrize("make_call", CALLS.values(), ids=CALLS.keys())
def test_unknown_access_key_is_unrecognized_client(server: LiveServer, make_call: Any) -> None:
    status, code, message = error_of(make_call(server, aws_access_key_id="AKIDNOSUCHKEY0000000"))
    assert (status, code) == (403, "UnrecognizedClientException")
    assert message == "The security token included in the request is invalid."


@pytest.mark.parametrize("make_call", CALLS.values(), ids=CALLS.keys())
def test_missing_authorization_is_missing_token(server: LiveServer, make_call: Any) -> None:
    unsigned = Config(signature_version=UNSIGNED, retries={"max_attempts": 1, "mode": "standard"})
    status, code, _ = error_of(make_call(server, config=unsigned))
    assert (status, code) == (403, "MissingAuthenticationTokenException")


@pytest.mark.parametrize(
    "garble",
    [
        lambda value: value.replace("Signature=", "Signature=zz"),
        lambda value: value.split(",")[0],
        lambda value: "AWS4-HMAC-SHA256 garbage",
        lambda value: value.replace("/aws4_request", "/aws5_request"),
        lambda value: value.replace("SignedHeaders=", "SignedHeaders=x-not-sent;"),
    ],
    ids=["bad-hex", "truncated", "garbage", "bad-scope", "unsent-header"],
)
@pytest.mark.parametrize("make_call", CALLS.values(), ids=CALLS.keys())
def test_garbled_authorization_is_refused(server: LiveServer, make_call: Any, garble: Any) -> None:
    call = make_call(server)

    def tamper(request: Any, **_: Any) -> None:
        request.headers["Authorization"] = garble(request.headers["Authorization"].decode())

    call.client.meta.events.register("before-send", tamper)
    status, code, _ = error_of(call)
    assert (status, code) == (403, "InvalidSignatureException")


@pytest.mark.parametrize("minutes", [-6, 6, -24 * 60])
@pytest.mark.parametrize("make_call", CALLS.values(), ids=CALLS.keys())
def test_date_outside_clock_skew_is_refused(
    server: LiveServer, make_call: Any, frozen_clock: Any, minutes: int
) -> None:
    frozen_clock(dt.timedelta(minutes=minutes))
    status, code, message = error_of(make_call(server))
    assert (status, code) == (403, "InvalidSignatureException")
    assert message.startswith("Signature expired")


def test_date_inside_clock_skew_is_accepted(server: LiveServer, frozen_clock: Any) -> None:
    frozen_clock(dt.timedelta(minutes=-4))
    assert "Models" in sagemaker_call(server)()


def test_crafted_stale_request_is_refused(server: LiveServer) -> None:
    stale = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    headers = {"X-Amz-Target": "SageMaker.ListModels", "Content-Type": "application/x-amz-json-1.1"}
    response = send_signed(server, "sagemaker", "POST", "/", headers=headers, body=b"{}", stamp=stale)
    assert "Signature expired" in assert_json_error(response, 403, "InvalidSignatureException")["message"]
    fresh = send_signed(server, "sagemaker", "POST", "/", headers=headers, body=b"{}")
    assert fresh.status_code == 200


@pytest.mark.parametrize("make_call", CALLS.values(), ids=CALLS.keys())
def test_body_changed_after_signing_is_refused(server: LiveServer, make_call: Any) -> None:
    call = make_call(server)

    def tamper(request: Any, **_: Any) -> None:
        request.body = request.body.replace(b"1", b"9")

    call.client.meta.events.register("before-send", tamper)
    status, code, _ = error_of(call)
    assert (status, code) == (403, "InvalidSignatureException")


# --- unusual but honest requests verify -------------------------------------------------------------


def test_non_ascii_header_value_from_boto3_verifies(server: LiveServer) -> None:
    client = server.client("sagemaker")

    def add_header(request: Any, **_: Any) -> None:
        request.headers["X-Drydock-Note"] = "café crème"

    client.meta.events.register("before-sign.sagemaker.ListModels", add_header)
    assert "Models" in client.list_models()


def test_utf8_header_bytes_signed_as_bytes_verify(server: LiveServer) -> None:
    # What the Go and Java SDKs do: sign exactly the bytes they send.
    amz_date = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    host = server.url.removeprefix("http://")
    note = "naïve ☃".encode()
    body = b"{}"
    canonical = b"\n".join(
        [
            b"POST",
            b"/",
            b"",
            b"host:" + host.encode(),
            b"x-amz-date:" + amz_date.encode(),
            b"x-amz-target:SageMaker.ListModels",
            b"x-note:" + note,
            b"",
            b"host;x-amz-date;x-amz-target;x-note",
            hashlib.sha256(body).hexdigest().encode(),
        ]
    )
    scope = f"{amz_date[:8]}/{REGION}/sagemaker/aws4_request"
    to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(canonical).hexdigest()}"
    key = f"AWS4{SECRET_KEY}".encode()
    for part in (amz_date[:8], REGION, "sagemaker", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers = [
        (
            b"Authorization",
            f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{scope}, "
            f"SignedHeaders=host;x-amz-date;x-amz-target;x-note, Signature={signature}".encode(),
        ),
        (b"X-Amz-Date", amz_date.encode()),
        (b"X-Amz-Target", b"SageMaker.ListModels"),
        (b"X-Note", note),
        (b"Content-Type", b"application/x-amz-json-1.1"),
    ]
    response = httpx.post(server.url + "/", headers=headers, content=body, timeout=10)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "params",
    [
        {"q": "a b+c"},
        {"weird key": "100% / ~ * ' ( ) ! ; : @ & = $ ,"},
        {"unicode": "€ ü 😀"},
        {"empty": ""},
        {"b": "2", "a": "1", "A": "0"},
    ],
)
def test_query_strings_with_special_characters_verify(server: LiveServer, params: dict[str, str]) -> None:
    # Signed as the runtime: the signature holds, so the answer is the runtime's, not a 403.
    response = send_signed(
        server, "sagemaker", "POST", "/endpoints/no-such-endpoint/invocations", params=params, body=b"x"
    )
    body = assert_json_error(response, 400, "ValidationError")
    assert response.headers["x-amzn-errortype"] == "ValidationError"
    assert body["message"] == f"Endpoint no-such-endpoint of account {ACCOUNT} not found."


def test_unknown_path_under_sagemaker_scope_is_unknown_operation(server: LiveServer) -> None:
    response = send_signed(server, "sagemaker", "GET", "/no/such/path")
    assert_json_error(response, 404, "UnknownOperationException")
    assert response.headers["x-amzn-errortype"] == "UnknownOperationException"


# --- presigned URLs ---------------------------------------------------------------------------------


def test_presigned_runtime_url_verifies(server: LiveServer) -> None:
    runtime = server.client("sagemaker-runtime")
    url = runtime.generate_presigned_url(
        "invoke_endpoint", Params={"EndpointName": "no-such-endpoint", "Body": b""}, ExpiresIn=60
    )
    response = httpx.post(url, timeout=10)
    assert assert_json_error(response, 400, "ValidationError")["message"].startswith("Endpoint no-such-endpoint")


def test_expired_presigned_runtime_url_is_access_denied(server: LiveServer, frozen_clock: Any) -> None:
    frozen_clock(dt.timedelta(minutes=-2))
    runtime = server.client("sagemaker-runtime")
    url = runtime.generate_presigned_url(
        "invoke_endpoint", Params={"EndpointName": "no-such-endpoint", "Body": b""}, ExpiresIn=60
    )
    response = httpx.post(url, timeout=10)
    assert assert_json_error(response, 403, "AccessDeniedException")["message"] == "Request has expired"


# --- S3 answers in XML with its own codes -------------------------------------------------------------


@pytest.fixture(scope="module")
def bucket(server: LiveServer) -> str:
    name = f"auth-{uuid.uuid4().hex[:12]}"
    server.client("s3").create_bucket(Bucket=name)
    return name


def s3_error_of(call: Callable[[], Any]) -> tuple[int, str]:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["ResponseMetadata"]["HTTPStatusCode"], caught.value.response["Error"]["Code"]


def test_s3_wrong_secret_unknown_key_and_unsigned(server: LiveServer, bucket: str) -> None:
    wrong = server.client("s3", aws_secret_access_key="not-the-secret")
    assert s3_error_of(lambda: wrong.list_objects_v2(Bucket=bucket)) == (403, "SignatureDoesNotMatch")
    unknown = server.client("s3", aws_access_key_id="AKIDNOSUCHKEY0000000")
    assert s3_error_of(lambda: unknown.list_objects_v2(Bucket=bucket)) == (403, "InvalidAccessKeyId")
    anonymous = server.client("s3", config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))
    assert s3_error_of(lambda: anonymous.list_objects_v2(Bucket=bucket)) == (403, "AccessDenied")


def test_s3_skewed_clock_is_request_time_too_skewed(server: LiveServer, bucket: str, frozen_clock: Any) -> None:
    frozen_clock(dt.timedelta(minutes=-10))
    client = server.client("s3")
    assert s3_error_of(lambda: client.list_objects_v2(Bucket=bucket)) == (403, "RequestTimeTooSkewed")


def test_s3_body_changed_after_signing_is_refused(server: LiveServer, bucket: str) -> None:
    client = server.client("s3")

    def tamper(request: Any, **_: Any) -> None:
        request.body = b"tampered"

    client.meta.events.register("before-send.s3.PutObject", tamper)
    status, code = s3_error_of(lambda: client.put_object(Bucket=bucket, Key="k", Body=b"original"))
    assert status in (400, 403) and code in ("XAmzContentSHA256Mismatch", "SignatureDoesNotMatch", "BadDigest")
    assert s3_error_of(lambda: client.head_object(Bucket=bucket, Key="k"))[0] == 404


@pytest.mark.parametrize("key", ["plain.txt", "dir/with space+plus%percent.csv", "unicode/données-€.bin", "a//b/"])
def test_s3_presigned_get_verifies(server: LiveServer, bucket: str, key: str) -> None:
    client = server.client("s3", config=S3_SIGV4)
    client.put_object(Bucket=bucket, Key=key, Body=key.encode())
    url = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=60)
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200, response.text
    assert response.content == key.encode()


def test_s3_expired_and_tampered_presigned_urls(server: LiveServer, bucket: str, frozen_clock: Any) -> None:
    client = server.client("s3", config=S3_SIGV4)
    client.put_object(Bucket=bucket, Key="secret.txt", Body=b"x")
    url = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "secret.txt"}, ExpiresIn=60)
    tampered = httpx.get(url.replace("secret.txt", "secret.txs"), timeout=10)
    assert tampered.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in tampered.content
    frozen_clock(dt.timedelta(minutes=-2))
    expired_url = client.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "secret.txt"}, ExpiresIn=60
    )
    expired = httpx.get(expired_url, timeout=10)
    assert expired.status_code == 403
    assert b"<Code>AccessDenied</Code>" in expired.content and b"Request has expired" in expired.content


# --- STS (query protocol) names them its own way ------------------------------------------------------


def test_sts_auth_failures_use_query_codes(server: LiveServer) -> None:
    wrong = server.client("sts", aws_secret_access_key="not-the-secret")
    assert error_of(wrong.get_caller_identity)[:2] == (403, "SignatureDoesNotMatch")
    unknown = server.client("sts", aws_access_key_id="AKIDNOSUCHKEY0000000")
    assert error_of(unknown.get_caller_identity)[:2] == (403, "InvalidClientTokenId")


def test_json_error_bodies_are_json(server: LiveServer) -> None:
    response = send_signed(
        server, "sagemaker", "POST", "/", headers={"X-Amz-Target": "SageMaker.ListModels"}, body=b"{}", secret="wrong"
    )
    assert response.headers["content-type"].startswith("application/x-amz-json-1.1")
    assert json.loads(response.content)["__type"] == "InvalidSignatureException"


def test_s3_default_presigned_urls_signature_v2_work(server: LiveServer, bucket: str) -> None:
    # boto3 presigns S3 with signature version 2 unless configured otherwise; AWS accepts those.
    client = server.client("s3")
    key = "v2/données et+plus%.txt"
    put_url = client.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": key, "ContentType": "text/plain"}, ExpiresIn=60
    )
    assert "AWSAccessKeyId=" in put_url and "X-Amz-Signature" not in put_url
    put = httpx.put(put_url, content=b"via v2", headers={"Content-Type": "text/plain"}, timeout=10)
    assert put.status_code == 200, put.text
    get_url = client.generate_presigned_url(
        "get_object",
        Params={"Bucket": bucket, "Key": key, "ResponseContentType": "application/x-test; q=1"},
        ExpiresIn=60,
    )
    got = httpx.get(get_url, timeout=10)
    assert got.status_code == 200, got.text
    assert got.content == b"via v2"
    wrong = server.client("s3", aws_secret_access_key="not-the-secret").generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=60
    )
    refused = httpx.get(wrong, timeout=10)
    assert refused.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in refused.content
    expired = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=-5)
    gone = httpx.get(expired, timeout=10)
    assert gone.status_code == 403 and b"Request has expired" in gone.content
