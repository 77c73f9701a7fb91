"""The SageMaker serving contract as a small HTTP server: ``GET /ping``, ``POST /invocations`` on the
port in ``SAGEMAKER_BIND_TO_PORT``. Built-in algorithms and framework script mode each provide a
:class:`~drydock.serving.model_server.handler.ModelHandler`; this package serves it."""
