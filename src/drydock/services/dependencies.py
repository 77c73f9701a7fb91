"""The dependency container handlers receive as ``ctx.deps``; built only by ``drydock.server``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drydock.store.database import Database
from drydock.store.resources import ResourceRepository
from drydock.wire.context import RequestContext


@dataclass
class Dependencies:
    region: str
    account_id: str
    db: Database
    resources: ResourceRepository
    #: Filled by the composition root with the concrete ports (object store, logs, ...).
    extras: dict[str, Any]


def deps_of(ctx: RequestContext) -> Dependencies:
    deps = ctx.deps
    assert isinstance(deps, Dependencies)
    return deps
