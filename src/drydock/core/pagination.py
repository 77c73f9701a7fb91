"""Opaque NextTokens for keyset pagination.

A token carries the sort key of the last item returned plus a fingerprint of the query it belongs
to, so a token reused with different filters is rejected instead of silently skipping items, and
items created between pages never shift the window (offset tokens would).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from drydock.errors import ValidationError


@dataclass(frozen=True)
class PageToken:
    fingerprint: str
    after: list[Any]


def fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, default=str, sort_keys=True).encode()).hexdigest()[:16]


def encode_token(token: PageToken) -> str:
    raw = json.dumps({"f": token.fingerprint, "a": token.after}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii")


def decode_token(text: str, expected_fingerprint: str) -> PageToken:
    try:
        raw = json.loads(base64.urlsafe_b64decode(text.encode("ascii")))
        token = PageToken(fingerprint=str(raw["f"]), after=list(raw["a"]))
    except (ValueError, KeyError, TypeError, UnicodeEncodeError):
        raise ValidationError("Invalid pagination token: pass back the NextToken of a previous page") from None
    if token.fingerprint != expected_fingerprint:
        raise ValidationError("Invalid pagination token: it belongs to a request with other parameters")
    return token
