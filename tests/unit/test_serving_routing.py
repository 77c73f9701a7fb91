"""Variant choice by weight, least-outstanding replica choice, endpoint status rules, metric sets."""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from drydock.serving.endpoint_metrics import EndpointMetrics
from drydock.serving.endpoint_status import EndpointStatus, IllegalTransition, check_transition
from drydock.serving.live_endpoint import LiveEndpoint, VariantPool
from drydock.serving.replicas.port import ReplicaSpec


@dataclass
class _Replica:
    spec: ReplicaSpec
    url: str = "http://127.0.0.1:1"
    setup_seconds: float = 0.0
    stopped: list[float] = field(default_factory=list)

    def usage(self) -> None:
        return None

    def alive(self) -> bool:
        return True

    def stop(self, grace_seconds: float) -> None:
        self.stopped.append(grace_seconds)


def _replica(instance_id: str) -> _Replica:
    spec = ReplicaSpec("e", "v", instance_id, "ml.m5.large", {}, Path("/nonexistent"), [], 1.0, lambda line: None)
    return _Replica(spec)


def test_weights_split_traffic_and_zero_weight_gets_none() -> None:
    live = LiveEndpoint("e", "arn", "c", {"A": VariantPool("A", 3.0, 1), "B": VariantPool("B", 1.0, 1)})
    seen = collections.Counter(live.choose(None).name for _ in range(20000))  # type: ignore[union-attr]
    assert 0.73 < seen["A"] / 20000 < 0.77
    live.variants["A"].weight = 0.0
    assert {live.choose(None).name for _ in range(200)} == {"B"}  # type: ignore[union-attr]
    assert live.choose("A") is live.variants["A"]  # TargetVariant ignores weights
    assert live.choose("missing") is None
    live.variants["B"].weight = 0.0
    assert live.choose(None) is None


def test_least_outstanding_replica_is_chosen_and_broken_ones_skipped() -> None:
    pool = VariantPool("A", 1.0, 3)
    slots = [pool.add(_replica(f"i-{n}")) for n in range(3)]
    slots[0].outstanding, slots[1].outstanding, slots[2].outstanding = 2, 0, 1
    assert pool.pick() is slots[1]
    slots[1].broken = True
    assert pool.pick() is slots[2]
    # Ties are shared out instead of one replica taking every sequential request.
    for slot in slots:
        slot.outstanding, slot.broken = 0, False
    assert {pool.pick().instance_id for _ in range(200)} == {"i-0", "i-1", "i-2"}  # type: ignore[union-attr]
    pool.remove(slots[0])
    assert [s.instance_id for s in pool.slots] == ["i-1", "i-2"]


def test_status_transitions_follow_sagemaker() -> None:
    check_transition(EndpointStatus.CREATING, EndpointStatus.IN_SERVICE)
    check_transition(EndpointStatus.IN_SERVICE, EndpointStatus.UPDATING)
    check_transition(EndpointStatus.IN_SERVICE, EndpointStatus.SYSTEM_UPDATING)
    check_transition(EndpointStatus.FAILED, EndpointStatus.DELETING)
    with pytest.raises(IllegalTransition):
        check_transition(EndpointStatus.DELETING, EndpointStatus.IN_SERVICE)
    with pytest.raises(IllegalTransition):
        check_transition(EndpointStatus.FAILED, EndpointStatus.IN_SERVICE)


def test_metrics_are_one_second_statistic_sets_per_variant() -> None:
    metrics = EndpointMetrics()
    metrics.invocation("e", "A", 2, 0.004, 0.001, None)
    metrics.invocation("e", "A", 2, 0.002, 0.001, 4)
    metrics.invocation("e", "B", 1, None, 0.003, 5)
    metrics.model_setup("e", "A", 1.5)
    sets = {(s.metric_name, s.dimensions[1][1]): s for s in metrics.drain(everything=True)}
    assert sets[("Invocations", "A")].sum == 2
    assert sets[("InvocationsPerInstance", "A")].sum == pytest.approx(1.0)
    assert sets[("Invocation4XXErrors", "A")].sum == 1 and sets[("Invocation4XXErrors", "A")].sample_count == 2
    assert sets[("Invocation5XXErrors", "B")].sum == 1
    latency = sets[("ModelLatency", "A")]
    assert (latency.unit, latency.minimum, latency.maximum) == (
        "Microseconds",
        pytest.approx(2000),
        pytest.approx(4000),
    )
    assert ("ModelLatency", "B") not in sets  # the model never answered
    assert sets[("ModelSetupTime", "A")].sum == pytest.approx(1.5e6)
    assert all(s.namespace == "AWS/SageMaker" and s.dimensions[0] == ("EndpointName", "e") for s in sets.values())
    assert metrics.drain(everything=True) == []
    text = metrics.prometheus()
    assert 'drydock_endpoint_invocations_total{endpoint="e",variant="A"} 2' in text
    assert 'drydock_endpoint_invocation_errors_total{endpoint="e",variant="B",class="5xx"} 1' in text
