"""NextTokens: opaque, round-trippable, bound to the query that made them, and never a 500 when forged."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drydock.core.pagination import PageToken, decode_token, encode_token, fingerprint
from drydock.errors import ValidationError

POSITIONS = st.lists(st.one_of(st.none(), st.text(max_size=300), st.integers()), max_size=3)


@given(stamp=st.text(min_size=1, max_size=20), after=POSITIONS)
def test_a_token_decodes_to_what_was_encoded(stamp: str, after: list[object]) -> None:
    text = encode_token(PageToken(stamp, after))
    assert text.isascii() and "\n" not in text
    assert decode_token(text, stamp) == PageToken(stamp, after)


def test_tokens_fit_sagemakers_next_token_limit() -> None:
    # PaginationToken allows 8192 characters; the longest position we store is a name plus an ARN.
    longest = encode_token(PageToken(fingerprint("x"), ["n" * 256, "arn:" + "a" * 2048]))
    assert len(longest) < 8192


def test_a_token_for_another_query_is_rejected() -> None:
    text = encode_token(PageToken(fingerprint("model", "a"), ["x", "arn"]))
    with pytest.raises(ValidationError, match="other parameters"):
        decode_token(text, fingerprint("model", "b"))


def test_fingerprint_is_stable_and_tells_queries_apart() -> None:
    when = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    assert fingerprint("model", "abc", when, True) == fingerprint("model", "abc", when, True)
    variants = {
        fingerprint("model", "abc", when, True),
        fingerprint("model", "abc", when, False),
        fingerprint("model", "abd", when, True),
        fingerprint("endpoint", "abc", when, True),
        fingerprint("model", "abc", when + dt.timedelta(microseconds=1), True),
        fingerprint("model", None, when, True),
    }
    assert len(variants) == 6


def _raw(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


@pytest.mark.parametrize(
    "text",
    ["", "not base64!", "ünïcode", _raw([1, 2]), _raw({"f": "x"}), _raw({"a": []}), _raw({"f": "x", "a": 5}), "e30="],
)
def test_garbage_is_a_validation_error(text: str) -> None:
    with pytest.raises(ValidationError, match="Invalid pagination token"):
        decode_token(text, "x")


@given(st.text(max_size=100))
def test_no_string_makes_decoding_crash(text: str) -> None:
    # Whatever the client sends, the answer is a 400 ValidationException, never an unhandled error.
    with pytest.raises(ValidationError):
        decode_token(text, "expected")
