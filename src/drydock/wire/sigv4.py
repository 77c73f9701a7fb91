"""AWS Signature Version 4 verification, for header-signed requests and presigned URLs alike
(plus S3's SigV2 presigned URLs, which boto3 still makes by default: see ``sigv2.py``).

The server recomputes the signature the client must have made with the secret it holds for the
access key, and compares in constant time. The canonical request follows the SigV4 specification as
botocore implements it: S3 signs the path exactly as sent; every other service signs the normalised
path URI-encoded once more.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import hashlib
import hmac
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, unquote_to_bytes

from drydock.errors import (
    AccessDenied,
    InvalidSignature,
    MissingAuthenticationToken,
    RequestExpired,
    UnrecognizedClient,
)
from drydock.wire.context import Principal
from drydock.wire.http import HttpRequest
from drydock.wire.sigv2 import authenticate_presigned_v2, is_presigned_v2

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
#: A presigned URL may live at most 7 days (AWS's limit).
MAX_PRESIGN_SECONDS = 7 * 24 * 3600

_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
_AUTH_HEADER = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+)\s*,\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+)\s*,\s*Signature=(?P<signature>[0-9a-fA-F]+)"
)


@dataclass(frozen=True)
class KnownKey:
    secret_access_key: str
    principal: Principal


#: Looks up an access key id; ``None`` when the key is unknown.
KeyLookup = Callable[[str], KnownKey | None]


@dataclass(frozen=True)
class _Signed:
    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: list[str]
    signature: str
    amz_date: str
    presigned: bool
    expires: int | None


class SigV4Authenticator:
    """Implements the gateway's ``Authenticator`` port. Thread-safe and free of I/O."""

    def __init__(self, lookup: KeyLookup, clock_skew_seconds: int = 300) -> None:
        self.lookup = lookup
        self.clock_skew = dt.timedelta(seconds=clock_skew_seconds)

    def authenticate(self, request: HttpRequest, payload_sha256: str | None) -> Principal:
        if _is_s3_presigned_v2(request):
            known = self.lookup(request.query_dict()["AWSAccessKeyId"])
            if known is None:
                return authenticate_presigned_v2(request, None, None)
            return authenticate_presigned_v2(request, known.secret_access_key, known.principal)
        signed = _parse(request)
        key = self.lookup(signed.access_key_id)
        if key is None:
            raise UnrecognizedClient("The security token included in the request is invalid.")
        self._check_time(signed)
        payload = _payload(request, signed, payload_sha256)
        canonical = canonical_request(request, signed.signed_headers, payload, signed.service, signed.presigned)
        scope = f"{signed.date}/{signed.region}/{signed.service}/aws4_request"
        signing_key = derive_key(key.secret_access_key, signed.date, signed.region, signed.service)
        for encoded in _encodings(canonical):
            string_to_sign = "\n".join([ALGORITHM, signed.amz_date, scope, hashlib.sha256(encoded).hexdigest()])
            expected = hmac.digest(signing_key, string_to_sign.encode("utf-8"), "sha256").hex()
            # Bytes, not text: a presigned URL's signature is the client's to write, and compare_digest
            # raises on non-ASCII text.
            if hmac.compare_digest(expected.encode(), signed.signature.lower().encode("utf-8", "replace")):
                return key.principal
        raise InvalidSignature(
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method (run `drydock env`)."
        )

    def _check_time(self, signed: _Signed) -> None:
        try:
            when = _basic_iso(signed.amz_date)
        except ValueError:
            raise InvalidSignature(f"X-Amz-Date {signed.amz_date!r} is not in the form YYYYMMDDTHHMMSSZ") from None
        if not signed.amz_date.startswith(signed.date):
            raise InvalidSignature("The credential scope date does not match X-Amz-Date")
        now = dt.datetime.now(dt.UTC)
        if signed.presigned:
            expires = signed.expires or 0
            if expires <= 0 or expires > MAX_PRESIGN_SECONDS:
                raise AccessDenied(f"X-Amz-Expires must be between 1 and {MAX_PRESIGN_SECONDS} seconds")
            # Compared as an age, not as when + expires: a signing date in year 9999 must not overflow.
            if (now - when).total_seconds() > expires:
                raise AccessDenied("Request has expired")
            if when - now > self.clock_skew:
                raise RequestExpired("Request is not yet valid: its X-Amz-Date is in the future")
            return
        if abs(now - when) > self.clock_skew:
            raise RequestExpired(
                f"Signature expired: {signed.amz_date} is now earlier or later than the allowed "
                f"{int(self.clock_skew.total_seconds())} s of clock skew "
                f"(server time {now.strftime('%Y%m%dT%H%M%SZ')})."
            )


