"""Renders a ``DrydockError`` in the error shape of each AWS protocol.

- JSON 1.x: ``{"__type": code, "message": ...}``, which botocore's ``BaseJSONParser`` reads; the
  ``x-amzn-ErrorType`` header is what rest-json parsers (sagemaker-runtime) look at first. Errors of
  query-compatible services (CloudWatch) add ``x-amzn-query-error`` as below.
- rest-xml (S3): ``<Error><Code/><Message/><Resource/><RequestId/></Error>``; HEAD answers carry no body.
- query (STS): ``<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>``.
- smithy rpc-v2-cbor (CloudWatch): a CBOR map ``{"__type": ..., "message": ...}``, which botocore's
  ``RpcV2CBORParser`` reads, plus ``x-amzn-query-error: Code;Sender`` for query-compatible services
  (the service fills both in from its model, see :class:`drydock.errors.ModelledError`).
"""

from __future__ import annotations

import json
from enum import StrEnum
from xml.sax.saxutils import escape

import cbor2

from drydock.errors import (
    AccessDenied,
    AuthError,
    DrydockError,
    MissingAuthenticationToken,
    ModelledError,
    S3Error,
    UnrecognizedClient,
)
from drydock.wire.http import HttpResponse


class Protocol(StrEnum):
    JSON = "json"
    REST_JSON = "rest-json"
    REST_XML = "rest-xml"
    QUERY = "query"
    RPC_V2_CBOR = "smithy-rpc-v2-cbor"


def error_response(error: DrydockError, protocol: Protocol, request_id: str, method: str = "POST") -> HttpResponse:
    if protocol is Protocol.REST_XML:
        return _rest_xml(error, request_id, method)
    if protocol is Protocol.QUERY:
        return _query(error, request_id)
    if protocol is Protocol.RPC_V2_CBOR:
        return _rpc_v2_cbor(error)
    body = json.dumps({"__type": _wire_type(error), "message": error.message, **error.details()}).encode()
    content_type = "application/json" if protocol is Protocol.REST_JSON else "application/x-amz-json-1.1"
    return HttpResponse(
        status=error.status,
        headers=[("Content-Type", content_type), ("x-amzn-ErrorType", error.code), *_query_error(error)],
        body=body,
    )


def _wire_type(error: DrydockError) -> str:
    return error.wire_type if isinstance(error, ModelledError) else error.code


def _query_error(error: DrydockError) -> list[tuple[str, str]]:
    """``x-amzn-query-error: Code;Sender`` for errors of awsQueryCompatible services."""
    if isinstance(error, ModelledError) and error.query_error:
        return [("x-amzn-query-error", error.query_error)]
    return []


def _rest_xml(error: DrydockError, request_id: str, method: str) -> HttpResponse:
    headers = [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)]
    if method == "HEAD":
        return HttpResponse(status=error.status, headers=headers, body=b"")
    resource = error.resource if isinstance(error, S3Error) and error.resource else ""
    code = error.s3_code if isinstance(error, AuthError) else error.code
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(error.message)}</Message>"
        + (f"<Resource>{escape(resource)}</Resource>" if resource else "")
        + f"<RequestId>{escape(request_id)}</RequestId></Error>"
    )
    return HttpResponse(status=error.status, headers=headers, body=body.encode())


def _rpc_v2_cbor(error: DrydockError) -> HttpResponse:
    headers = [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor"), *_query_error(error)]
    body = cbor2.dumps({"__type": _wire_type(error), "message": error.message, **error.details()})
    return HttpResponse(status=error.status, headers=headers, body=body)


def _query(error: DrydockError, request_id: str) -> HttpResponse:
    fault = "Sender" if error.sender_fault else "Receiver"
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<Error><Type>{fault}</Type><Code>{escape(_query_code(error))}</Code>"
        f"<Message>{escape(error.message)}</Message></Error>"
        f"<RequestId>{escape(request_id)}</RequestId></ErrorResponse>"
    )
    return HttpResponse(status=error.status, headers=[("Content-Type", "text/xml")], body=body.encode())


def _query_code(error: DrydockError) -> str:
    """The query protocol's services (STS, IAM) name authentication failures their own way:
    ``InvalidClientTokenId`` for an unknown key, ``SignatureDoesNotMatch`` for a bad or expired
    signature, as ``aws sts get-caller-identity`` shows with wrong credentials."""
    if not isinstance(error, AuthError):
        return error.code
    if isinstance(error, UnrecognizedClient):
        return "InvalidClientTokenId"
    if isinstance(error, MissingAuthenticationToken):
        return "MissingAuthenticationToken"
    if isinstance(error, AccessDenied):
        return "AccessDenied"
    return "SignatureDoesNotMatch"
