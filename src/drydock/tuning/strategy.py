"""Which Optuna sampler and pruner carry out a tuning job's Strategy and TrainingJobEarlyStoppingType.

* ``Bayesian``: :class:`~optuna.samplers.TPESampler` (a Tree-structured Parzen Estimator, Optuna's
  Bayesian optimiser), multivariate so correlated hyperparameters are modelled together, with a
  short random start sized to the budget (a quarter of it, 3 to 10 jobs) so small budgets still get
  guided proposals;
* ``Random``: :class:`~optuna.samplers.RandomSampler`;
* ``Grid``: :class:`~optuna.samplers.GridSampler` over the categorical grid (trial ``n`` gets grid
  point ``n``, so the whole grid is covered once);
* ``Hyperband``: TPE proposals with :class:`~optuna.pruners.HyperbandPruner` deciding, at each of
  its rungs between MinResource and MaxResource, which jobs go on (Optuna's TPE samples within the
  job's Hyperband bracket, as BOHB does);
* ``TrainingJobEarlyStoppingType: Auto``: :class:`~optuna.pruners.MedianPruner`, SageMaker's median
  stopping rule: a job is stopped when its best objective so far is worse than the median of the
  previous jobs' objectives at the same step.

``RandomSeed`` makes proposals reproducible. Random search gives each trial a sampler seeded from the
RandomSeed and the trial's number (:func:`trial_seed`), so trial ``n`` is the same point in every run,
however the jobs interleave and across server restarts. The other samplers keep one sampler for the
study (Optuna's TPE does measurably better with one random stream than with a fresh one per
proposal), seeded from the RandomSeed and the number of trials already made when the study is
(re)built: the same seed and the same order of results give the same proposals, and a study rebuilt
after a restart does not replay its first proposals.
"""

from __future__ import annotations

from collections.abc import Sequence

from optuna.pruners import BasePruner, HyperbandPruner, MedianPruner, NopPruner
from optuna.samplers import BaseSampler, GridSampler, RandomSampler, TPESampler
from optuna.study import Study
from optuna.trial import FrozenTrial, TrialState

from drydock.tuning.search_space import CategoricalRange
from drydock.tuning.tuning_config import Strategy, TuningConfig

#: Median rule: wait for this many finished jobs before stopping any, and never stop a job at its
#: first objective value (SageMaker's early stopping also needs previous jobs to compare against).
MEDIAN_STARTUP_JOBS = 3
MEDIAN_WARMUP_STEPS = 1
HYPERBAND_REDUCTION_FACTOR = 3


class AskTellGridSampler(GridSampler):
    """GridSampler without its "stop the study" call: that works only inside ``study.optimize``,
    and the tuning reconciler counts the grid itself (it launches exactly ``grid_size`` jobs)."""

    def after_trial(self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None) -> None:
        return None


def startup_jobs(max_jobs: int) -> int:
    """Random proposals before TPE takes over: a quarter of the budget, at least 3, at most 10."""
    return min(10, max(3, max_jobs // 4))


def trial_seed(seed: int | None, number: int) -> int | None:
    """The seed of the sampler that proposes trial ``number``; ``None`` (random) without RandomSeed."""
    if seed is None:
        return None
    return (seed * 1_000_003 + number) % 2**32


def make_sampler(config: TuningConfig, seed: int | None) -> BaseSampler:
    if config.strategy is Strategy.RANDOM:
        return RandomSampler(seed=seed)
    if config.strategy is Strategy.GRID:
        definition = config.definitions[0]
        grid = {
            definition.key(r.name): list(r.values) for r in definition.space.ranges if isinstance(r, CategoricalRange)
        }
        return AskTellGridSampler(grid, seed=seed)
    # Several definitions make the space conditional; multivariate TPE then needs group=True.
    grouped = len(config.definitions) > 1
    return TPESampler(
        seed=seed, n_startup_trials=startup_jobs(config.max_jobs), multivariate=True, group=grouped, constant_liar=True
    )


def make_pruner(config: TuningConfig) -> BasePruner:
    if config.hyperband is not None:
        return HyperbandPruner(
            min_resource=config.hyperband.min_resource,
            max_resource=config.hyperband.max_resource,
            reduction_factor=HYPERBAND_REDUCTION_FACTOR,
        )
    if config.early_stopping:
        return MedianPruner(n_startup_trials=MEDIAN_STARTUP_JOBS, n_warmup_steps=MEDIAN_WARMUP_STEPS)
    return NopPruner()
