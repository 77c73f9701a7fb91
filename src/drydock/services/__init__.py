"""One package per AWS API Drydock speaks; SageMaker has one sub-package per resource kind.

Handlers are thin: they read the validated request, call the kind's service, and shape the answer.
"""
