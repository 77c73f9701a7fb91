"""The tuning job's study on Optuna, without a server: strategies, seeds, pruning, rebuilding after a
restart, completion criteria, the config rules and the child training job requests."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from drydock.errors import ValidationError
from drydock.tuning.child_request import OBJECTIVE_HYPERPARAMETER, child_name, child_request
from drydock.tuning.completion import completion_reason, progress
from drydock.tuning.trial_record import TrialRecord, TrialState
from drydock.tuning.tuning_config import Strategy, TuningConfig
from drydock.tuning.tuning_study import TuningStudy, WarmTrial

DEFINITION = {
    "AlgorithmSpecification": {"TrainingImage": "img", "TrainingInputMode": "File"},
    "RoleArn": "arn:aws:iam::000000000000:role/R",
    "OutputDataConfig": {"S3OutputPath": "s3://b/out"},
    "StoppingCondition": {"MaxRuntimeInSeconds": 60},
    "HyperParameterTuningResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
    "StaticHyperParameters": {"epochs": "9"},
}
RANGES = {
    "ContinuousParameterRanges": [{"Name": "x", "MinValue": "0", "MaxValue": "1"}],
    "IntegerParameterRanges": [{"Name": "n", "MinValue": "1", "MaxValue": "100", "ScalingType": "Logarithmic"}],
    "CategoricalParameterRanges": [{"Name": "opt", "Values": ["a", "b", "c"]}],
}


def request(strategy: str = "Random", max_jobs: int | None = 8, **config: Any) -> dict[str, Any]:
    limits: dict[str, Any] = {"MaxParallelTrainingJobs": 2}
    if max_jobs is not None:
        limits["MaxNumberOfTrainingJobs"] = max_jobs
    return {
        "HyperParameterTuningJobName": "tj",
        "HyperParameterTuningJobConfig": {
            "Strategy": strategy,
            "ResourceLimits": limits,
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"},
            "ParameterRanges": RANGES,
            **config,
        },
        "TrainingJobDefinition": copy.deepcopy(DEFINITION),
    }


def run(study: TuningStudy, count: int, score: Any = None) -> list[TrialRecord]:
    """Propose ``count`` trials one after the other, each finishing with ``score(hyperparameters)``."""
    records = []
    for _ in range(count):
        proposal = study.ask()
        value = float(score(proposal.hyperparameters)) if score else 0.0
        study.tell(proposal.number, TrialState.COMPLETE, value)
        records.append(record_of(study, proposal, value))
    return records


def record_of(
    study: TuningStudy, proposal: Any, value: float | None, state: TrialState = TrialState.COMPLETE
) -> TrialRecord:
    return TrialRecord(
        number=proposal.number,
        training_job_name=f"tj-{proposal.number:03d}",
        definition=proposal.definition.name,
        params=proposal.params,
        hyperparameters=proposal.hyperparameters,
        system_attrs=study.system_attrs(proposal.number),
        state=state,
        value=value,
        finished_at=float(proposal.number),
    )


def test_the_same_seed_gives_the_same_proposals_whatever_the_results() -> None:
    config = TuningConfig.parse(request(RandomSeed=11))
    first = [r.hyperparameters for r in run(TuningStudy("a", config, [], []), 6, lambda hp: float(hp["x"]))]
    second = [r.hyperparameters for r in run(TuningStudy("b", config, [], []), 6, lambda hp: -float(hp["x"]))]
    other = [r.hyperparameters for r in run(TuningStudy("c", TuningConfig.parse(request(RandomSeed=12)), [], []), 6)]
    assert first == second
    assert first != other
    assert all(0 <= float(hp["x"]) <= 1 and 1 <= int(hp["n"]) <= 100 and hp["opt"] in "abc" for hp in first)


def test_grid_covers_every_combination_exactly_once() -> None:
    req = request("Grid", max_jobs=None)
    req["HyperParameterTuningJobConfig"]["ParameterRanges"] = {
        "CategoricalParameterRanges": [{"Name": "a", "Values": ["1", "2"]}, {"Name": "b", "Values": ["x", "y", "z"]}]
    }
    config = TuningConfig.parse(req)
    assert config.max_jobs == 6
    points = [tuple(r.hyperparameters.values()) for r in run(TuningStudy("g", config, [], []), 6)]
    assert sorted(points) == sorted((a, b) for a in "12" for b in "xyz")


def test_a_rebuilt_study_goes_on_without_replaying_proposals() -> None:
    config = TuningConfig.parse(request("Bayesian", max_jobs=12, RandomSeed=5))
    study = TuningStudy("tj", config, [], [])
    done = run(study, 4, lambda hp: (float(hp["x"]) - 0.3) ** 2)
    running = study.ask()
    study.report(running.number, [0.9, 0.8])
    records = [*done, record_of(study, running, None, TrialState.RUNNING)]
    records[-1].steps = [0.9, 0.8]

    rebuilt = TuningStudy("tj", config, [], records)
    frozen = rebuilt.study.get_trials(deepcopy=False)
    assert [t.number for t in frozen] == [0, 1, 2, 3, 4]
    assert frozen[4].intermediate_values == {1: 0.9, 2: 0.8}
    following = rebuilt.ask()
    assert following.number == 5
    assert following.hyperparameters not in [r.hyperparameters for r in records]
    # The trial that was running when the server stopped can still report and end.
    assert rebuilt.report(running.number, [0.9, 0.8, 0.7]) is False
    rebuilt.tell(running.number, TrialState.COMPLETE, 0.7)
    assert rebuilt.study.get_trials(deepcopy=False)[4].value == 0.7


def test_median_rule_stops_a_job_worse_than_the_median_of_earlier_jobs() -> None:
    config = TuningConfig.parse(request(TrainingJobEarlyStoppingType="Auto"))
    study = TuningStudy("m", config, [], [])
    for _ in range(3):
        proposal = study.ask()
        study.report(proposal.number, [1.0, 0.5, 0.25])
        study.tell(proposal.number, TrialState.COMPLETE, 0.25)
    good, bad = study.ask(), study.ask()
    assert study.report(good.number, [0.9]) is False  # never at the first step
    assert study.report(good.number, [0.9, 0.4]) is False
    assert study.report(bad.number, [2.0, 1.5]) is True


def test_hyperband_promotes_only_the_best_of_a_rung() -> None:
    req = request("Hyperband", max_jobs=20, RandomSeed=1)
    req["HyperParameterTuningJobConfig"]["StrategyConfig"] = {"HyperbandStrategyConfig": {"MinResource": 1}}
    config = TuningConfig.parse(req)
    assert config.hyperband is not None and config.hyperband.max_resource == 9  # from StaticHyperParameters epochs
    study = TuningStudy("h", config, [], [])
    pruned = 0
    for i in range(20):
        proposal = study.ask()
        steps: list[float] = []
        stopped = False
        for step in range(9):
            steps.append(float(i % 5) + 1.0 / (step + 1))
            if study.report(proposal.number, steps):
                stopped = True
                break
        pruned += stopped
        study.tell(proposal.number, TrialState.PRUNED if stopped else TrialState.COMPLETE, steps[-1])
    assert 0 < pruned < 20


def test_warm_start_trials_count_as_the_random_start() -> None:
    config = TuningConfig.parse(request("Bayesian", max_jobs=12, RandomSeed=2))
    warm = [WarmTrial(None, {"x": x / 10, "n": 10, "opt": "a"}, (x / 10 - 0.8) ** 2) for x in range(11)]
    study = TuningStudy("w", config, warm, [])
    proposal = study.ask()
    assert proposal.number == 11
    assert abs(float(proposal.hyperparameters["x"]) - 0.8) < 0.3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r["HyperParameterTuningJobConfig"].update(Strategy="Grid"), "categorical parameter ranges only"),
        (lambda r: r["HyperParameterTuningJobConfig"]["ResourceLimits"].pop("MaxNumberOfTrainingJobs"), "required"),
        (
            lambda r: r["HyperParameterTuningJobConfig"].update(
                Strategy="Hyperband", TrainingJobEarlyStoppingType="Auto"
            ),
            "must be Off",
        ),
        (
            lambda r: (
                r["TrainingJobDefinition"]["StaticHyperParameters"].clear()
                or r["HyperParameterTuningJobConfig"].update(Strategy="Hyperband")
            ),
            "MaxResource",
        ),
        (lambda r: r["HyperParameterTuningJobConfig"].pop("HyperParameterTuningJobObjective"), "needs an objective"),
        (
            lambda r: r["HyperParameterTuningJobConfig"]["ResourceLimits"].update(MaxNumberOfTrainingJobs=10001),
            "at most 10000",
        ),
    ],
)
def test_config_rules(change: Any, message: str) -> None:
    req = request()
    change(req)
    with pytest.raises(ValidationError, match=message):
        TuningConfig.parse(req)


def test_random_search_allows_more_jobs_than_the_others() -> None:
    assert TuningConfig.parse(request(max_jobs=751)).max_jobs == 751
    with pytest.raises(ValidationError, match="at most 750"):
        TuningConfig.parse(request("Bayesian", max_jobs=751))
    assert TuningConfig.parse(request("Bayesian", max_jobs=750)).strategy is Strategy.BAYESIAN


def test_completion_criteria() -> None:
    config = TuningConfig.parse(
        request(
            TuningJobCompletionCriteria={
                "TargetObjectiveMetricValue": 0.1,
                "BestObjectiveNotImproving": {"MaxNumberOfTrainingJobsNotImproving": 3},
            }
        )
    )

    def trials(*values: float | None) -> list[TrialRecord]:
        return [
            TrialRecord(
                i,
                f"j{i}",
                None,
                {},
                {},
                state=TrialState.COMPLETE if v is not None else TrialState.FAILED,
                value=v,
                finished_at=float(i),
            )
            for i, v in enumerate(values)
        ]

    def reason(*values: float | None) -> str | None:
        return completion_reason(progress(trials(*values), config.objective, config.completion, 8), config.completion)

    assert reason(1.0, 0.5) is None
    assert reason(1.0, 0.5, 0.4999, None, 0.6) == "the best objective did not improve over the last 3 training jobs"
    assert reason(1.0, 0.5, 0.45, None, 0.6) is None  # 0.45 improved the best by 10%
    assert reason(1.0, 0.09) == "a training job reached TargetObjectiveMetricValue"
    assert progress(trials(*([1.0] * 12)), config.objective, config.completion, 8).converged_at == 10.0


def test_child_requests_follow_sagemaker() -> None:
    req = request()
    req["TrainingJobDefinition"]["CheckpointConfig"] = {"S3Uri": "s3://b/ckpt/"}
    definition = TuningConfig.parse(req).definitions[0]
    name = child_name("tj", 7)
    assert name.startswith("tj-007-") and len(name) == len("tj-007-") + 8
    child = child_request(definition, name, {"x": "0.5"})
    assert child["ResourceConfig"] == {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5}
    assert child["HyperParameters"] == {"epochs": "9", "x": "0.5", OBJECTIVE_HYPERPARAMETER: "loss"}
    assert child["CheckpointConfig"] == {"S3Uri": f"s3://b/ckpt/{name}"}
    assert "HyperParameterTuningResourceConfig" not in child
