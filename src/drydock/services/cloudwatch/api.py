"""The CloudWatch operation registry the handlers register on."""

from drydock.wire.registry import OperationRegistry

api = OperationRegistry("cloudwatch")
