"""The SageMaker control plane (JSON 1.1, target prefix ``SageMaker``), one sub-package per kind."""
