"""CloudWatch Logs filter patterns for unstructured events (FilterLogEvents' ``filterPattern``).

Supported, as CloudWatch defines them (all matching is case-sensitive):

- ``ERROR timeout``: every term must appear in the message;
- ``"Out of memory"``: a quoted phrase must appear as written (``\\"`` escapes a quote);
- ``?ERROR ?WARN``: at least one of the ``?`` terms must appear;
- ``ERROR -retry``: terms prefixed with ``-`` must not appear;
- an empty pattern matches every event.

JSON patterns (``{ $.level = "error" }``), space-delimited patterns (``[ip, user, ...]``) and regular
expressions (``%...%``) are not supported and answer InvalidParameterException saying so.
"""

from __future__ import annotations

from dataclasses import dataclass

from drydock.errors import LogsInvalidParameter

_UNSUPPORTED = {
    "{": "JSON filter patterns",
    "[": "space-delimited filter patterns",
    "%": "regular-expression filter patterns",
}


@dataclass(frozen=True)
class FilterPattern:
    #: Texts that must all appear (plain terms and quoted phrases).
    required: tuple[str, ...] = ()
    #: Texts of which at least one must appear, when there are any (``?term``).
    optional: tuple[str, ...] = ()
    #: Texts that must not appear (``-term``).
    excluded: tuple[str, ...] = ()

    def matches(self, message: str) -> bool:
        if any(text not in message for text in self.required):
            return False
        if any(text in message for text in self.excluded):
            return False
        return not self.optional or any(text in message for text in self.optional)

    @classmethod
    def parse(cls, pattern: str) -> FilterPattern:
        stripped = pattern.strip()
        if stripped[:1] in _UNSUPPORTED:
            raise LogsInvalidParameter(
                f"Invalid filter pattern {pattern!r}: Drydock does not support {_UNSUPPORTED[stripped[0]]} yet; "
                'use terms, "quoted phrases", ?optional and -excluded terms'
            )
        required: list[str] = []
        optional: list[str] = []
        excluded: list[str] = []
        for prefix, text in _tokens(stripped, pattern):
            {"": required, "?": optional, "-": excluded}[prefix].append(text)
        return cls(tuple(required), tuple(optional), tuple(excluded))


def _tokens(text: str, pattern: str) -> list[tuple[str, str]]:
    """Split into ``(prefix, text)`` pairs, prefix being "", "?" or "-"."""
    found: list[tuple[str, str]] = []
    index = 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        prefix = ""
        if text[index] in "?-":
            prefix = text[index]
            index += 1
        if index < len(text) and text[index] == '"':
            value, index = _quoted(text, index + 1, pattern)
            if value:
                found.append((prefix, value))
            continue
        end = index
        while end < len(text) and not text[end].isspace():
            end += 1
        if end == index:
            raise LogsInvalidParameter(f"Invalid filter pattern {pattern!r}: {prefix!r} must precede a term")
        found.append((prefix, text[index:end]))
        index = end
    return found


def _quoted(text: str, index: int, pattern: str) -> tuple[str, int]:
    chars: list[str] = []
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            chars.append(text[index + 1])
            index += 2
            continue
        if char == '"':
            return "".join(chars), index + 1
        chars.append(char)
        index += 1
    raise LogsInvalidParameter(f"Invalid filter pattern {pattern!r}: a quoted phrase is not closed")
