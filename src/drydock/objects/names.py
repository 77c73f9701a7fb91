"""Which bucket names and keys S3 accepts (S3 User Guide, "Bucket naming rules", "Object keys")."""

from __future__ import annotations

import ipaddress
import re

from drydock.objects.failures import invalid_argument, invalid_bucket_name, key_too_long

MAX_KEY_BYTES = 1024
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def check_bucket_name(name: str) -> None:
    """Raise ``InvalidBucketName`` unless ``name`` follows S3's general-purpose bucket rules."""
    if not 3 <= len(name) <= 63:
        raise invalid_bucket_name(name, "bucket names must be between 3 and 63 characters long")
    if not _BUCKET.match(name):
        raise invalid_bucket_name(
            name,
            "use only lowercase letters, digits, dots and hyphens, and begin and end with a letter or digit",
        )
    if ".." in name or ".-" in name or "-." in name:
        raise invalid_bucket_name(name, "dots may not be adjacent to each other or to a hyphen")
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        pass
    else:
        raise invalid_bucket_name(name, "bucket names must not be formatted as an IP address")
    if name.startswith(_RESERVED_PREFIXES) or name.endswith(_RESERVED_SUFFIXES):
        raise invalid_bucket_name(name, "the name uses a prefix or suffix S3 reserves")


def check_key(key: str) -> None:
    """Raise unless ``key`` is a storable S3 key: 1 to 1024 bytes of UTF-8.

    S3 allows any UTF-8 character; the one exception here is NUL, which neither XML 1.0 listings nor
    PostgreSQL text can carry.
    """
    if not key:
        raise invalid_argument("An object key must not be empty")
    try:
        encoded = key.encode("utf-8")
    except UnicodeEncodeError:
        raise invalid_argument("Object keys must be valid UTF-8") from None
    if len(encoded) > MAX_KEY_BYTES:
        raise key_too_long(key)
    if "\x00" in key:
        raise invalid_argument("Object keys must not contain the NUL character")
