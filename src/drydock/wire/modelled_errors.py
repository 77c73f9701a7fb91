"""Re-expresses Drydock's errors as the error shapes a botocore service model declares.

Handlers raise errors by the code clients know (``InvalidParameterValue``), and the validator raises
``ValidationError`` (``ValidationException``) for every service alike. A smithy protocol names the
model's *shape* instead (``com.amazonaws.cloudwatch#InvalidParameterValueException``), and a service
whose model is ``awsQueryCompatible`` (CloudWatch) keeps the query protocol's code beside it, in the
``x-amzn-query-error: InvalidParameterValue;Sender`` header, which botocore prefers. The code decides
what boto3 shows: CloudWatch's generic constraint failure is ``ValidationError`` (its
``ValidationException`` shape declares that code), ``client.exceptions.InvalidParameterValueException``
catches ``InvalidParameterValue``.

An error matches a shape by the shape's name first, then by the code the shape declares; one the model
does not declare (UnknownOperationException, NotImplemented) keeps its own name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drydock.errors import DrydockError, ModelledError


@dataclass(frozen=True)
class ErrorShape:
    name: str
    #: The query-compatible code (``error.code`` in the model), else the shape name.
    code: str
    status: int | None


class ModelledErrors:
    def __init__(self, model: Any) -> None:
        metadata = model.metadata
        # botocore's JSON models do not carry the Smithy namespace; AWS's are com.amazonaws.<service id>.
        self.namespace = "com.amazonaws." + str(metadata.get("serviceId", model.service_name)).lower().replace(" ", "")
        self.query_compatible = "awsQueryCompatible" in metadata
        by_code: dict[str, ErrorShape] = {}
        by_name: dict[str, ErrorShape] = {}
        for shape in model.error_shapes:
            declared = shape.metadata.get("error", {})
            entry = ErrorShape(shape.name, declared.get("code", shape.name), declared.get("httpStatusCode"))
            by_name[shape.name] = entry
            by_code.setdefault(entry.code, entry)
        self._shapes = {**by_code, **by_name}

    def translate(self, error: DrydockError) -> DrydockError:
        """``error`` as its modelled shape, or unchanged when the model declares none for it."""
        if isinstance(error, ModelledError):
            return error
        shape = self._shapes.get(error.code)
        if shape is None:
            return error
        fault = "Sender" if error.sender_fault else "Receiver"
        return ModelledError(
            error,
            code=shape.code if self.query_compatible else shape.name,
            status=shape.status or error.status,
            wire_type=f"{self.namespace}#{shape.name}",
            query_error=f"{shape.code};{fault}" if self.query_compatible else None,
        )
