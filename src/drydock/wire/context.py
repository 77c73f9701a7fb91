"""What a handler knows about the call it serves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    access_key_id: str
    arn: str
    account: str
    user_id: str


@dataclass
class RequestContext:
    request_id: str
    principal: Principal
    region: str
    service: str
    operation: str
    #: The composition root's dependency container; each service package casts it to its own type.
    deps: Any
    #: The resource the call acted on, for the audit trail; handlers may set it more precisely.
    resource: str | None = None
    #: Whether the call goes into the audit trail. Data-plane calls CloudTrail does not record
    #: (InvokeEndpoint) clear it: they are counted by their own metrics instead.
    audited: bool = True
    extra: dict[str, Any] = field(default_factory=dict)
