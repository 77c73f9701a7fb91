"""An endpoint's stored Describe document, and the only code that changes its status.

The document holds what DescribeEndpoint shows plus two members Describe never shows, both written by
the control plane when a call is accepted: ``DrydockDeployment``, the snapshot of the configuration and
models the endpoint runs (SageMaker copies them at CreateEndpoint, so deleting the EndpointConfig or
Model afterwards does not disturb a running endpoint — the SDK's ``delete_endpoint`` does exactly
that), and ``DrydockPending``, the snapshot an UpdateEndpoint is moving to. Every change is a
row-locked read-modify-write, so the reconciler and a concurrent API call never lose an update.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from drydock.serving.endpoint_status import EndpointStatus, check_transition
from drydock.store.resources import Resource, ResourceRepository

DEPLOYMENT = "DrydockDeployment"
PENDING = "DrydockPending"
INTERNAL_MEMBERS = (DEPLOYMENT, PENDING)


class EndpointRecord:
    def __init__(self, repository: ResourceRepository, arn: str, name: str) -> None:
        self.repository = repository
        self.arn = arn
        self.name = name

    def document(self) -> dict[str, Any] | None:
        resource = self.repository.get(self.arn)
        return None if resource is None else dict(resource.document)

    def in_service(self, deployment: dict[str, Any], counts: dict[str, int], weights: dict[str, float]) -> None:
        """The endpoint serves ``deployment`` with these instance counts and weights."""

        def change(doc: dict[str, Any]) -> None:
            doc[DEPLOYMENT] = deployment
            doc.pop(PENDING, None)
            doc.pop("PendingDeploymentSummary", None)
            doc.pop("FailureReason", None)
            doc["EndpointConfigName"] = deployment["EndpointConfigName"]
            doc["ProductionVariants"] = variant_summaries(deployment, counts, weights, current=True)
            _status(doc, EndpointStatus.IN_SERVICE)

        self._change(change)

    def update_failed(self, reason: str) -> None:
        """An update that could not be applied: the endpoint keeps serving what it served, as
        SageMaker rolls a failed update back, and FailureReason says why."""

        def change(doc: dict[str, Any]) -> None:
            doc.pop(PENDING, None)
            doc.pop("PendingDeploymentSummary", None)
            doc["FailureReason"] = reason[:1024]
            for variant in doc.get("ProductionVariants", []):
                # Desired values that were never reached go back to what is running.
                variant["DesiredWeight"] = variant.get("CurrentWeight", variant.get("DesiredWeight"))
                variant["DesiredInstanceCount"] = variant.get(
                    "CurrentInstanceCount", variant.get("DesiredInstanceCount")
                )
                variant.pop("VariantStatus", None)
            _status(doc, EndpointStatus.IN_SERVICE)

        self._change(change)

    def fail(self, reason: str) -> None:
        def change(doc: dict[str, Any]) -> None:
            doc["FailureReason"] = reason[:1024]
            for variant in doc.get("ProductionVariants", []):
                variant.pop("VariantStatus", None)
            _status(doc, EndpointStatus.FAILED)

        self._change(change)

    def system_updating(self) -> None:
        self._change(lambda doc: _status(doc, EndpointStatus.SYSTEM_UPDATING))

    def delete(self) -> None:
        self.repository.delete(self.arn)

    def _change(self, edit: Callable[[dict[str, Any]], None]) -> None:
        def apply(current: Resource) -> Resource:
            doc = dict(current.document)
            edit(doc)
            return current.revised(doc, doc["EndpointStatus"])

        self.repository.modify(self.arn, apply)


def variant_summaries(
    deployment: dict[str, Any], counts: dict[str, int], weights: dict[str, float], current: bool
) -> list[dict[str, Any]]:
    """Describe's ProductionVariants for ``deployment``: Current* only once the variant serves."""
    now = time.time()
    summaries = []
    for variant in deployment["Variants"]:
        name = variant["VariantName"]
        image = variant["Container"].get("Image", "")
        summary: dict[str, Any] = {
            "VariantName": name,
            "DeployedImages": [{"SpecifiedImage": image, "ResolvedImage": image, "ResolutionTime": now}],
            "DesiredWeight": weights[name],
            "DesiredInstanceCount": counts[name],
        }
        if current:
            summary["CurrentWeight"] = weights[name]
            summary["CurrentInstanceCount"] = counts[name]
        else:
            summary["VariantStatus"] = [{"Status": "Creating", "StartTime": now}]
        summaries.append(summary)
    return summaries


def _status(doc: dict[str, Any], target: EndpointStatus) -> None:
    check_transition(EndpointStatus(doc["EndpointStatus"]), target)
    doc["EndpointStatus"] = target.value
