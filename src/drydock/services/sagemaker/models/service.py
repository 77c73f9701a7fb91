"""Model rules beyond what the botocore shape checks, as SageMaker enforces them."""

from __future__ import annotations

from typing import Any

from drydock.errors import ValidationError
from drydock.services.dependencies import Dependencies
from drydock.services.sagemaker.models.model import MODEL, STORED_MEMBERS
from drydock.store.resources import Resource

#: SageMaker allows at most 15 containers in an inference pipeline.
MAX_CONTAINERS = 15


def create_model(deps: Dependencies, request: dict[str, Any]) -> Resource:
    containers = _containers(request)
    for index, container in enumerate(containers):
        _check_container(container, f"Containers[{index}]" if "Containers" in request else "PrimaryContainer")
    mode = (request.get("InferenceExecutionConfig") or {}).get("Mode")
    if mode == "Direct":
        hostnames = [c.get("ContainerHostname") for c in containers]
        if len(set(hostnames)) != len(hostnames) or None in hostnames:
            raise ValidationError(
                "InferenceExecutionConfig Mode 'Direct' needs a distinct ContainerHostname on every container"
            )
    document = {key: request[key] for key in STORED_MEMBERS if key in request}
    return MODEL.create(deps, request["ModelName"], document, request.get("Tags"))


def _containers(request: dict[str, Any]) -> list[dict[str, Any]]:
    primary, containers = request.get("PrimaryContainer"), request.get("Containers")
    if primary is not None and containers is not None:
        raise ValidationError("Specify either PrimaryContainer or Containers, not both")
    if containers is not None:
        if not containers:
            raise ValidationError("Containers must hold at least one container definition")
        if len(containers) > MAX_CONTAINERS:
            raise ValidationError(f"A model can have at most {MAX_CONTAINERS} containers")
        return list(containers)
    if request.get("InferenceExecutionConfig") is not None:
        raise ValidationError("InferenceExecutionConfig applies only to models defined with Containers")
    if primary is None:
        raise ValidationError("A model needs a PrimaryContainer or Containers")
    return [primary]


def _check_container(container: dict[str, Any], where: str) -> None:
    if not container.get("Image") and not container.get("ModelPackageName"):
        raise ValidationError(f"{where}: Image is required unless ModelPackageName is given")
    url = container.get("ModelDataUrl")
    if url is not None and not url.startswith(("s3://", "https://", "file://")):
        raise ValidationError(f"{where}: ModelDataUrl {url!r} must be an s3:// URI")
    if url is not None and container.get("ModelDataSource") is not None:
        raise ValidationError(f"{where}: specify ModelDataUrl or ModelDataSource, not both")
    source = (container.get("ModelDataSource") or {}).get("S3DataSource")
    if source is not None and source.get("S3DataType") == "S3Prefix" and not source["S3Uri"].endswith("/"):
        raise ValidationError(f"{where}: an S3Prefix ModelDataSource S3Uri must end with '/'")


def single_container(model_name: str, model: dict[str, Any]) -> dict[str, Any]:
    """The one container of the model stored as ``model``; hosting and batch transform serve
    single-container models only, so an inference pipeline is refused by name."""
    containers = model.get("Containers") or ([model["PrimaryContainer"]] if model.get("PrimaryContainer") else [])
    if len(containers) != 1:
        raise ValidationError(
            f"Model {model_name!r} has {len(containers)} containers; Drydock serves single-container models "
            "(inference pipelines are not supported yet)."
        )
    return dict(containers[0])
