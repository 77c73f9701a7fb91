"""The SageMaker operation registry every kind's handlers register on."""

from drydock.wire.registry import OperationRegistry

api = OperationRegistry("sagemaker")
