"""The tokens of the Logs API.

GetLogEvents answers two tokens on every page, ``nextForwardToken`` and ``nextBackwardToken``
(``f/...`` and ``b/...`` as in AWS). Each names a position in the stream's ``(timestamp, id)`` order and
a direction; a page with no events hands the same token back, which is how clients tail a stream.
Describe* and FilterLogEvents use opaque keyset tokens bound to the request's parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from drydock.core.pagination import PageToken, decode_token, encode_token
from drydock.errors import LogsInvalidParameter, ValidationError
from drydock.store.log_events import EventPosition

INVALID_TOKEN = "The specified nextToken is invalid."
#: Positions and keys in tokens fit a 64-bit column; anything larger is a forged token.
MAX_TOKEN_INT = 2**62


class Direction(StrEnum):
    FORWARD = "f"
    BACKWARD = "b"


@dataclass(frozen=True)
class StreamToken:
    direction: Direction
    position: EventPosition

    def encode(self) -> str:
        return f"{self.direction}/{self.position.timestamp}/{self.position.id}"

    @classmethod
    def decode(cls, text: str) -> StreamToken:
        parts = text.split("/")
        try:
            direction = Direction(parts[0])
            timestamp, event_id = int(parts[1]), int(parts[2])
        except (ValueError, IndexError):
            raise LogsInvalidParameter(INVALID_TOKEN) from None
        if len(parts) != 3 or not (_fits(timestamp, int) and _fits(event_id, int)):
            raise LogsInvalidParameter(INVALID_TOKEN)
        return cls(direction, EventPosition(timestamp, event_id))


def forward(position: EventPosition) -> str:
    return StreamToken(Direction.FORWARD, position).encode()


def backward(position: EventPosition) -> str:
    return StreamToken(Direction.BACKWARD, position).encode()


def page_token(stamp: str, after: list[Any]) -> str:
    return encode_token(PageToken(stamp, after))


def page_after(text: str, stamp: str, *kinds: type) -> list[Any]:
    """The ``after`` values of a token from :func:`page_token`, checked against ``kinds``.

    A foreign, stale or forged token is CloudWatch's InvalidParameterException, never a 500.
    """
    try:
        after = decode_token(text, stamp).after
    except ValidationError:
        raise LogsInvalidParameter(INVALID_TOKEN) from None
    if len(after) != len(kinds) or not all(_fits(value, kind) for value, kind in zip(after, kinds, strict=True)):
        raise LogsInvalidParameter(INVALID_TOKEN)
    return after


def _fits(value: Any, kind: type) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool) and abs(value) < MAX_TOKEN_INT
    return isinstance(value, kind)
