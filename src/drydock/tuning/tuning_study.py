"""The Optuna study behind one tuning job, rebuilt from the stored trials whenever it is needed.

Optuna keeps its study in memory; Drydock keeps the truth in the store (:mod:`.trial_record`). A
:class:`TuningStudy` is made from the tuning job's config, its warm-start trials and its trial
records: finished trials and running ones are added back with ``optuna.trial.create_trial`` and
``study.add_trial`` in trial-number order, so samplers and pruners see exactly what they saw before
a restart, and new proposals continue from there (ask/tell; nothing runs ``study.optimize``).

Not thread-safe: one tuning reconciler thread owns each study.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution
from optuna.exceptions import ExperimentalWarning
from optuna.trial import FrozenTrial, Trial, create_trial
from optuna.trial import TrialState as OptunaState

from drydock.tuning.strategy import make_pruner, make_sampler, trial_seed
from drydock.tuning.trial_record import TrialRecord, TrialState
from drydock.tuning.tuning_config import Definition, Strategy, TuningConfig

#: The sampler's parameter that picks a training job definition when there are several.
DEFINITION_KEY = "TrainingJobDefinitionName"

# Optuna logs every trial at INFO on its own stderr handler; the server's logging decides instead.
optuna.logging.disable_default_handler()
optuna.logging.enable_propagation()
optuna.logging.set_verbosity(optuna.logging.WARNING)
# Multivariate TPE is "experimental" in Optuna's terms (and has been for years); not news to our users.
warnings.filterwarnings("ignore", category=ExperimentalWarning, module="optuna")

_OPTUNA_STATES = {
    TrialState.COMPLETE: OptunaState.COMPLETE,
    TrialState.PRUNED: OptunaState.PRUNED,
    TrialState.FAILED: OptunaState.FAIL,
}


@dataclass(frozen=True)
class Proposal:
    """A new trial: where the sampler wants the next training job to look."""

    number: int
    definition: Definition
    params: dict[str, Any]
    hyperparameters: dict[str, str]
    system_attrs: dict[str, Any]


@dataclass(frozen=True)
class WarmTrial:
    """A finished trial of a warm-start parent, already mapped into this job's search space."""

    definition: str | None
    params: dict[str, Any]
    value: float


class TuningStudy:
    def __init__(self, name: str, config: TuningConfig, warm: list[WarmTrial], records: list[TrialRecord]) -> None:
        self.config = config
        self.study = optuna.create_study(
            study_name=name,
            # Seeded from RandomSeed and the number of trials already made, so a study rebuilt after a
            # restart does not replay the proposals its first sampler made (see strategy.trial_seed).
            sampler=make_sampler(config, trial_seed(config.seed, len(warm) + len(records))),
            pruner=make_pruner(config),
            direction="maximize" if config.objective.maximize else "minimize",
        )
        self._distributions = _distributions(config)
        self._running: dict[int, Trial] = {}
        #: Steps already reported per running trial.
        self._reported: dict[int, int] = {}
        for trial in warm:
            params = self._with_definition(trial.params, trial.definition)
            self.study.add_trial(create_trial(value=trial.value, params=params, distributions=self._of(params)))
        self.offset = len(warm)
        for record in sorted(records, key=lambda r: r.number):
            self._restore(record)

    # --- proposals ------------------------------------------------------------------------------

    def ask(self) -> Proposal:
        if self.config.strategy is Strategy.RANDOM:
            # A sampler per proposal, seeded from RandomSeed and the trial number: trial n is the same
            # point in every run, however the jobs interleave and whether or not the server restarted.
            number = len(self.study.get_trials(deepcopy=False))
            self.study.sampler = make_sampler(self.config, trial_seed(self.config.seed, number))
        trial = self.study.ask()
        definitions = self.config.definitions
        definition = definitions[0]
        if len(definitions) > 1:
            chosen = trial.suggest_categorical(DEFINITION_KEY, [d.name for d in definitions])
            definition = next(d for d in definitions if d.name == chosen)
        hyperparameters = {
            r.name: r.hyperparameter(r.suggest(trial, definition.key(r.name))) for r in definition.space.ranges
        }
        self._running[trial.number] = trial
        self._reported[trial.number] = 0
        return Proposal(trial.number, definition, dict(trial.params), hyperparameters, self.system_attrs(trial.number))

    def system_attrs(self, number: int) -> dict[str, Any]:
        """The sampler's and pruner's bookkeeping for a trial, to be stored with it."""
        return dict(self._frozen(number).system_attrs)

    # --- results --------------------------------------------------------------------------------

    def report(self, number: int, steps: list[float]) -> bool:
        """Tell the pruner about steps it has not seen; ``True`` when it says to stop the job."""
        trial = self._running.get(number)
        if trial is None:
            return False
        prune = False
        for step in range(self._reported[number] + 1, len(steps) + 1):
            trial.report(steps[step - 1], step)
            # Ask at every step: Hyperband records each rung's value as the trial passes it.
            prune = bool(trial.should_prune()) or prune
        self._reported[number] = len(steps)
        return prune

    def tell(self, number: int, state: TrialState, value: float | None) -> None:
        trial = self._running.pop(number, None)
        self._reported.pop(number, None)
        if trial is None:
            return
        if state is TrialState.COMPLETE and value is not None:
            self.study.tell(trial, value)
        else:
            self.study.tell(trial, state=_OPTUNA_STATES.get(state, OptunaState.FAIL))

    # --- rebuilding -----------------------------------------------------------------------------

    def _restore(self, record: TrialRecord) -> None:
        if record.number != len(self.study.get_trials(deepcopy=False)):
            raise ValueError(f"trial {record.number} of {self.study.study_name} is out of order in the store")
        intermediate = {step: value for step, value in enumerate(record.steps, start=1)}
        finished = record.state.finished
        state = _OPTUNA_STATES[record.state] if finished else OptunaState.RUNNING
        if state is OptunaState.COMPLETE and record.value is None:
            state = OptunaState.FAIL
        self.study.add_trial(
            create_trial(
                state=state,
                value=record.value if state is OptunaState.COMPLETE else None,
                params=record.params,
                distributions=self._of(record.params),
                intermediate_values=intermediate,
                system_attrs=record.system_attrs,
            )
        )
        if not finished:
            # A handle on the stored running trial, to report its next steps and tell its end.
            frozen = self._frozen(record.number)
            self._running[record.number] = Trial(self.study, frozen._trial_id)
            self._reported[record.number] = len(record.steps)

    def _frozen(self, number: int) -> FrozenTrial:
        return self.study.get_trials(deepcopy=False)[number]

    def _of(self, params: dict[str, Any]) -> dict[str, BaseDistribution]:
        return {key: self._distributions[key] for key in params}

    def _with_definition(self, params: dict[str, Any], definition: str | None) -> dict[str, Any]:
        if len(self.config.definitions) > 1:
            return {DEFINITION_KEY: definition, **params}
        return params


def _distributions(config: TuningConfig) -> dict[str, BaseDistribution]:
    found: dict[str, BaseDistribution] = {}
    if len(config.definitions) > 1:
        found[DEFINITION_KEY] = CategoricalDistribution([d.name for d in config.definitions])
    for definition in config.definitions:
        for r in definition.space.ranges:
            found[definition.key(r.name)] = r.distribution()
    return found
