"""Endpoint rules beyond the botocore shapes, as SageMaker enforces them.

Calls only validate and write the desired state (status Creating, Updating or Deleting) and wake the
hosting reconciler; they never wait for replicas. The configuration and its models are copied into the
endpoint (``DrydockDeployment``) when the call is accepted, as SageMaker does, so they can be deleted
afterwards without disturbing the endpoint.
"""

from __future__ import annotations

import time
from typing import Any

from drydock.errors import ValidationError
from drydock.services.dependencies import Dependencies
from drydock.services.sagemaker.endpoint_configs.model import ENDPOINT_CONFIG
from drydock.services.sagemaker.endpoints.model import ENDPOINT
from drydock.services.sagemaker.models.model import MODEL
from drydock.services.sagemaker.models.service import single_container
from drydock.serving.endpoint_record import DEPLOYMENT, PENDING, variant_summaries
from drydock.serving.endpoint_status import EndpointStatus
from drydock.store.resources import Resource

#: Statuses in which UpdateEndpoint and UpdateEndpointWeightsAndCapacities are accepted.
UPDATABLE = {EndpointStatus.IN_SERVICE, EndpointStatus.FAILED}


def create_endpoint(deps: Dependencies, request: dict[str, Any]) -> Resource:
    deployment = _deployment(deps, request["EndpointConfigName"])
    counts, weights = _initial(deployment)
    document: dict[str, Any] = {
        "EndpointName": request["EndpointName"],
        "EndpointConfigName": request["EndpointConfigName"],
        "EndpointStatus": EndpointStatus.CREATING.value,
        "ProductionVariants": variant_summaries(deployment, counts, weights, current=False),
        DEPLOYMENT: deployment,
    }
    resource = ENDPOINT.create(deps, request["EndpointName"], document, request.get("Tags"), EndpointStatus.CREATING)
    deps.endpoints.wake()
    return resource


def update_endpoint(deps: Dependencies, request: dict[str, Any]) -> Resource:
    name = request["EndpointName"]
    pending = _deployment(deps, request["EndpointConfigName"])
    excluded = {p["VariantPropertyType"] for p in request.get("ExcludeRetainedVariantProperties") or []}
    retain = bool(request.get("RetainAllVariantProperties"))

    def change(doc: dict[str, Any]) -> None:
        current = {v["VariantName"]: v for v in doc.get("ProductionVariants", [])}
        for variant in pending["Variants"]:
            running = current.get(variant["VariantName"])
            # RetainAllVariantProperties keeps what the running variant has (unless excluded).
            if retain and running is not None:
                if "DesiredInstanceCount" not in excluded and "CurrentInstanceCount" in running:
                    variant["InitialInstanceCount"] = running["CurrentInstanceCount"]
                if "DesiredWeight" not in excluded and "CurrentWeight" in running:
                    variant["InitialVariantWeight"] = running["CurrentWeight"]
        counts, weights = _initial(pending)
        summaries = variant_summaries(pending, counts, weights, current=False)
        for summary, variant in zip(summaries, pending["Variants"], strict=True):
            summary["InstanceType"] = variant.get("InstanceType")
        doc[PENDING] = pending
        doc["PendingDeploymentSummary"] = {
            "EndpointConfigName": request["EndpointConfigName"],
            "ProductionVariants": [{k: v for k, v in s.items() if v is not None} for s in summaries],
            "StartTime": time.time(),
        }

    resource = _begin_update(deps, name, change)
    deps.endpoints.wake()
    return resource


