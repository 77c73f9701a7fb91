"""The in-memory picture of a serving endpoint that the router reads on every invocation.

An endpoint has production variants; each variant has a weight and a pool of ready replicas. The
reconciler builds and changes these from its threads; the router reads them on the event loop. To
keep the hot path lock-free, every change replaces a whole list or mapping (an atomic reference swap
in CPython) instead of mutating one the router may be iterating, and the per-replica counters of
outstanding requests are touched only on the event loop.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from drydock.serving.replicas.port import Replica


@dataclass(eq=False)
class ReplicaSlot:
    """A ready replica as the router sees it."""

    replica: Replica
    #: Requests sent to it and not yet answered (event-loop only): the least-outstanding balancer's key.
    outstanding: int = 0
    #: Set when a request found it dead; the router stops choosing it at once, before the reconciler notices.
    broken: bool = False

    @property
    def instance_id(self) -> str:
        return self.replica.spec.instance_id


@dataclass(eq=False)
class VariantPool:
    name: str
    weight: float
    #: How many replicas the variant should have (DesiredInstanceCount once applied).
    desired_count: int
    slots: list[ReplicaSlot] = field(default_factory=list)
    #: Set when the pool is replaced (UpdateEndpoint) or the endpoint deleted: replicas that finish
    #: starting after that are stopped instead of joining it.
    retired: bool = False

    def add(self, replica: Replica) -> ReplicaSlot:
        slot = ReplicaSlot(replica)
        self.slots = [*self.slots, slot]
        return slot

    def remove(self, slot: ReplicaSlot) -> None:
        self.slots = [s for s in self.slots if s is not slot]

    def pick(self) -> ReplicaSlot | None:
        """The ready replica with the fewest outstanding requests (ties broken at random, so idle
        replicas share a trickle of sequential requests instead of one taking them all)."""
        best: list[ReplicaSlot] = []
        fewest = -1
        for slot in self.slots:
            if slot.broken:
                continue
            if fewest < 0 or slot.outstanding < fewest:
                best, fewest = [slot], slot.outstanding
            elif slot.outstanding == fewest:
                best.append(slot)
        if not best:
            return None
        return best[0] if len(best) == 1 else random.choice(best)


@dataclass(eq=False)
class LiveEndpoint:
    name: str
    arn: str
    config_name: str
    variants: dict[str, VariantPool] = field(default_factory=dict)

    def choose(self, target_variant: str | None) -> VariantPool | None:
        """The variant named by TargetVariant, else one drawn by weight (``None``: no such variant, or
        every weight is zero)."""
        variants = self.variants
        if target_variant is not None:
            return variants.get(target_variant)
        pools = list(variants.values())
        if len(pools) == 1:
            return pools[0] if pools[0].weight > 0 else None
        total = sum(p.weight for p in pools)
        if total <= 0:
            return None
        point = random.random() * total
        for pool in pools:
            point -= pool.weight
            if point < 0:
                return pool
        return pools[-1]

    def replicas(self) -> list[ReplicaSlot]:
        return [slot for pool in self.variants.values() for slot in pool.slots]
