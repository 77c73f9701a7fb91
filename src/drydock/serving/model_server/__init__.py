"""The SageMaker serving contract as a small HTTP server: ``GET /ping``, ``POST /invocations`` on the
port in ``SAGEMAKER_BIND_TO_PORT``. Built-in algorithms and framework script mode each provide a
:class:`~drydock.serving.model_server.handler.ModelHandler`; :func:`serve` loads and serves it.

- :mod:`.handler` — the port between the HTTP layer and what it serves.
- :mod:`.environment` — port, model directory, workers, timeout and payload limit from the environment.
- :mod:`.http_server` — the HTTP/1.1 layer (the InvokeEndpoint hot path), an asyncio protocol on uvloop.
- :mod:`.server` — ``serve(handler)``: load the model, bind, serve until SIGTERM.
"""

from drydock.serving.model_server.server import serve

__all__ = ["serve"]
