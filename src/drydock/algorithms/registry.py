"""Which image URIs are built-in algorithms, and what each one declares.

SageMaker recognises its algorithm images by ECR repository, whatever the account (accounts differ
per region, reference §8.1): ``683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1``
and ``246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-xgboost:1.7-1`` are the same algorithm,
and so is the legacy ``811284229777.dkr.ecr.us-east-1.amazonaws.com/xgboost:1``. Other registries
(a local mirror, ``localhost:5000/sagemaker-xgboost:1.7-1``) count by their last path component.

Each algorithm declares the module to run, its default content type, the MetricDefinitions the
SageMaker service applies to its logs without the user giving any, and a hyperparameter validator.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from drydock.algorithms.xgboost.hyperparameters import EVAL_METRICS, validate_hyperparameters


@dataclass(frozen=True)
class MetricDefinition:
    """A SageMaker MetricDefinition: ``regex``'s first group is the value."""

    name: str
    regex: str


@dataclass(frozen=True)
class BuiltinAlgorithm:
    name: str
    #: Run as ``python -m <module> train`` (SageMaker runs algorithm images with the argument ``train``).
    module: str
    #: The channel content type assumed when ``inputdataconfig.json`` names none.
    default_content_type: str
    content_types: frozenset[str]
    metric_definitions: tuple[MetricDefinition, ...]
    #: Raises ``drydock.errors.ValidationError`` with SageMaker's message for a bad hyperparameter.
    validate_hyperparameters: Callable[[Mapping[str, str]], object]


# A float as xgboost prints it ("0.50000", "1e-05", "-3.2").
_FLOAT = r"([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"


def xgboost_metric_definitions() -> tuple[MetricDefinition, ...]:
    """``train:<metric>`` and ``validation:<metric>`` for every xgboost eval metric.

    The container logs ``[3]\\ttrain-rmse:0.5\\tvalidation-rmse:0.6``; CloudWatch shows the tab as
    ``#011`` and SageMaker's own definitions match that rendering, so the separator matches both
    forms (our logs hold the real tab). Anchoring on the separator keeps ``train-error`` from
    matching ``train-merror``.
    """
    return tuple(
        MetricDefinition(f"{channel}:{metric}", rf".*\[[0-9]+\].*(?:\t|#011){channel}-{re.escape(metric)}:{_FLOAT}")
        for metric in sorted(EVAL_METRICS)
        for channel in ("train", "validation")
    )


XGBOOST = BuiltinAlgorithm(
    name="xgboost",
    module="drydock.algorithms.xgboost",
    # SageMaker's XGBoost reads libsvm when a channel declares no ContentType.
    default_content_type="text/libsvm",
    content_types=frozenset({"text/libsvm", "text/csv", "application/x-parquet", "application/x-recordio-protobuf"}),
    metric_definitions=xgboost_metric_definitions(),
    validate_hyperparameters=validate_hyperparameters,
)

#: Repository name → algorithm. ``xgboost`` is the legacy repository of SDK versions ``1``/``latest``.
ALGORITHMS: dict[str, BuiltinAlgorithm] = {"sagemaker-xgboost": XGBOOST, "xgboost": XGBOOST}

# Reference §8.1's ECR form; the account and region groups are parsed but never matched on.
_ECR = re.compile(
    r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([^:@]+)(?::([^@]+))?(?:@sha256:[0-9a-f]+)?$"
)
# Any other registry: ``[host[:port]/]path/repository[:tag][@digest]``.
_OTHER = re.compile(r"^(?:[^/]+(?:\.|:)[^/]*/|localhost/)?(?P<path>[^:@]+)(?::[^@/]+)?(?:@[\w:]+)?$")


def repository_of(image: str) -> str | None:
    """The repository name of ``image`` (its last path component, lower-cased), or None."""
    image = image.strip()
    match = _ECR.match(image)
    path = match.group(3) if match else None
    if path is None:
        other = _OTHER.match(image)
        path = other.group("path") if other else None
    return path.rsplit("/", 1)[-1].lower() if path else None


def algorithm_for_image(image: str) -> BuiltinAlgorithm | None:
    """The built-in algorithm ``image`` runs, or None when it is not one."""
    repository = repository_of(image)
    return ALGORITHMS.get(repository) if repository else None
