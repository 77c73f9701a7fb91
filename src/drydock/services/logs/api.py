"""The CloudWatch Logs operation registry the handlers register on."""

from drydock.wire.registry import OperationRegistry

api = OperationRegistry("logs")
