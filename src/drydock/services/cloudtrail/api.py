"""The CloudTrail operation registry."""

from drydock.wire.registry import OperationRegistry

api = OperationRegistry("cloudtrail")