def update_weights_and_capacities(deps: Dependencies, request: dict[str, Any]) -> Resource:
    name = request["EndpointName"]
    desired = request["DesiredWeightsAndCapacities"]
    names = [d["VariantName"] for d in desired]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValidationError(f"The variant name(s) {repeated} appear more than once in DesiredWeightsAndCapacities.")
    for entry in desired:
        if (
            "DesiredWeight" not in entry
            and "DesiredInstanceCount" not in entry
            and "ServerlessUpdateConfig" not in entry
        ):
            raise ValidationError(
                f"Variant {entry['VariantName']!r}: give DesiredWeight, DesiredInstanceCount or both."
            )

    def change(doc: dict[str, Any]) -> None:
        variants = {v["VariantName"]: v for v in doc["ProductionVariants"]}
        missing = [n for n in names if n not in variants]
        if missing:
            raise ValidationError(
                f"The variant name(s) [{', '.join(missing)}] is/are not present in the current endpoint "
                f"configuration of endpoint {name}."
            )
        for entry in desired:
            variant = variants[entry["VariantName"]]
            if "DesiredWeight" in entry:
                variant["DesiredWeight"] = entry["DesiredWeight"]
            if "DesiredInstanceCount" in entry:
                variant["DesiredInstanceCount"] = entry["DesiredInstanceCount"]
        if sum(float(v["DesiredWeight"]) for v in variants.values()) <= 0:
            raise ValidationError("At least one variant must keep a DesiredWeight above zero.")

    resource = _begin_update(deps, name, change)
    deps.endpoints.wake()
    return resource


def delete_endpoint(deps: Dependencies, name: str) -> None:
    arn = ENDPOINT.arn(deps, name)

    def change(current: Resource) -> Resource | None:
        if current.status == EndpointStatus.DELETING:
            return None
        return _with_status(current, dict(current.document), EndpointStatus.DELETING)

    if deps.resources.modify(arn, change) is None:
        raise ENDPOINT.not_found(arn)
    deps.endpoints.wake()


def _begin_update(deps: Dependencies, name: str, edit: Any) -> Resource:
    arn = ENDPOINT.arn(deps, name)

    def change(current: Resource) -> Resource:
        if current.status not in UPDATABLE:
            # SageMaker's words when an update meets an endpoint that is still changing.
            raise ValidationError(f'Cannot update in-progress endpoint "{arn}".')
        document = dict(current.document)
        edit(document)
        return _with_status(current, document, EndpointStatus.UPDATING)

    resource = deps.resources.modify(arn, change)
    if resource is None:
        raise ENDPOINT.not_found(arn)
    return resource


def _with_status(current: Resource, document: dict[str, Any], status: EndpointStatus) -> Resource:
    document["EndpointStatus"] = status.value
    return current.revised(document, status.value)


def _deployment(deps: Dependencies, config_name: str) -> dict[str, Any]:
    """The snapshot of a configuration and its models that an endpoint runs."""
    config = ENDPOINT_CONFIG.get(deps, config_name).document
    if config.get("ShadowProductionVariants"):
        raise ValidationError(
            "Drydock does not serve ShadowProductionVariants yet; remove them from the configuration."
        )
    if config.get("AsyncInferenceConfig"):
        raise ValidationError("Drydock does not serve asynchronous endpoints (AsyncInferenceConfig) yet.")
    variants = []
    for variant in config["ProductionVariants"]:
        container = single_container(variant["ModelName"], MODEL.get(deps, variant["ModelName"]).document)
        if container.get("Mode") == "MultiModel":
            raise ValidationError(f"Model {variant['ModelName']!r}: multi-model endpoints are not supported yet.")
        snapshot = {
            key: variant[key]
            for key in (
                "VariantName",
                "ModelName",
                "InstanceType",
                "ContainerStartupHealthCheckTimeoutInSeconds",
                "ModelDataDownloadTimeoutInSeconds",
            )
            if key in variant
        }
        # A serverless variant runs as one always-warm instance here.
        snapshot["InitialInstanceCount"] = variant.get("InitialInstanceCount", 1)
        snapshot["InitialVariantWeight"] = variant.get("InitialVariantWeight", 1.0)
        snapshot["Container"] = container
        variants.append(snapshot)
    return {"EndpointConfigName": config_name, "Variants": variants}


def _initial(deployment: dict[str, Any]) -> tuple[dict[str, int], dict[str, float]]:
    counts = {v["VariantName"]: int(v["InitialInstanceCount"]) for v in deployment["Variants"]}
    weights = {v["VariantName"]: float(v["InitialVariantWeight"]) for v in deployment["Variants"]}
    return counts, weights
