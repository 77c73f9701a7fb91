"""Imports every kind's handlers so their operations are registered on :data:`api`."""

from drydock.services.sagemaker import tags as _tags
from drydock.services.sagemaker.api import api
from drydock.services.sagemaker.endpoint_configs import handlers as _endpoint_configs
from drydock.services.sagemaker.endpoints import handlers as _endpoints
from drydock.services.sagemaker.models import handlers as _models
from drydock.services.sagemaker.training_jobs import handlers as _training_jobs
from drydock.services.sagemaker.transform_jobs import handlers as _transform_jobs
from drydock.services.sagemaker.tuning_jobs import handlers as _tuning_jobs

__all__ = [
    "_endpoint_configs",
    "_endpoints",
    "_models",
    "_tags",
    "_training_jobs",
    "_transform_jobs",
    "_tuning_jobs",
    "api",
]
