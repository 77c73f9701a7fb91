"""Endpoint statuses as SageMaker reports them, and the moves between them it allows.

Creating → InService | Failed; InService → Updating (UpdateEndpoint, UpdateEndpointWeightsAndCapacities)
→ InService; InService → SystemUpdating → InService when the platform itself restarts the replicas (here:
after a server restart); any status → Deleting. A failed update goes back to InService on the old
configuration with a FailureReason, as SageMaker rolls an update back. An illegal move raises, so a bug
in the reconciler cannot resurrect a deleted or failed endpoint silently.
"""

from __future__ import annotations

from enum import StrEnum


class EndpointStatus(StrEnum):
    CREATING = "Creating"
    IN_SERVICE = "InService"
    UPDATING = "Updating"
    SYSTEM_UPDATING = "SystemUpdating"
    DELETING = "Deleting"
    FAILED = "Failed"


ALLOWED: dict[EndpointStatus, set[EndpointStatus]] = {
    EndpointStatus.CREATING: {EndpointStatus.IN_SERVICE, EndpointStatus.FAILED, EndpointStatus.DELETING},
    EndpointStatus.IN_SERVICE: {EndpointStatus.UPDATING, EndpointStatus.SYSTEM_UPDATING, EndpointStatus.DELETING},
    EndpointStatus.UPDATING: {EndpointStatus.IN_SERVICE, EndpointStatus.FAILED, EndpointStatus.DELETING},
    EndpointStatus.SYSTEM_UPDATING: {EndpointStatus.IN_SERVICE, EndpointStatus.FAILED, EndpointStatus.DELETING},
    # A failed endpoint can be updated to a working configuration, or deleted.
    EndpointStatus.FAILED: {EndpointStatus.UPDATING, EndpointStatus.DELETING},
    EndpointStatus.DELETING: set(),
}

#: Statuses in which invocations are served (an update serves the old configuration until it switches).
SERVING = frozenset({EndpointStatus.IN_SERVICE, EndpointStatus.UPDATING, EndpointStatus.SYSTEM_UPDATING})


class IllegalTransition(Exception):
    """The reconciler tried a move SageMaker never makes: a bug, not a user error."""


def check_transition(current: EndpointStatus, target: EndpointStatus) -> None:
    if target != current and target not in ALLOWED[current]:
        raise IllegalTransition(f"endpoint cannot go from {current} to {target}")
