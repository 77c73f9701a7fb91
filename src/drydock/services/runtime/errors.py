"""The runtime's own error codes: sagemaker-runtime words some failures unlike the control plane."""

from __future__ import annotations

from drydock.errors import UnknownOperationError, ValidationError


class RuntimeValidationError(ValidationError):
    """sagemaker-runtime calls its validation failure ``ValidationError`` (the control plane says
    ``ValidationException``); botocore reads it from the ``x-amzn-ErrorType`` header."""

    code = "ValidationError"


class UnknownRoute(UnknownOperationError):
    """A rest-json request whose method and path match no modelled operation: AWS answers 404."""

    status = 404
