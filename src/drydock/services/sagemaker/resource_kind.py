"""What every SageMaker resource kind shares: ARNs, AWS's exact not-found/duplicate messages, lists.

The SageMaker SDK matches on these messages (reference §2.1): a missing Model, EndpointConfig or
Endpoint is ``ValidationException`` "Could not find <noun> "<arn>"."; a duplicate is
``ValidationException`` "Cannot create already existing <noun> "<arn>".".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drydock.core.arns import sagemaker_arn
from drydock.core.clock import utcnow
from drydock.core.listing import ListQuery, Page
from drydock.core.tags import tag_dict
from drydock.errors import ResourceNotFound, ValidationError
from drydock.services.dependencies import Dependencies
from drydock.store.resources import AlreadyExists, Resource


@dataclass(frozen=True)
class ResourceKind:
    #: The ARN resource type, e.g. ``endpoint-config``.
    arn_type: str
    #: How AWS names the kind in messages, e.g. ``endpoint configuration``.
    noun: str
    #: Jobs answer ``ResourceNotFound``; models, configs and endpoints ``ValidationException``.
    missing_is_resource_not_found: bool = False
    #: AWS's exact message for a missing resource when it is not "Could not find <noun> "<arn>"."
    missing_message: str | None = None

    def arn(self, deps: Dependencies, name: str) -> str:
        return sagemaker_arn(deps.region, deps.account_id, self.arn_type, name)

    def not_found(self, arn: str) -> Exception:
        if self.missing_message is not None:
            return ValidationError(self.missing_message)
        if self.missing_is_resource_not_found:
            return ResourceNotFound(f"Requested resource not found: {self.noun} {arn!r} does not exist.")
        return ValidationError(f'Could not find {self.noun} "{arn}".')

    def create(
        self,
        deps: Dependencies,
        name: str,
        document: dict[str, Any],
        tags: list[dict[str, Any]] | None,
        status: str | None = None,
    ) -> Resource:
        now = utcnow()
        resource = Resource(
            kind=self.arn_type,
            name=name,
            arn=self.arn(deps, name),
            status=status,
            creation_time=now,
            last_modified_time=now,
            document=document,
        )
        try:
            deps.resources.create(resource, tag_dict(tags))
        except AlreadyExists:
            raise ValidationError(f'Cannot create already existing {self.noun} "{resource.arn}".') from None
        return resource

    def get(self, deps: Dependencies, name: str) -> Resource:
        arn = self.arn(deps, name)
        resource = deps.resources.get(arn)
        if resource is None:
            raise self.not_found(arn)
        return resource

    def delete(self, deps: Dependencies, name: str) -> None:
        arn = self.arn(deps, name)
        if not deps.resources.delete(arn):
            raise self.not_found(arn)

    def list(self, deps: Dependencies, request: dict[str, Any]) -> Page:
        return deps.resources.list(self.arn_type, ListQuery.from_request(request))
