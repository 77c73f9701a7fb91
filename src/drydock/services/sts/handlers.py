"""STS handlers."""

from __future__ import annotations

from typing import Any

from drydock.services.sts.api import api
from drydock.wire.context import RequestContext

__all__ = ["api", "get_caller_identity"]


@api.operation("GetCallerIdentity")
def get_caller_identity(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    # The principal the SigV4 signature proved; for the root credentials AWS reports the account id
    # as UserId and arn:aws:iam::<account>:root as Arn.
    principal = ctx.principal
    return {"UserId": principal.user_id, "Account": principal.account, "Arn": principal.arn}
