"""The port between the model server's HTTP layer and what it serves (a built-in algorithm's model,
or a user's script-mode ``inference.py``).

One handler serves one model. The server calls :meth:`ModelHandler.load` once, before it answers
``/ping`` with 200 (a replica is ready only once its model is loaded), then :meth:`ModelHandler.invoke`
for every ``POST /invocations``, possibly from several threads at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class InferenceRequest:
    body: bytes
    #: The request's Content-Type (``None`` when the client sent none).
    content_type: str | None
    #: The request's Accept (``None`` or ``*/*`` when the client has no preference).
    accept: str | None
    #: ``X-Amzn-SageMaker-Custom-Attributes`` as the client sent it, passed through untouched.
    custom_attributes: str | None = None


@dataclass(frozen=True)
class InferenceResponse:
    body: bytes
    content_type: str
    #: Sent back as ``X-Amzn-SageMaker-Custom-Attributes`` when set.
    custom_attributes: str | None = None
    #: A 2xx status other than 200, for containers that answer e.g. 204 to an empty request body.
    status: int = 200


class ModelHandlerError(Exception):
    """A failure the model server answers with ``status`` and ``message`` as the response body
    (415 for an unsupported content type, 406 for an unsupported Accept, 400 for input the model
    cannot parse). The runtime turns any non-2xx answer into ``ModelError`` (HTTP 424) carrying this
    status as OriginalStatusCode and this message as OriginalMessage, as SageMaker does."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ModelHandler(Protocol):
    def load(self, model_dir: Path) -> None:
        """Load the model from ``model_dir`` (the extracted ``model.tar.gz``). Called once, before
        any ``invoke``; an exception here means the replica never becomes healthy and exits with
        the error printed to its log."""
        ...

    def invoke(self, request: InferenceRequest) -> InferenceResponse:
        """Run one inference. Raises :class:`ModelHandlerError` for the client's mistakes; any other
        exception is answered 500 with its message. Must be thread-safe."""
        ...
