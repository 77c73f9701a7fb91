"""What a tuning job asked for, read once from its stored request and checked as SageMaker checks it.

The services layer calls :meth:`TuningConfig.parse` at CreateHyperParameterTuningJob (so a bad
request is a ``ValidationException``) and the reconciler calls it again on the stored document (so
nothing about a job lives only in memory).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from drydock.errors import ValidationError
from drydock.tuning.search_space import SearchSpace


class Strategy(StrEnum):
    BAYESIAN = "Bayesian"
    RANDOM = "Random"
    GRID = "Grid"
    HYPERBAND = "Hyperband"


#: SageMaker's quotas: training jobs per tuning job (Random search may go higher) and parallel jobs.
MAX_TRAINING_JOBS = 750
MAX_RANDOM_TRAINING_JOBS = 10_000
MAX_PARALLEL_JOBS = 100
#: Hyperband infers MaxResource from the first of these static hyperparameters (SageMaker's list).
EPOCH_HYPERPARAMETERS = ("epochs", "numepochs", "n-epochs", "n_epochs", "num_epochs")
MAX_RESOURCE_LIMIT = 20_000


@dataclass(frozen=True)
class Objective:
    metric_name: str
    maximize: bool

    @property
    def type(self) -> str:
        return "Maximize" if self.maximize else "Minimize"

    def better(self, a: float, b: float) -> bool:
        return a > b if self.maximize else a < b


@dataclass(frozen=True)
class Definition:
    """One training job definition: ``TrainingJobDefinition`` or an item of ``TrainingJobDefinitions``."""

    #: ``DefinitionName``; ``None`` for the lone ``TrainingJobDefinition``.
    name: str | None
    objective: Objective
    space: SearchSpace
    #: The definition as the request gave it (the child training jobs are built from it).
    document: dict[str, Any]

    def key(self, hyperparameter: str) -> str:
        """The name the sampler gives a hyperparameter (qualified when several definitions compete)."""
        return hyperparameter if self.name is None else f"{self.name}:{hyperparameter}"


@dataclass(frozen=True)
class Hyperband:
    min_resource: int
    max_resource: int


@dataclass(frozen=True)
class CompletionCriteria:
    target: float | None = None
    max_not_improving: int | None = None
    complete_on_convergence: bool = False


@dataclass(frozen=True)
class TuningConfig:
    strategy: Strategy
    definitions: tuple[Definition, ...]
    max_jobs: int
    max_parallel: int
    max_runtime: int | None
    early_stopping: bool
    hyperband: Hyperband | None
    completion: CompletionCriteria
    seed: int | None

    @property
    def objective(self) -> Objective:
        return self.definitions[0].objective

    @classmethod
    def parse(cls, request: dict[str, Any]) -> TuningConfig:
        config = request["HyperParameterTuningJobConfig"]
        strategy = Strategy(config["Strategy"])
        definitions = _definitions(request, config)
        limits = config["ResourceLimits"]
        max_parallel = int(limits["MaxParallelTrainingJobs"])
        if max_parallel > MAX_PARALLEL_JOBS:
            raise ValidationError(f"MaxParallelTrainingJobs can be at most {MAX_PARALLEL_JOBS}, not {max_parallel}")
        max_jobs = _max_jobs(strategy, definitions, limits.get("MaxNumberOfTrainingJobs"))
        early_stopping = config.get("TrainingJobEarlyStoppingType", "Off") == "Auto"
        hyperband = None
        if strategy is Strategy.HYPERBAND:
            if early_stopping:
                raise ValidationError(
                    "TrainingJobEarlyStoppingType must be Off for the Hyperband strategy: Hyperband has its own "
                    "early stopping"
                )
            hyperband = _hyperband(config, definitions)
        elif (config.get("StrategyConfig") or {}).get("HyperbandStrategyConfig"):
            raise ValidationError("HyperbandStrategyConfig can be given only with the Hyperband strategy")
        return cls(
            strategy=strategy,
            definitions=definitions,
            max_jobs=max_jobs,
            max_parallel=max_parallel,
            max_runtime=limits.get("MaxRuntimeInSeconds"),
            early_stopping=early_stopping,
            hyperband=hyperband,
            completion=_completion(config.get("TuningJobCompletionCriteria") or {}),
            seed=config.get("RandomSeed"),
        )


def _definitions(request: dict[str, Any], config: dict[str, Any]) -> tuple[Definition, ...]:
    single, several = request.get("TrainingJobDefinition"), request.get("TrainingJobDefinitions")
    if bool(single) == bool(several):
        raise ValidationError("Give exactly one of TrainingJobDefinition and TrainingJobDefinitions")
    if single:
        objective = _objective(config.get("HyperParameterTuningJobObjective") or single.get("TuningObjective"))
        ranges = config.get("ParameterRanges") or single.get("HyperParameterRanges")
        return (Definition(None, objective, SearchSpace.parse(ranges), single),)
    if config.get("HyperParameterTuningJobObjective") or config.get("ParameterRanges"):
        raise ValidationError(
            "With TrainingJobDefinitions, give each definition its TuningObjective and HyperParameterRanges instead "
            "of HyperParameterTuningJobConfig.HyperParameterTuningJobObjective and ParameterRanges"
        )
    definitions: list[Definition] = []
    for item in several or []:
        name = item.get("DefinitionName")
        if not name:
            raise ValidationError("Every item of TrainingJobDefinitions needs a DefinitionName")
        space = SearchSpace.parse(item.get("HyperParameterRanges"))
        definitions.append(Definition(name, _objective(item.get("TuningObjective")), space, item))
    names = [d.name for d in definitions]
    if len(set(names)) != len(names):
        raise ValidationError("The DefinitionName of each item of TrainingJobDefinitions must be unique")
    if len({d.objective.maximize for d in definitions}) > 1:
        raise ValidationError("Every training job definition must have the same objective Type")
    return tuple(definitions)


def _objective(objective: dict[str, Any] | None) -> Objective:
    if not objective:
        raise ValidationError(
            "The tuning job needs an objective: HyperParameterTuningJobConfig.HyperParameterTuningJobObjective "
            "(or the definition's TuningObjective)"
        )
    return Objective(objective["MetricName"], objective["Type"] == "Maximize")


def _max_jobs(strategy: Strategy, definitions: tuple[Definition, ...], given: int | None) -> int:
    if strategy is Strategy.GRID:
        if len(definitions) > 1:
            raise ValidationError("The Grid strategy supports a single training job definition")
        space = definitions[0].space
        if not space.ranges or not space.is_categorical():
            raise ValidationError("The Grid strategy searches categorical parameter ranges only")
        grid = space.grid_size()
        if grid > MAX_TRAINING_JOBS:
            raise ValidationError(
                f"The grid has {grid} combinations; the Grid strategy allows at most {MAX_TRAINING_JOBS}"
            )
        # Drydock runs at most the whole grid, fewer when MaxNumberOfTrainingJobs says so.
        return grid if given is None else min(int(given), grid)
    if given is None:
        raise ValidationError(f"ResourceLimits.MaxNumberOfTrainingJobs is required for the {strategy} strategy")
    limit = MAX_RANDOM_TRAINING_JOBS if strategy is Strategy.RANDOM else MAX_TRAINING_JOBS
    if given > limit:
        raise ValidationError(f"MaxNumberOfTrainingJobs can be at most {limit} for the {strategy} strategy")
    return int(given)


def _hyperband(config: dict[str, Any], definitions: tuple[Definition, ...]) -> Hyperband:
    given = (config.get("StrategyConfig") or {}).get("HyperbandStrategyConfig") or {}
    max_resource = given.get("MaxResource")
    if max_resource is None:
        static = definitions[0].document.get("StaticHyperParameters") or {}
        for key in EPOCH_HYPERPARAMETERS:
            if key in static:
                try:
                    max_resource = int(float(static[key].strip('"')))
                except ValueError:
                    continue
                break
    if max_resource is None:
        raise ValidationError(
            "Hyperband needs HyperbandStrategyConfig.MaxResource, or a static hyperparameter it can be inferred "
            f"from ({', '.join(EPOCH_HYPERPARAMETERS)})"
        )
    min_resource = int(given.get("MinResource") or 1)
    if not 1 <= min_resource <= max_resource <= MAX_RESOURCE_LIMIT:
        raise ValidationError(
            f"HyperbandStrategyConfig needs 1 <= MinResource <= MaxResource <= {MAX_RESOURCE_LIMIT}; "
            f"got MinResource {min_resource}, MaxResource {max_resource}"
        )
    return Hyperband(min_resource, int(max_resource))


def _completion(criteria: dict[str, Any]) -> CompletionCriteria:
    not_improving = (criteria.get("BestObjectiveNotImproving") or {}).get("MaxNumberOfTrainingJobsNotImproving")
    convergence = (criteria.get("ConvergenceDetected") or {}).get("CompleteOnConvergence") == "Enabled"
    return CompletionCriteria(criteria.get("TargetObjectiveMetricValue"), not_improving, convergence)
