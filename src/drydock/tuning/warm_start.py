"""Warm start: a new tuning job learns from the finished training jobs of its parent tuning jobs.

Each parent training job that ran to its end becomes a finished trial of the new job's study,
before its own trials, so the Bayesian sampler starts from what the parents found (with as many
parent results as its random start needs, the very first proposal is already guided). A parent
job counts only if every hyperparameter the new job tunes has a value inside the new range: tuned
in the parent, or static there (SageMaker lets a warm start move a hyperparameter between tuned and
static). ``IdenticalDataAndAlgorithm`` and ``TransferLearning`` use parent results the same way;
the former also compares the parents' best jobs with the new ones for ``OverallBestTrainingJob``.
"""

from __future__ import annotations

from typing import Any

from drydock.tuning.job_document import TRIALS
from drydock.tuning.trial_record import TrialRecord, TrialState
from drydock.tuning.tuning_config import Definition, TuningConfig
from drydock.tuning.tuning_study import WarmTrial


def warm_trials(config: TuningConfig, parents: list[dict[str, Any]]) -> list[WarmTrial]:
    found: list[WarmTrial] = []
    for parent in parents:
        statics = _static_hyperparameters(parent)
        for raw in parent.get(TRIALS) or []:
            trial = TrialRecord.from_json(raw)
            if trial.state is not TrialState.COMPLETE or trial.value is None:
                continue
            definition = _matching(config, trial.definition)
            if definition is None:
                continue
            values = {**statics.get(trial.definition, {}), **trial.hyperparameters}
            params = _params(definition, values)
            if params is not None:
                found.append(WarmTrial(definition.name, params, trial.value))
    return found


def parent_bests(parents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each parent's best training job summary (its own parents' included, for chains of warm starts)."""
    bests = []
    for parent in parents:
        best = parent.get("OverallBestTrainingJob") or parent.get("BestTrainingJob")
        if best:
            bests.append(best)
    return bests


def launched_jobs(parent: dict[str, Any]) -> int:
    return len(parent.get(TRIALS) or [])


def _matching(config: TuningConfig, name: str | None) -> Definition | None:
    if len(config.definitions) == 1 and (name is None or config.definitions[0].name in (None, name)):
        return config.definitions[0]
    return next((d for d in config.definitions if d.name == name), None)


def _params(definition: Definition, values: dict[str, str]) -> dict[str, Any] | None:
    params: dict[str, Any] = {}
    for r in definition.space.ranges:
        value = values.get(r.name)
        internal = None if value is None else r.internal(value)
        if internal is None:
            return None
        params[definition.key(r.name)] = internal
    return params


def _static_hyperparameters(parent: dict[str, Any]) -> dict[str | None, dict[str, str]]:
    if parent.get("TrainingJobDefinition"):
        return {None: dict(parent["TrainingJobDefinition"].get("StaticHyperParameters") or {})}
    return {
        item.get("DefinitionName"): dict(item.get("StaticHyperParameters") or {})
        for item in parent.get("TrainingJobDefinitions") or []
    }
