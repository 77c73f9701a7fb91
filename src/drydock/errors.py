"""The one error hierarchy of Drydock.

Every error a client can see is a :class:`DrydockError` subclass that declares the AWS error code and
HTTP status it maps to. Only ``drydock.wire`` turns these into responses, in the shape of whichever
protocol the request came in on (JSON ``__type``, S3's XML ``<Error>``, STS's ``<ErrorResponse>``).
Anything that is not a ``DrydockError`` becomes a 500 ``InternalFailure`` whose traceback goes to the
server log, never to the client.
"""

from __future__ import annotations


class DrydockError(Exception):
    """Base class: ``code`` is the AWS error code, ``status`` the HTTP status."""

    code: str = "InternalFailure"
    status: int = 500
    #: Sender (client) or Receiver (server) fault, used by the XML protocols.
    sender_fault: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def details(self) -> dict[str, object]:
        """Members of the error shape beyond ``message`` (JSON protocols put them in the body)."""
        return {}


class ClientError(DrydockError):
    """The request was wrong: a 4xx that the client must fix, not retry."""

    code = "ValidationException"
    status = 400
    sender_fault = True


# --- generic request errors -------------------------------------------------------------------


class ValidationError(ClientError):
    """An input failed validation; AWS's most common error and what the SageMaker SDK matches on."""

    code = "ValidationException"


class SerializationError(ClientError):
    """The body could not be parsed at all (bad JSON, bad XML, bad form encoding)."""

    code = "SerializationException"


class UnknownOperationError(ClientError):
    """The X-Amz-Target/Action names no operation of the service's model."""

    code = "UnknownOperationException"


class NotImplementedOperationError(DrydockError):
    """The operation exists in the service model but Drydock does not serve it (yet)."""

    code = "NotImplemented"
    status = 501


class ThrottlingError(ClientError):
    code = "ThrottlingException"


class ModelledError(DrydockError):
    """An error re-expressed as the error shape the service's model declares for it.

    smithy rpc-v2-cbor names the shape in the body's ``__type`` (``namespace#Shape``); a service
    that is ``awsQueryCompatible`` (CloudWatch) also sends the query protocol's code in the
    ``x-amzn-query-error`` header, and that code is what botocore shows as the error's Code.
    ``code`` here is what the client sees, so the audit trail records the same.
    """

    def __init__(
        self,
        original: DrydockError,
        *,
        code: str,
        status: int,
        wire_type: str,
        query_error: str | None,
    ) -> None:
        super().__init__(original.message)
        self.code = code
        self.status = status
        self.sender_fault = original.sender_fault
        self.wire_type = wire_type
        #: ``Code;Sender`` (or ``;Receiver``) for the ``x-amzn-query-error`` header, when the service has one.
        self.query_error = query_error
        self._details = original.details()

    def details(self) -> dict[str, object]:
        return self._details


# --- authentication ------------------------------------------------------------------------------


class AuthError(ClientError):
    status = 403
    #: S3 names the same failures differently (it answers in XML with its own codes).
    s3_code = "AccessDenied"


class MissingAuthenticationToken(AuthError):
    code = "MissingAuthenticationTokenException"
    s3_code = "AccessDenied"


class UnrecognizedClient(AuthError):
    """The access key id is not one the server knows (AWS: UnrecognizedClientException)."""

    code = "UnrecognizedClientException"
    s3_code = "InvalidAccessKeyId"


class InvalidSignature(AuthError):
    code = "InvalidSignatureException"
    s3_code = "SignatureDoesNotMatch"


class RequestExpired(AuthError):
    """The request's date is outside the allowed clock skew (AWS allows 5 minutes)."""

    code = "InvalidSignatureException"
    s3_code = "RequestTimeTooSkewed"


class AccessDenied(AuthError):
    code = "AccessDeniedException"


# --- resource errors (SageMaker and friends) ------------------------------------------------------


class ResourceNotFound(ClientError):
    code = "ResourceNotFound"


class ResourceInUse(ClientError):
    code = "ResourceInUse"


class ResourceLimitExceeded(ClientError):
    code = "ResourceLimitExceeded"


class ConflictError(ClientError):
    code = "ConflictException"
    status = 409


# --- CloudWatch Logs names its errors differently -------------------------------------------------


class LogsResourceNotFound(ClientError):
    code = "ResourceNotFoundException"


class LogsResourceAlreadyExists(ClientError):
    code = "ResourceAlreadyExistsException"


class LogsInvalidParameter(ClientError):
    code = "InvalidParameterException"


# --- CloudTrail --------------------------------------------------------------------------------


class InvalidLookupAttributes(ClientError):
    code = "InvalidLookupAttributesException"


class InvalidTimeRange(ClientError):
    code = "InvalidTimeRangeException"


class InvalidNextToken(ClientError):
    code = "InvalidNextTokenException"


# --- CloudWatch (metrics) keeps the query protocol's codes: its model is awsQueryCompatible ---------


class InvalidParameterValue(ClientError):
    code = "InvalidParameterValue"


class InvalidParameterCombination(ClientError):
    code = "InvalidParameterCombination"


class MissingParameter(ClientError):
    code = "MissingParameter"


class MetricsInvalidNextToken(ClientError):
    """GetMetricData's answer to a NextToken it did not issue (CloudTrail's is ``...Exception``)."""

    code = "InvalidNextToken"


# --- S3 -----------------------------------------------------------------------------------------


class S3Error(ClientError):
    """S3 errors carry their own codes (NoSuchKey, NoSuchBucket, ...) and statuses."""

    def __init__(self, code: str, message: str, status: int = 400, resource: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.resource = resource


class InternalFailure(DrydockError):
    code = "InternalFailure"
    status = 500


# --- sagemaker-runtime ----------------------------------------------------------------------------


class RuntimeValidationError(ValidationError):
    """sagemaker-runtime calls its validation failure ``ValidationError`` (the control plane says
    ``ValidationException``); botocore reads it from the ``x-amzn-ErrorType`` header."""

    code = "ValidationError"


class ModelError(ClientError):
    """The model container answered an invocation with an error (or none at all in time).

    SageMaker answers 424 and carries the container's own status and message, which botocore exposes
    as ``e.response["OriginalStatusCode"]`` / ``["OriginalMessage"]``; the SDK shows the message.
    """

    code = "ModelError"
    status = 424

    def __init__(self, message: str, original_status: int, original_message: str, log_stream_arn: str) -> None:
        super().__init__(message)
        self.original_status = original_status
        self.original_message = original_message
        self.log_stream_arn = log_stream_arn

    def details(self) -> dict[str, object]:
        return {
            "OriginalStatusCode": self.original_status,
            "OriginalMessage": self.original_message,
            "LogStreamArn": self.log_stream_arn,
        }


class ServiceUnavailable(DrydockError):
    """No instance can take the request right now; botocore retries 503s on its own."""

    code = "ServiceUnavailable"
    status = 503
