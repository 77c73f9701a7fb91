"""ParameterRanges as SageMaker defines them: validation, scaling, and the values a training job gets."""

from __future__ import annotations

import statistics
from typing import Any

import optuna
import pytest

from drydock.errors import ValidationError
from drydock.tuning.search_space import CategoricalRange, ContinuousRange, IntegerRange, Scaling, SearchSpace


def space(**ranges: list[dict[str, Any]]) -> SearchSpace:
    return SearchSpace.parse({f"{kind}ParameterRanges": items for kind, items in ranges.items()})


def sampled(r: ContinuousRange | IntegerRange, count: int = 400) -> list[float]:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
    values = []
    for _ in range(count):
        trial = study.ask()
        values.append(float(r.hyperparameter(r.suggest(trial, r.name))))
        study.tell(trial, 0.0)
    return values


def test_ranges_parse_with_their_types_and_scales() -> None:
    parsed = space(
        Integer=[{"Name": "depth", "MinValue": "1", "MaxValue": "10", "ScalingType": "Linear"}],
        Continuous=[{"Name": "eta", "MinValue": "0.001", "MaxValue": "1", "ScalingType": "Auto"}],
        Categorical=[{"Name": "booster", "Values": ["gbtree", "dart"]}],
    )
    assert parsed.ranges == (
        IntegerRange("depth", 1, 10, Scaling.LINEAR),
        # Auto on a positive range spanning two decades or more is logarithmic.
        ContinuousRange("eta", 0.001, 1.0, Scaling.LOGARITHMIC),
        CategoricalRange("booster", ("gbtree", "dart")),
    )
    assert space(Continuous=[{"Name": "a", "MinValue": "0", "MaxValue": "1000"}]).ranges[0].scaling is Scaling.LINEAR


@pytest.mark.parametrize(
    ("ranges", "message"),
    [
        (
            {"Continuous": [{"Name": "lr", "MinValue": "0", "MaxValue": "1", "ScalingType": "Logarithmic"}]},
            "greater than 0",
        ),
        (
            {"Continuous": [{"Name": "m", "MinValue": "0.5", "MaxValue": "1", "ScalingType": "ReverseLogarithmic"}]},
            "0 <= x < 1",
        ),
        (
            {"Integer": [{"Name": "n", "MinValue": "1", "MaxValue": "9", "ScalingType": "ReverseLogarithmic"}]},
            "continuous",
        ),
        ({"Integer": [{"Name": "n", "MinValue": "1.5", "MaxValue": "9"}]}, "not a valid integer"),
        ({"Continuous": [{"Name": "x", "MinValue": "2", "MaxValue": "1"}]}, "greater than MaxValue"),
        ({"Continuous": [{"Name": "x", "MinValue": "0", "MaxValue": "inf"}]}, "finite"),
        ({"Categorical": [{"Name": "c", "Values": ["a", "a"]}]}, "duplicate"),
        (
            {
                "Categorical": [{"Name": "x", "Values": ["a"]}],
                "Integer": [{"Name": "x", "MinValue": "1", "MaxValue": "2"}],
            },
            "more than one",
        ),
    ],
)
def test_invalid_ranges_are_validation_errors(ranges: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        space(**ranges)


def test_logarithmic_scaling_samples_each_decade_alike() -> None:
    r = ContinuousRange("lr", 1e-4, 1.0, Scaling.LOGARITHMIC)
    values = sampled(r)
    assert all(1e-4 <= v <= 1.0 for v in values)
    below = sum(v < 1e-2 for v in values) / len(values)
    assert 0.4 < below < 0.6  # half the log-range lies below 0.01


def test_reverse_logarithmic_scaling_crowds_values_towards_one() -> None:
    r = ContinuousRange("momentum", 0.0, 0.999, Scaling.REVERSE_LOGARITHMIC)
    values = sampled(r)
    assert all(0.0 <= v <= 0.999 for v in values)
    # Uniform in log(1 - x): 1 - x spans 0.001..1, so half the values are above 1 - 10**-1.5 = 0.968.
    assert 0.9 < statistics.median(values) < 0.99


def test_integer_values_are_whole_numbers_and_round_trip() -> None:
    r = IntegerRange("layers", 2, 64, Scaling.LOGARITHMIC)
    values = sampled(r, 100)
    assert all(v.is_integer() and 2 <= v <= 64 for v in values)
    assert r.hyperparameter(7) == "7"
    assert r.internal("7") == 7
    assert r.internal("7.5") is None
    assert r.internal("65") is None


def test_job_values_map_back_into_the_search_space() -> None:
    reverse = ContinuousRange("m", 0.0, 0.99, Scaling.REVERSE_LOGARITHMIC)
    assert reverse.internal("0.9") == pytest.approx(0.1)
    assert float(reverse.hyperparameter(reverse.internal("0.9"))) == pytest.approx(0.9)
    assert reverse.internal("0.995") is None
    categorical = CategoricalRange("opt", ('"adam"', '"sgd"'))
    assert categorical.internal('"sgd"') == '"sgd"'
    assert categorical.hyperparameter('"sgd"') == '"sgd"'  # JSON-encoded values pass through as they are
    assert categorical.internal("sgd") is None


def test_grid_size_and_a_point_inside_every_range() -> None:
    parsed = space(
        Categorical=[{"Name": "a", "Values": ["1", "2"]}, {"Name": "b", "Values": ["x", "y", "z"]}],
        Integer=[{"Name": "n", "MinValue": "1", "MaxValue": "4"}],
    )
    assert parsed.grid_size() == 6
    assert not parsed.is_categorical()
    assert parsed.midpoint_hyperparameters() == {"n": "2", "a": "1", "b": "x"}
