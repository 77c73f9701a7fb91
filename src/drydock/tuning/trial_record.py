"""One trial of a tuning job as the store keeps it: the training job it ran and what the search knows of it.

The tuning job's document holds a list of these (``Trials``, which Describe does not show). They are
the whole memory of the search: after a restart the Optuna study is rebuilt from them, with the
same trial numbers, parameters, intermediate values and sampler/pruner bookkeeping
(``system_attrs``: the grid point a GridSampler gave a trial, the rungs Hyperband saw it pass).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class TrialState(StrEnum):
    #: Proposed and written down; the training job may not exist yet (written before it is created).
    CREATING = "Creating"
    RUNNING = "Running"
    #: Ran to its end (or to Hyperband's MaxResource) and reported the objective.
    COMPLETE = "Complete"
    #: Stopped before its end (early stopping, Hyperband, a stopped tuning job) with an objective so far.
    PRUNED = "Pruned"
    #: Ended without an objective value: the job failed, or never logged the metric.
    FAILED = "Failed"

    @property
    def finished(self) -> bool:
        return self in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED)


#: Intermediate values kept per trial (Hyperband's largest MaxResource); later ones are not kept.
MAX_STEPS = 20_000


@dataclass
class TrialRecord:
    number: int
    training_job_name: str
    #: The training job definition's DefinitionName (``None`` for a lone TrainingJobDefinition).
    definition: str | None
    #: The sampler's values (e.g. ``1 - x`` for a ReverseLogarithmic range), keyed as the study keys them.
    params: dict[str, Any]
    #: What the training job got: TunedHyperParameters.
    hyperparameters: dict[str, str]
    system_attrs: dict[str, Any] = field(default_factory=dict)
    #: The objective metric each time the job logged it; step ``n`` is ``steps[n - 1]``.
    steps: list[float] = field(default_factory=list)
    state: TrialState = TrialState.CREATING
    #: The final objective value (COMPLETE, and PRUNED trials that logged one).
    value: float | None = None
    #: The tuner stopped the job: early stopping, or Hyperband (below or at MaxResource).
    stopped_by_tuner: bool = False
    #: When the trial finished, in the tuning job's order of results (for "not improving").
    finished_at: float | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> TrialRecord:
        values = dict(raw)
        values["state"] = TrialState(values["state"])
        return cls(**values)

    def add_steps(self, values: list[float]) -> None:
        self.steps.extend(values[: max(0, MAX_STEPS - len(self.steps))])
