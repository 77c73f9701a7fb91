"""AddTags, ListTags and DeleteTags on any SageMaker resource Drydock keeps."""

from __future__ import annotations

from typing import Any

from drydock.core.tags import tag_dict, tag_list
from drydock.errors import ValidationError
from drydock.services.dependencies import Dependencies, deps_of
from drydock.services.sagemaker.api import api
from drydock.wire.context import RequestContext

DEFAULT_TAG_PAGE = 50


def _existing(deps: Dependencies, arn: str) -> str:
    # ARNs name resources case-insensitively, as the lower-cased ARNs AWS returns do.
    parts = arn.split(":", 5)
    normalised = ":".join([*parts[:5], parts[5].lower()]) if len(parts) == 6 else arn
    if not deps.resources.exists(normalised):
        raise ValidationError(f'Could not find resource "{arn}".')
    return normalised


@api.operation("AddTags")
def add_tags(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    deps = deps_of(ctx)
    arn = _existing(deps, request["ResourceArn"])
    values = tag_dict(request["Tags"])
    deps.resources.add_tags(arn, values)
    return {"Tags": tag_list(values)}


@api.operation("ListTags")
def list_tags(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    deps = deps_of(ctx)
    arn = _existing(deps, request["ResourceArn"])
    items = tag_list(deps.resources.tags(arn))
    after = request.get("NextToken")
    if after:
        items = [tag for tag in items if tag["Key"] > after]
    limit = request.get("MaxResults") or DEFAULT_TAG_PAGE
    page = items[:limit]
    next_token = page[-1]["Key"] if len(items) > limit else None
    return {"Tags": page, "NextToken": next_token}


@api.operation("DeleteTags")
def delete_tags(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    deps = deps_of(ctx)
    deps.resources.delete_tags(_existing(deps, request["ResourceArn"]), request["TagKeys"])
    return {}
