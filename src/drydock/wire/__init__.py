"""AWS wire protocols, driven by botocore's service models.

Nothing here knows about SageMaker resources: this package parses and validates requests against the
operation's input shape, calls the handler registered for the operation, serializes the result by
walking the output shape, verifies SigV4 signatures, and renders ``DrydockError``s in the shape of the
protocol the request arrived on.
"""
