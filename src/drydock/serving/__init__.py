"""Real-time hosting: model-server replicas, the router that balances invocations across them, and
the reconciler that drives endpoints. Knows nothing of HTTP's wire protocols (those are in ``wire/``
and ``services/``); the model server itself speaks the SageMaker serving contract over plain HTTP."""
