"""AWS Signature Version 4 verification, for header-signed requests and presigned URLs alike.

The server recomputes the signature the client must have made with the secret it holds for the
access key, and compares in constant time. The canonical request follows the SigV4 specification as
botocore implements it: S3 signs the path exactly as sent; every other service signs the normalised
path URI-encoded once more.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote

from drydock.errors import (
    AccessDenied,
    InvalidSignature,
    MissingAuthenticationToken,
    RequestExpired,
    UnrecognizedClient,
)
from drydock.wire.context import Principal
from drydock.wire.http import HttpRequest

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
#: A presigned URL may live at most 7 days (AWS's limit).
MAX_PRESIGN_SECONDS = 7 * 24 * 3600

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
        signed = _parse(request)
        key = self.lookup(signed.access_key_id)
        if key is None:
            raise UnrecognizedClient("The security token included in the request is invalid.")
        self._check_time(signed)
        if signed.presigned:
            payload = request.query_dict().get("X-Amz-Content-Sha256", UNSIGNED_PAYLOAD)
        else:
            payload = request.headers.get("x-amz-content-sha256") or payload_sha256 or UNSIGNED_PAYLOAD
        canonical = canonical_request(request, signed.signed_headers, payload, signed.service, signed.presigned)
        scope = f"{signed.date}/{signed.region}/{signed.service}/aws4_request"
        string_to_sign = "\n".join(
            [ALGORITHM, signed.amz_date, scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest()]
        )
        expected = signature(key.secret_access_key, signed.date, signed.region, signed.service, string_to_sign)
        if not hmac.compare_digest(expected, signed.signature.lower()):
            raise InvalidSignature(
                "The request signature we calculated does not match the signature you provided. "
                "Check your AWS Secret Access Key and signing method (run `drydock env`)."
            )
        return key.principal

    def _check_time(self, signed: _Signed) -> None:
        try:
            when = dt.datetime.strptime(signed.amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
        except ValueError:
            raise InvalidSignature(f"X-Amz-Date {signed.amz_date!r} is not in the form YYYYMMDDTHHMMSSZ") from None
        if not signed.amz_date.startswith(signed.date):
            raise InvalidSignature("The credential scope date does not match X-Amz-Date")
        now = dt.datetime.now(dt.UTC)
        if signed.presigned:
            expires = signed.expires or 0
            if expires <= 0 or expires > MAX_PRESIGN_SECONDS:
                raise AccessDenied(f"X-Amz-Expires must be between 1 and {MAX_PRESIGN_SECONDS} seconds")
            if now > when + dt.timedelta(seconds=expires):
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
        amz_date = request.headers.get("x-amz-date") or ""
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
    path = raw_path or "/"
    normalised = posixpath.normpath(path)
    if path.endswith("/") and normalised != "/":
        normalised += "/"
    if normalised.startswith("//"):
        normalised = "/" + normalised.lstrip("/")
    return quote(normalised, safe="/~")


def canonical_query(query_string: str, *, drop_signature: bool) -> str:
    pairs: list[tuple[str, str]] = []
    for item in query_string.split("&"):
        if not item:
            continue
        key, _, value = item.partition("=")
        key, value = unquote(key.replace("+", "%20")), unquote(value.replace("+", "%20"))
        if drop_signature and key == "X-Amz-Signature":
            continue
        pairs.append((quote(key, safe="-_.~"), quote(value, safe="-_.~")))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def signature(secret: str, date: str, region: str, service: str, string_to_sign: str) -> str:
    key = _hmac(f"AWS4{secret}".encode(), date)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def _trim(value: str) -> str:
    return " ".join(value.split())
