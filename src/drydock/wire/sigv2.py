"""S3's legacy presigned URLs (signature version 2), which boto3 still makes by default.

``boto3.client("s3").generate_presigned_url(...)`` without ``Config(signature_version="s3v4")`` yields
``?AWSAccessKeyId=...&Signature=...&Expires=<epoch seconds>``: a base64 HMAC-SHA1 over the method,
Content-MD5, Content-Type, the expiry, the ``x-amz-*`` headers and the resource (the path plus S3's
sub-resources such as ``uploadId`` or ``response-content-type``). AWS S3 accepts these in us-east-1
and the older regions, so a URL made by unmodified code must work here too. Only query-string
(presigned) SigV2 is accepted; every SDK signs headers with SigV4.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import unquote

from drydock.errors import AccessDenied, InvalidSignature, UnrecognizedClient
from drydock.wire.context import Principal
from drydock.wire.http import HttpRequest

#: The query parameters that are part of the signed resource (S3's "sub-resources"), as the
#: S3 documentation for signature version 2 lists them.
SUBRESOURCES = frozenset(
    {
        "accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete", "inventory", "lifecycle",
        "location", "logging", "metrics", "notification", "object-lock", "partNumber", "policy", "replication",
        "requestPayment", "response-cache-control", "response-content-disposition", "response-content-encoding",
        "response-content-language", "response-content-type", "response-expires", "restore", "select",
        "select-type", "storageClass", "tagging", "torrent", "uploadId", "uploads", "versionId", "versioning",
        "versions", "website",
    }
)  # fmt: skip


def is_presigned_v2(request: HttpRequest) -> bool:
    query = request.query_dict()
    return "AWSAccessKeyId" in query and "Signature" in query and "X-Amz-Signature" not in query


def string_to_sign(request: HttpRequest) -> str:
    """What the client signed. The presigner moves Content-MD5, Content-Type and ``x-amz-*`` headers
    into the query string, so each is read from there first and from the headers otherwise."""
    query = request.query_dict()
    lowered = {key.lower(): value for key, value in query.items()}

    def header(name: str) -> str:
        return (lowered.get(name) or request.headers.get(name, "")).strip()

    amz = {name: value for name, value in request.headers.items() if name.startswith("x-amz-")}
    amz.update({name: value for name, value in lowered.items() if name.startswith("x-amz-")})
    lines = [request.method.upper(), header("content-md5"), header("content-type"), query.get("Expires", "")]
    lines += [f"{name}:{amz[name].strip()}" for name in sorted(amz)]
    return "\n".join([*lines, canonical_resource(request)])


def canonical_resource(request: HttpRequest) -> str:
    pairs = []
    for item in request.query_string.split("&"):
        key, equals, value = item.partition("=")
        if key in SUBRESOURCES:
            pairs.append((key, f"{key}={unquote(value)}" if equals else key))
    resource = request.raw_path or "/"
    if pairs:
        resource += "?" + "&".join(text for _, text in sorted(pairs, key=lambda pair: pair[0]))
    return resource


def authenticate_presigned_v2(request: HttpRequest, secret: str | None, principal: Principal | None) -> Principal:
    """Check a SigV2 presigned URL made with ``secret``; ``None`` means the access key is unknown."""
    query = request.query_dict()
    if secret is None or principal is None:
        raise UnrecognizedClient("The AWS Access Key Id you provided does not exist in our records.")
    try:
        expires = int(query["Expires"])
    except (KeyError, ValueError):
        raise AccessDenied("Query-string authentication requires the Expires parameter") from None
    if time.time() > expires:
        raise AccessDenied("Request has expired")
    digest = hmac.new(secret.encode("utf-8"), string_to_sign(request).encode("utf-8"), hashlib.sha1).digest()
    expected = base64.b64encode(digest).decode("ascii")
    # Compared as bytes: compare_digest refuses non-ASCII text, and the query is the client's to write.
    if not hmac.compare_digest(expected.encode(), query["Signature"].encode("utf-8", "replace")):
        raise InvalidSignature(
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method."
        )
    return principal