def _parse(request: HttpRequest) -> _Signed:
    header = request.headers.get("authorization")
    if header:
        match = _AUTH_HEADER.match(header.strip())
        if match is None:
            raise InvalidSignature("Authorization header is not a valid AWS4-HMAC-SHA256 signature")
        amz_date = request.headers.get("x-amz-date") or _from_date_header(request.headers.get("date", ""))
        return _signed(match["credential"], match["signed"], match["signature"], amz_date, False, None)
    query = request.query_dict()
    if "X-Amz-Signature" in query:
        if query.get("X-Amz-Algorithm") != ALGORITHM:
            raise InvalidSignature("X-Amz-Algorithm must be AWS4-HMAC-SHA256")
        try:
            expires = int(query.get("X-Amz-Expires", "0"))
        except ValueError:
            raise AccessDenied("X-Amz-Expires must be a number of seconds") from None
        return _signed(
            query.get("X-Amz-Credential", ""),
            query.get("X-Amz-SignedHeaders", ""),
            query["X-Amz-Signature"],
            query.get("X-Amz-Date", ""),
            True,
            expires,
        )
    raise MissingAuthenticationToken(
        "Request is missing Authentication Token: sign it with SigV4 (run `drydock env` for credentials)."
    )


def _signed(credential: str, signed: str, sig: str, amz_date: str, presigned: bool, expires: int | None) -> _Signed:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise InvalidSignature("Credential must be <AccessKeyId>/<date>/<region>/<service>/aws4_request")
    if not amz_date:
        raise InvalidSignature("The request has no X-Amz-Date")
    headers = [h for h in signed.lower().split(";") if h]
    if "host" not in headers:
        raise InvalidSignature("SignedHeaders must include host")
    return _Signed(parts[0], parts[1], parts[2], parts[3], headers, sig, amz_date, presigned, expires)


def _is_s3_presigned_v2(request: HttpRequest) -> bool:
    # Only S3 takes SigV2, and the gateway routes such a URL (no Authorization header, no
    # X-Amz-Target) nowhere but to S3.
    return (
        not request.headers.get("authorization")
        and not request.headers.get("x-amz-target")
        and is_presigned_v2(request)
    )


def _from_date_header(value: str) -> str:
    """SigV4 lets a client sign an RFC 1123 ``Date`` header instead of ``X-Amz-Date`` (botocore does
    when the caller set ``Date``); the string to sign still carries the ISO basic form."""
    if not value:
        return ""
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return ""
    return parsed.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _payload(request: HttpRequest, signed: _Signed, computed: str | None) -> str:
    """The payload line of the canonical request.

    A presigned S3 URL cannot know its body, so it signs ``UNSIGNED-PAYLOAD`` (or a hash in the
    query); every other request signs the body's SHA-256, which the client may also declare in
    ``x-amz-content-sha256`` (S3 always does). A declared hash that differs from the body actually
    received means the body was changed after signing: AWS rejects that (S3 names it
    XAmzContentSHA256Mismatch), and so do we, since otherwise the signature would cover the old body.
    """
    if signed.presigned and signed.service == "s3":
        return request.query_dict().get("X-Amz-Content-Sha256", UNSIGNED_PAYLOAD)
    declared = request.headers.get("x-amz-content-sha256")
    if declared and computed and _SHA256_HEX.fullmatch(declared) and declared.lower() != computed:
        raise InvalidSignature("The provided 'x-amz-content-sha256' header does not match what was computed.")
    return declared or computed or UNSIGNED_PAYLOAD


