"""Loads the service models that ship with the pinned botocore: the single source of wire truth."""

from __future__ import annotations

from functools import cache
from typing import Any

import botocore.session


@cache
def _session() -> Any:
    return botocore.session.get_session()


@cache
def service_model(name: str) -> Any:
    """The ``botocore.model.ServiceModel`` of ``name`` (``sagemaker``, ``s3``, ``logs``, ...)."""
    return _session().get_service_model(name)


@cache
def operation_model(service: str, operation: str) -> Any:
    return service_model(service).operation_model(operation)


def operation_names(service: str) -> list[str]:
    return list(service_model(service).operation_names)
