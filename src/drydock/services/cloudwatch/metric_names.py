"""What names a metric in a request (namespace, metric name, dimensions) and the rules its text follows.

CloudWatch supports no control characters in these names, and none could be stored anyway
(PostgreSQL text cannot hold NUL): any request carrying one is answered InvalidParameterValue.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from drydock.errors import InvalidParameterValue
from drydock.store.metric_data import MetricId

#: Unicode's control characters (category Cc).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def metric_of(namespace: str, metric_name: str, dimensions: Sequence[dict[str, str]] | None, path: str) -> MetricId:
    """The metric a query names; its dimensions must be distinct by name, as a metric's are."""
    pairs = [(d["Name"], d["Value"]) for d in dimensions or []]
    names = [name for name, _ in pairs]
    duplicated = next((name for name in names if names.count(name) > 1), None)
    if duplicated is not None:
        raise InvalidParameterValue(f"The collection {path} must not contain the dimension {duplicated} twice.")
    return MetricId(namespace, metric_name, tuple(pairs))


def reject_control_characters(request: dict[str, Any]) -> None:
    """Answer InvalidParameterValue for text that holds a control character anywhere in the request."""
    for path, text in _texts(request, ""):
        if _CONTROL.search(text):
            raise InvalidParameterValue(
                f"The value for parameter {path} contains control characters, which are not supported."
            )


def _texts(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value, start=1):
            yield from _texts(item, f"{path}.member.{index}")
