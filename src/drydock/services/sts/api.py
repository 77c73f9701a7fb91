"""The STS operation registry."""

from drydock.wire.registry import OperationRegistry

api = OperationRegistry("sts")
