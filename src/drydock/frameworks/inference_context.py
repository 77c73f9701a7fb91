"""The ``context`` argument newer inference toolkits pass to handler functions that accept one.

``sagemaker-inference`` 1.9+ calls ``model_fn(model_dir, context)``, ``input_fn(data, content_type,
context)``, ... when the function takes one more parameter than the classic signature; the object is
the model server's (MMS/TorchServe) ``Context``. Scripts use a handful of its members: the model
directory in ``system_properties``, the request's headers (``get_request_header(0, name)``, most
often ``X-Amzn-SageMaker-Custom-Attributes``) and response headers (``set_response_header``). This
class offers those members with the same names, for the single request Drydock's model server hands
a handler at a time (the index argument is accepted and must be 0).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

CUSTOM_ATTRIBUTES = "X-Amzn-SageMaker-Custom-Attributes"


class InferenceContext:
    """Per-request (or, for ``model_fn``, per-load) metadata. Not shared between threads."""

    def __init__(self, model_dir: Path, request_headers: Mapping[str, str] | None = None) -> None:
        self.system_properties: dict[str, object] = {
            "model_dir": str(model_dir),
            "gpu_id": None,
            "batch_size": 1,
            "server_name": "drydock",
        }
        self._request = {name.lower(): value for name, value in (request_headers or {}).items()}
        self._response_headers: dict[str, str] = {}
        self._response_content_type: str | None = None

    @property
    def model_dir(self) -> str:
        return str(self.system_properties["model_dir"])

    @property
    def custom_attributes(self) -> str | None:
        """The request's ``X-Amzn-SageMaker-Custom-Attributes``, as the client sent it."""
        return self._request.get(CUSTOM_ATTRIBUTES.lower())

    def get_request_header(self, idx: int, key: str) -> str | None:
        _check(idx)
        return self._request.get(key.lower())

    def get_all_request_header(self, idx: int) -> dict[str, str]:
        _check(idx)
        return dict(self._request)

    def set_response_header(self, idx: int, key: str, value: str) -> None:
        """Only ``X-Amzn-SageMaker-Custom-Attributes`` reaches the client: SageMaker forwards no other."""
        _check(idx)
        self._response_headers[key.lower()] = value

    def get_response_headers(self, idx: int) -> dict[str, str]:
        _check(idx)
        return dict(self._response_headers)

    def set_response_content_type(self, idx: int, value: str) -> None:
        # The toolkit overwrites this with the Accept (or the type output_fn returned) after the
        # handler functions ran, so it never decides the response's type; kept so scripts that
        # call it keep working.
        _check(idx)
        self._response_content_type = value

    def get_response_content_type(self, idx: int) -> str | None:
        _check(idx)
        return self._response_content_type

    @property
    def response_custom_attributes(self) -> str | None:
        return self._response_headers.get(CUSTOM_ATTRIBUTES.lower())


def _check(idx: int) -> None:
    if idx != 0:
        raise IndexError(f"request index {idx} out of range: the model server passes one request at a time")
