"""The SageMaker serving contract as a small HTTP server: ``GET /ping``, ``POST /invocations`` on the
port in ``SAGEMAKER_BIND_TO_PORT``. Built-in algorithms and framework script mode each provide a
:class:`~drydock.serving.model_server.handler.ModelHandler`; :func:`serve` loads and serves it.

- :mod:`.handler` — the port between the HTTP layer and what it serves.
- :mod:`.environment` — port, model directory, workers, timeout and payload limit from the environment.
- :mod:`.asgi_app` — the raw ASGI application (the InvokeEndpoint hot path).
- :mod:`.server` — ``serve(handler)``: load the model, bind, run uvicorn until SIGTERM.
"""

from drydock.serving.model_server.server import serve

__all__ = ["serve"]
