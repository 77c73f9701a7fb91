"""sagemaker-runtime (rest-json, signed as service ``sagemaker``): InvokeEndpoint and its siblings.

The gateway hands every request whose SigV4 scope is ``sagemaker`` and that has no ``X-Amz-Target``
to :class:`~drydock.services.runtime.service.RuntimeService`. It routes by method and path, validates
against the runtime model, and asks an :class:`~drydock.serving.invocation.EndpointRouter` for the
endpoint; hosting plugs its router in at the composition root. Routes of the other services that
sign as ``sagemaker`` (featurestore-runtime, metrics) answer NotImplemented by name.
"""
