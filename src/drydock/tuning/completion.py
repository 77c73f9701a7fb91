"""TuningJobCompletionCriteria: when a tuning job may stop before it has used its whole budget.

SageMaker's definitions, applied to the jobs in the order their results came in:

* ``TargetObjectiveMetricValue``: a job reached the target (at least it when maximizing, at most
  it when minimizing);
* ``BestObjectiveNotImproving``: the last ``MaxNumberOfTrainingJobsNotImproving`` jobs each failed
  to improve the best objective by 1% or more (a failed or early-stopped job improves nothing);
* ``ConvergenceDetected``: "a lack of significant improvement (1% or less)". AMT's detector is not
  public; Drydock calls a search converged when no job improved the best objective by 1% for
  ``max(10, MaxNumberOfTrainingJobs / 5)`` jobs in a row, reports the moment as
  ``TuningJobCompletionDetails.ConvergenceDetectedTime`` and ends the job there only when
  ``CompleteOnConvergence`` is ``Enabled``.
"""

from __future__ import annotations

from dataclasses import dataclass

from drydock.tuning.trial_record import TrialRecord, TrialState
from drydock.tuning.tuning_config import CompletionCriteria, Objective

#: What counts as an improvement, relative to the best value so far.
SIGNIFICANT_IMPROVEMENT = 0.01
MIN_CONVERGENCE_WINDOW = 10


@dataclass(frozen=True)
class Progress:
    best: float | None
    #: Jobs since the best objective last improved by 1% or more.
    not_improving: int
    converged_at: float | None
    target_reached: bool


def convergence_window(max_jobs: int) -> int:
    return max(MIN_CONVERGENCE_WINDOW, max_jobs // 5)


def progress(trials: list[TrialRecord], objective: Objective, criteria: CompletionCriteria, max_jobs: int) -> Progress:
    finished = sorted((t for t in trials if t.state.finished), key=lambda t: (t.finished_at or 0.0, t.number))
    best: float | None = None
    not_improving = 0
    converged_at: float | None = None
    target_reached = False
    window = convergence_window(max_jobs)
    for trial in finished:
        value = trial.value if trial.state is TrialState.COMPLETE else None
        if value is not None and (best is None or _improves(value, best, objective)):
            not_improving = 0
        else:
            not_improving += 1
        if value is not None and (best is None or objective.better(value, best)):
            best = value
        if value is not None and criteria.target is not None:
            target_reached = target_reached or not objective.better(criteria.target, value)
        if converged_at is None and not_improving >= window:
            converged_at = trial.finished_at
    return Progress(best, not_improving, converged_at, target_reached)


def completion_reason(progress: Progress, criteria: CompletionCriteria) -> str | None:
    """Why the tuning job should end now, or ``None`` to go on."""
    if progress.target_reached:
        return "a training job reached TargetObjectiveMetricValue"
    if criteria.max_not_improving is not None and progress.not_improving >= criteria.max_not_improving:
        return f"the best objective did not improve over the last {progress.not_improving} training jobs"
    if criteria.complete_on_convergence and progress.converged_at is not None:
        return "the search converged"
    return None


def _improves(value: float, best: float, objective: Objective) -> bool:
    gain = value - best if objective.maximize else best - value
    return gain > 0 and gain >= SIGNIFICANT_IMPROVEMENT * abs(best)
