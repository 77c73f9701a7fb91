"""Managed spot training: the interruption policy a server injects, since no real market reclaims
local capacity.

SageMaker interrupts a spot job when EC2 takes the instances back; the job shows SecondaryStatus
``Interrupted``, waits for capacity, restarts (restoring ``/opt/ml/checkpoints`` from
``CheckpointConfig.S3Uri``) and bills only the seconds the instances ran, which is how
``BillableTimeInSeconds`` comes out below ``TrainingTimeInSeconds`` ("savings"). The policy is set by
``DRYDOCK_SPOT_INTERRUPTIONS``, e.g. ``count=2,after=3,wait=1``: interrupt every spot job twice, each
time after 3 s of training, and wait 1 s for capacity before restarting.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SpotPolicy:
    #: How many times each spot job is interrupted.
    interruptions: int
    #: Seconds of training in an attempt before it is interrupted.
    interrupt_after: float
    #: Seconds an interrupted job waits for capacity before it restarts.
    capacity_wait: float

    @classmethod
    def parse(cls, text: str) -> SpotPolicy | None:
        """``None`` for an empty policy (spot jobs then run like on-demand ones)."""
        if not text.strip():
            return None
        fields: dict[str, float] = {}
        for part in text.split(","):
            key, _, value = part.partition("=")
            key = key.strip()
            if key not in ("count", "after", "wait"):
                raise ValueError(f"unknown spot policy field {key!r}; use count=N,after=SECONDS,wait=SECONDS")
            try:
                fields[key] = float(value)
            except ValueError:
                raise ValueError(f"spot policy field {key!r} needs a number, got {value!r}") from None
        return cls(
            interruptions=int(fields.get("count", 1)),
            interrupt_after=fields.get("after", 5.0),
            capacity_wait=fields.get("wait", 1.0),
        )
