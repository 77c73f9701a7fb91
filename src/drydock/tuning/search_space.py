"""A tuning job's search space: SageMaker's ParameterRanges and how Optuna searches them.

SageMaker sends every bound and value as a string. Integer and continuous ranges have a
``ScalingType``; each maps onto an Optuna distribution, the space the samplers work in:

* ``Linear``: uniform between the bounds;
* ``Logarithmic``: uniform in ``log(x)`` (SageMaker: only for ranges of values greater than 0);
* ``ReverseLogarithmic`` (continuous only, ``0 <= x < 1``): uniform in ``log(1 - x)``, so values
  crowd towards 1 (momentum 0.9, 0.99, 0.999 are as far apart as 0.1, 0.01, 0.001). Optuna has no
  such scale, so the sampler works on ``u = 1 - x`` with a log scale and the job gets ``1 - u``;
* ``Auto`` (SageMaker: "chooses the best scale"): Drydock picks ``Logarithmic`` when the range is
  positive and spans at least two orders of magnitude (``max >= 100 * min``), ``Linear`` otherwise.

Categorical values are passed to the training job exactly as given (the SDK JSON-encodes them for
framework estimators, and the job decodes them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.trial import Trial

from drydock.errors import ValidationError

#: SageMaker's limit on the hyperparameters one tuning job (or definition) searches.
MAX_RANGES = 30


class Scaling(StrEnum):
    AUTO = "Auto"
    LINEAR = "Linear"
    LOGARITHMIC = "Logarithmic"
    REVERSE_LOGARITHMIC = "ReverseLogarithmic"


@dataclass(frozen=True)
class IntegerRange:
    name: str
    low: int
    high: int
    scaling: Scaling

    def distribution(self) -> BaseDistribution:
        return IntDistribution(self.low, self.high, log=self.scaling is Scaling.LOGARITHMIC)

    def suggest(self, trial: Trial, key: str) -> Any:
        return trial.suggest_int(key, self.low, self.high, log=self.scaling is Scaling.LOGARITHMIC)

    def hyperparameter(self, internal: Any) -> str:
        return str(int(internal))

    def internal(self, value: str) -> Any:
        """The sampler's value for a job's hyperparameter string; ``None`` when outside this range."""
        try:
            number = float(value)
        except ValueError:
            return None
        if not number.is_integer() or not self.low <= number <= self.high:
            return None
        return int(number)


@dataclass(frozen=True)
class ContinuousRange:
    name: str
    low: float
    high: float
    scaling: Scaling

    def distribution(self) -> BaseDistribution:
        if self.scaling is Scaling.REVERSE_LOGARITHMIC:
            return FloatDistribution(1.0 - self.high, 1.0 - self.low, log=True)
        return FloatDistribution(self.low, self.high, log=self.scaling is Scaling.LOGARITHMIC)

    def suggest(self, trial: Trial, key: str) -> Any:
        dist = self.distribution()
        assert isinstance(dist, FloatDistribution)
        return trial.suggest_float(key, dist.low, dist.high, log=dist.log)

    def hyperparameter(self, internal: Any) -> str:
        value = 1.0 - float(internal) if self.scaling is Scaling.REVERSE_LOGARITHMIC else float(internal)
        # Sampling in 1 - x can round a hair outside the range the user gave.
        return repr(min(max(value, self.low), self.high))

    def internal(self, value: str) -> Any:
        try:
            number = float(value)
        except ValueError:
            return None
        if not math.isfinite(number) or not self.low <= number <= self.high:
            return None
        if self.scaling is Scaling.REVERSE_LOGARITHMIC:
            dist = self.distribution()
            assert isinstance(dist, FloatDistribution)
            return min(max(1.0 - number, dist.low), dist.high)
        return number


@dataclass(frozen=True)
class CategoricalRange:
    name: str
    values: tuple[str, ...]

    def distribution(self) -> BaseDistribution:
        return CategoricalDistribution(self.values)

    def suggest(self, trial: Trial, key: str) -> Any:
        return trial.suggest_categorical(key, self.values)

    def hyperparameter(self, internal: Any) -> str:
        return str(internal)

    def internal(self, value: str) -> Any:
        return value if value in self.values else None


ParameterRange = IntegerRange | ContinuousRange | CategoricalRange


@dataclass(frozen=True)
class SearchSpace:
    """The ranges of one training job definition, in the order the request gave them."""

    ranges: tuple[ParameterRange, ...]

    @classmethod
    def parse(cls, ranges: dict[str, Any] | None) -> SearchSpace:
        """Validate a ``ParameterRanges`` structure; raises ``ValidationError`` as SageMaker does."""
        ranges = ranges or {}
        if ranges.get("AutoParameters"):
            raise ValidationError("AutoParameters (Autotune) is not supported by Drydock; give explicit ranges")
        parsed: list[ParameterRange] = []
        for item in ranges.get("IntegerParameterRanges") or []:
            parsed.append(_integer(item))
        for item in ranges.get("ContinuousParameterRanges") or []:
            parsed.append(_continuous(item))
        for item in ranges.get("CategoricalParameterRanges") or []:
            values = tuple(item["Values"])
            if len(set(values)) != len(values):
                raise ValidationError(f"The categorical hyperparameter {item['Name']} has duplicate values")
            parsed.append(CategoricalRange(item["Name"], values))
        names = [r.name for r in parsed]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValidationError(f"Hyperparameters {duplicates} appear in more than one parameter range")
        if len(parsed) > MAX_RANGES:
            raise ValidationError(f"A tuning job can search at most {MAX_RANGES} hyperparameters, not {len(parsed)}")
        return cls(tuple(parsed))

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.ranges]

    def is_categorical(self) -> bool:
        return all(isinstance(r, CategoricalRange) for r in self.ranges)

    def grid_size(self) -> int:
        return math.prod(len(r.values) for r in self.ranges if isinstance(r, CategoricalRange))

    def midpoint_hyperparameters(self) -> dict[str, str]:
        """A point inside every range, to validate a definition before any job runs."""
        out: dict[str, str] = {}
        for r in self.ranges:
            if isinstance(r, CategoricalRange):
                out[r.name] = r.values[0]
            elif isinstance(r, IntegerRange):
                out[r.name] = str((r.low + r.high) // 2)
            else:
                out[r.name] = repr((r.low + r.high) / 2)
        return out


def _bounds(item: dict[str, Any], kind: str, parse: Any) -> tuple[Any, Any, Scaling]:
    name = item["Name"]
    try:
        low, high = parse(item["MinValue"]), parse(item["MaxValue"])
    except (ValueError, OverflowError):
        raise ValidationError(
            f"The {kind} hyperparameter {name} has a MinValue or MaxValue that is not a valid {kind} number"
        ) from None
    if kind == "continuous" and not (math.isfinite(low) and math.isfinite(high)):
        raise ValidationError(f"The continuous hyperparameter {name} needs finite bounds")
    if low > high:
        raise ValidationError(f"The {kind} hyperparameter {name} has MinValue {low} greater than MaxValue {high}")
    scaling = Scaling(item.get("ScalingType") or Scaling.AUTO)
    if scaling is Scaling.AUTO:
        scaling = Scaling.LOGARITHMIC if low > 0 and high >= 100 * low else Scaling.LINEAR
    if scaling is Scaling.LOGARITHMIC and low <= 0:
        raise ValidationError(
            f"The hyperparameter {name} uses Logarithmic scaling, which works only for ranges of values greater than 0"
        )
    return low, high, scaling


def _integer(item: dict[str, Any]) -> IntegerRange:
    low, high, scaling = _bounds(item, "integer", int)
    if scaling is Scaling.REVERSE_LOGARITHMIC:
        raise ValidationError(
            f"The integer hyperparameter {item['Name']} cannot use ReverseLogarithmic scaling: "
            "it is supported only for continuous ranges within 0 <= x < 1"
        )
    return IntegerRange(item["Name"], low, high, scaling)


def _continuous(item: dict[str, Any]) -> ContinuousRange:
    low, high, scaling = _bounds(item, "continuous", float)
    if scaling is Scaling.REVERSE_LOGARITHMIC and not (low >= 0 and high < 1):
        raise ValidationError(
            f"The hyperparameter {item['Name']} uses ReverseLogarithmic scaling, which works only for ranges "
            "entirely within 0 <= x < 1"
        )
    return ContinuousRange(item["Name"], low, high, scaling)
