"""Tag rules shared by every resource kind (SageMaker AddTags/ListTags/DeleteTags and Tags= on create)."""

from __future__ import annotations

from typing import Any

from drydock.errors import ResourceLimitExceeded, ValidationError

#: AWS allows 50 user tags per resource.
MAX_TAGS = 50


def tag_dict(tags: list[dict[str, Any]] | None) -> dict[str, str]:
    """``[{"Key":..,"Value":..}]`` → ``{key: value}``; rejects AWS-reserved keys and duplicates."""
    result: dict[str, str] = {}
    for tag in tags or []:
        key, value = tag["Key"], tag.get("Value", "")
        if key.lower().startswith("aws:"):
            raise ValidationError(f"Tag key {key!r} uses the reserved prefix 'aws:'")
        if key in result:
            raise ValidationError(f"Tag key {key!r} appears more than once")
        result[key] = value
    return result


def check_tag_count(existing: int, added: int) -> None:
    if existing + added > MAX_TAGS:
        raise ResourceLimitExceeded(f"A resource can have at most {MAX_TAGS} tags; it would have {existing + added}")


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]