def _encodings(canonical: str) -> list[bytes]:
    """The byte forms of the canonical request a genuine client may have hashed.

    Header values reach us as raw bytes, decoded as latin-1. botocore signs a non-ASCII header value
    as UTF-8 text but http.client sends it latin-1 encoded; SDKs that build headers from bytes (Go,
    Java, Rust) sign exactly the bytes they send. Both are honest signatures by the key holder, so a
    request that is not pure ASCII is checked under both readings.
    """
    encoded = [canonical.encode("utf-8")]
    if not canonical.isascii():
        with contextlib.suppress(UnicodeEncodeError):
            encoded.append(canonical.encode("latin-1"))
    return encoded


def canonical_request(
    request: HttpRequest, signed_headers: list[str], payload: str, service: str, presigned: bool
) -> str:
    return "\n".join(
        [
            request.method.upper(),
            canonical_uri(request.raw_path, service),
            canonical_query(request.query_string, drop_signature=presigned),
            "".join(f"{name}:{_trim(request.headers.get(name, ''))}\n" for name in signed_headers),
            ";".join(signed_headers),
            payload,
        ]
    )


def canonical_uri(raw_path: str, service: str) -> str:
    if service == "s3":
        # S3 signs the path as sent, without normalising "." or "//" (keys may contain them).
        return raw_path or "/"
    return _normalised_uri(raw_path)


@lru_cache(maxsize=1024)
def _normalised_uri(raw_path: str) -> str:
    """Every service but S3 signs the normalised path URI-encoded once more. Cached: a client calls
    the same few paths over and over (an endpoint's ``/invocations``), and this costs ~10 µs."""
    path = raw_path or "/"
    normalised = posixpath.normpath(path)
    if path.endswith("/") and normalised != "/":
        normalised += "/"
    if normalised.startswith("//"):
        normalised = "/" + normalised.lstrip("/")
    return quote(normalised.encode("latin-1", "replace"), safe="/~")


def canonical_query(query_string: str, *, drop_signature: bool) -> str:
    pairs: list[tuple[str, str]] = []
    for item in query_string.split("&"):
        if not item:
            continue
        key, _, value = item.partition("=")
        # Decoded to bytes, not text: "%FF" is not UTF-8 and must re-encode as "%FF", and raw
        # (unescaped) bytes arrive latin-1 decoded. A "+" is a space, as urlencode writes it and as
        # botocore signs it (%20) when it builds a request from params.
        raw_key = unquote_to_bytes(key.replace("+", "%20").encode("latin-1", "replace"))
        raw_value = unquote_to_bytes(value.replace("+", "%20").encode("latin-1", "replace"))
        if drop_signature and raw_key == b"X-Amz-Signature":
            continue
        pairs.append((quote(raw_key, safe="-_.~"), quote(raw_value, safe="-_.~")))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


_BASIC_ISO = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z")


@lru_cache(maxsize=64)  # one X-Amz-Date serves every request signed in the same second
def _basic_iso(text: str) -> dt.datetime:
    """``YYYYMMDDTHHMMSSZ`` → aware datetime; ``ValueError`` otherwise (strptime is 10x slower)."""
    match = _BASIC_ISO.fullmatch(text)
    if match is None:
        raise ValueError(text)
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)


@lru_cache(maxsize=256)
def derive_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The signing key; it changes once a day per region and service, so it is cached."""
    key = _hmac(f"AWS4{secret}".encode(), date)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    return key


def signature(secret: str, date: str, region: str, service: str, string_to_sign: str) -> str:
    key = derive_key(secret, date, region, service)
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


@lru_cache(maxsize=1024)  # signed header values repeat: host, content-type, the second's X-Amz-Date
def _trim(value: str) -> str:
    return " ".join(value.split())
