"""S3's listing rules as one algorithm over any key-ordered source (the index, or a test double).

The rules (S3 API reference, ListObjectsV2): keys that begin with ``prefix`` and sort after
``start_after``, in UTF-8 binary order; with a ``delimiter``, every key whose remainder after the
prefix contains the delimiter is rolled up into one *common prefix* (through the first delimiter),
which counts once towards ``max_keys``. Rolling up is done by jumping past the whole common prefix
with one query, so a "directory" of a million keys costs one round trip, not a million rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from drydock.objects.model import ObjectInfo, ObjectListing

#: ``fetch(lower, inclusive, upper, limit)``: up to ``limit`` objects with ``lower < key`` (``<=``
#: when inclusive) and ``key < upper`` (no bound when None), in key order.
Fetch = Callable[[str, bool, str | None, int], Sequence[ObjectInfo]]

_BATCH = 256


def successor(value: str) -> str | None:
    """The smallest string greater than every string that starts with ``value`` (None: no such
    string, ``value`` is all U+10FFFF). Code-point order equals UTF-8 byte order, skipping surrogates."""
    chars = list(value)
    while chars:
        point = ord(chars[-1]) + 1
        if point <= 0x10FFFF:
            if 0xD800 <= point <= 0xDFFF:
                point = 0xE000
            chars[-1] = chr(point)
            return "".join(chars)
        chars.pop()
    return None


def list_page(fetch: Fetch, prefix: str, delimiter: str, start_after: str, max_keys: int) -> ObjectListing:
    objects: list[ObjectInfo] = []
    prefixes: list[str] = []
    if max_keys <= 0:
        return ObjectListing(objects, prefixes, False, None)
    upper = successor(prefix) if prefix else None
    lower, inclusive = (start_after, False) if start_after >= prefix else (prefix, True)
    last: str | None = None
    while True:
        batch = fetch(lower, inclusive, upper, _BATCH)
        jump: str | None = None
        for info in batch:
            common = _common_prefix(info.key, prefix, delimiter)
            if common is None:
                if len(objects) + len(prefixes) == max_keys:
                    return ObjectListing(objects, prefixes, True, last)
                objects.append(info)
                last = info.key
                continue
            # A common prefix at or before start_after was listed on an earlier page.
            if common > start_after:
                if len(objects) + len(prefixes) == max_keys:
                    return ObjectListing(objects, prefixes, True, last)
                prefixes.append(common)
                last = common
            jump = successor(common) or ""
            break
        if jump is not None:
            if not jump:
                break
            lower, inclusive = jump, True
            continue
        if len(batch) < _BATCH:
            break
        lower, inclusive = batch[-1].key, False
    return ObjectListing(objects, prefixes, False, last)


def _common_prefix(key: str, prefix: str, delimiter: str) -> str | None:
    if not delimiter:
        return None
    found = key.find(delimiter, len(prefix))
    if found < 0:
        return None
    return key[: found + len(delimiter)]
