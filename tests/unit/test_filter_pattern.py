"""CloudWatch Logs filter patterns for unstructured events."""

from __future__ import annotations

import pytest

from drydock.errors import LogsInvalidParameter
from drydock.services.logs.filter_pattern import FilterPattern


@pytest.mark.parametrize(
    ("pattern", "message", "expected"),
    [
        ("", "anything", True),
        ("ERROR", "an ERROR here", True),
        ("ERROR", "an error here", False),  # case-sensitive, as CloudWatch is
        ("ERROR disk", "disk ERROR", True),
        ("ERROR disk", "ERROR memory", False),
        ('"disk full"', "the disk full now", True),
        ('"disk full"', "full disk", False),
        ('"say \\"hi\\""', 'they say "hi"', True),
        ("?WARN ?ERROR", "a WARN", True),
        ("?WARN ?ERROR", "an INFO", False),
        ("ERROR -retry", "ERROR then retry", False),
        ("ERROR -retry", "ERROR fatal", True),
        ('-"not this"', "yes this", True),
    ],
)
def test_matches(pattern: str, message: str, expected: bool) -> None:
    assert FilterPattern.parse(pattern).matches(message) is expected


@pytest.mark.parametrize("pattern", ['{ $.level = "x" }', "[ip, user]", "%ERR.*%", '"open', "ERROR ?"])
def test_unsupported_or_malformed_patterns_are_invalid_parameters(pattern: str) -> None:
    with pytest.raises(LogsInvalidParameter):
        FilterPattern.parse(pattern)
