"""SageMaker XGBoost's hyperparameters: names, ranges and the messages a user gets when one is wrong.

Values arrive as strings (``hyperparameters.json``). The names, ranges and required ones follow the
SageMaker XGBoost documentation (``num_round`` always, ``num_class`` for ``multi:*`` objectives);
an invalid one fails the job with ``Hyperparameter <name>: ...`` as the container's algorithm
toolkit does. This module imports no xgboost, so the registry (and the server) can validate cheaply.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from drydock.errors import ValidationError

INF = math.inf


class HyperparameterError(ValidationError):
    """A hyperparameter is missing or invalid; the message becomes the job's FailureReason."""


@dataclass(frozen=True)
class Number:
    """An int or float hyperparameter with an interval; ``*_open`` excludes the bound."""

    integer: bool
    low: float = -INF
    high: float = INF
    low_open: bool = False
    high_open: bool = False

    def parse(self, name: str, text: str) -> int | float:
        try:
            value = float(text)
        except ValueError:
            raise HyperparameterError(f"Hyperparameter {name}: value {text!r} is not a number") from None
        if self.integer:
            if not value.is_integer():
                raise HyperparameterError(f"Hyperparameter {name}: value {text!r} is not an integer")
            value = int(value)
        if not self._inside(value):
            raise HyperparameterError(f"Hyperparameter {name}: value {text} not in range {self._interval()}")
        return value

    def _inside(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below and not math.isnan(value)

    def _interval(self) -> str:
        def bound(x: float) -> str:
            return "inf" if x == INF else "-inf" if x == -INF else f"{x:g}"

        return f"{'(' if self.low_open else '['}{bound(self.low)}, {bound(self.high)}{')' if self.high_open else ']'}"


@dataclass(frozen=True)
class Choice:
    values: frozenset[str]

    def parse(self, name: str, text: str) -> str:
        if text not in self.values:
            raise HyperparameterError(f"Hyperparameter {name}: value {text!r} not in {sorted(self.values)}")
        return text


@dataclass(frozen=True)
class Text:
    """Free-form strings xgboost parses itself (constraints, updater lists)."""

    def parse(self, name: str, text: str) -> str:
        return text


Spec = Number | Choice | Text

UNIT_OPEN_LOW = Number(False, 0, 1, low_open=True)
NON_NEGATIVE = Number(False, 0)
COUNT = Number(True, 1)

OBJECTIVES = frozenset(
    [
        "reg:squarederror",
        "reg:squaredlogerror",
        "reg:logistic",
        "reg:pseudohubererror",
        "reg:absoluteerror",
        "reg:quantileerror",
        "reg:linear",
        "reg:gamma",
        "reg:tweedie",
        "binary:logistic",
        "binary:logitraw",
        "binary:hinge",
        "count:poisson",
        "survival:cox",
        "survival:aft",
        "multi:softmax",
        "multi:softprob",
        "rank:pairwise",
        "rank:ndcg",
        "rank:map",
    ]
)

#: Base names of ``eval_metric`` (a suffix such as ``error@0.7`` or ``ndcg@5-`` is xgboost's).
EVAL_METRICS = frozenset(
    [
        "rmse",
        "rmsle",
        "mae",
        "mape",
        "mphe",
        "logloss",
        "error",
        "merror",
        "mlogloss",
        "auc",
        "aucpr",
        "ndcg",
        "map",
        "pre",
        "poisson-nloglik",
        "gamma-nloglik",
        "cox-nloglik",
        "gamma-deviance",
        "tweedie-nloglik",
        "aft-nloglik",
        "interval-regression-accuracy",
    ]
)

SPECS: dict[str, Spec] = {
    "num_round": COUNT,
    "num_class": Number(True, 2),
    "early_stopping_rounds": COUNT,
    "csv_weights": Choice(frozenset({"0", "1"})),
    "objective": Choice(OBJECTIVES),
    "eval_metric": Text(),  # checked as a comma list below
    "booster": Choice(frozenset({"gbtree", "gblinear", "dart"})),
    "verbosity": Number(True, 0, 3),
    "nthread": COUNT,
    "seed": Number(True),
    "eta": Number(False, 0, 1),
    "gamma": NON_NEGATIVE,
    "max_depth": Number(True, 0),
    "min_child_weight": NON_NEGATIVE,
    "max_delta_step": NON_NEGATIVE,
    "subsample": UNIT_OPEN_LOW,
    "colsample_bytree": UNIT_OPEN_LOW,
    "colsample_bylevel": UNIT_OPEN_LOW,
    "colsample_bynode": UNIT_OPEN_LOW,
    "lambda": NON_NEGATIVE,
    "alpha": NON_NEGATIVE,
    "tree_method": Choice(frozenset({"auto", "exact", "approx", "hist", "gpu_hist"})),
    "sketch_eps": Number(False, 0, 1, low_open=True, high_open=True),
    "scale_pos_weight": Number(False, 0, low_open=True),
    "updater": Text(),
    "refresh_leaf": Choice(frozenset({"0", "1"})),
    "process_type": Choice(frozenset({"default", "update"})),
    "grow_policy": Choice(frozenset({"depthwise", "lossguide"})),
    "max_leaves": Number(True, 0),
    "max_bin": Number(True, 2),
    "num_parallel_tree": COUNT,
    "sample_type": Choice(frozenset({"uniform", "weighted"})),
    "normalize_type": Choice(frozenset({"tree", "forest"})),
    "rate_drop": Number(False, 0, 1),
    "one_drop": Choice(frozenset({"0", "1"})),
    "skip_drop": Number(False, 0, 1),
    "tweedie_variance_power": Number(False, 1, 2, low_open=True, high_open=True),
    "base_score": Number(False),
    "interaction_constraints": Text(),
    "monotone_constraints": Text(),
    "huber_slope": Number(False, 0, low_open=True),
    "quantile_alpha": Text(),
    "aft_loss_distribution": Choice(frozenset({"normal", "logistic", "extreme"})),
    "aft_loss_distribution_scale": Number(False, 0, low_open=True),
    "max_cat_to_onehot": COUNT,
    "multi_strategy": Choice(frozenset({"one_output_per_tree", "multi_output_tree"})),
    # Accepted for old jobs, dropped: xgboost 2+ removed them (the 1.x containers passed them on).
    "lambda_bias": NON_NEGATIVE,
    "single_precision_histogram": Choice(frozenset({"true", "false"})),
    "deterministic_histogram": Choice(frozenset({"true", "false"})),
    "save_model_on_termination": Choice(frozenset({"true", "false"})),
    "use_dask_gpu_training": Choice(frozenset({"true", "false"})),
}

#: Ours to act on, not xgboost's: never passed to ``xgboost.train`` as booster parameters.
CONTROL = frozenset(
    {"num_round", "early_stopping_rounds", "csv_weights", "eval_metric"}
    | {"save_model_on_termination", "use_dask_gpu_training"}
)
REMOVED = frozenset({"lambda_bias", "single_precision_histogram", "deterministic_histogram"})


@dataclass(frozen=True)
class XGBoostHyperparameters:
    """Validated hyperparameters: the booster ``params`` plus what drives the training loop."""

    num_round: int
    params: dict[str, Any]
    eval_metrics: list[str] = field(default_factory=list)
    early_stopping_rounds: int | None = None
    csv_weights: bool = False


def validate_hyperparameters(raw: Mapping[str, str], num_cpus: int | None = None) -> XGBoostHyperparameters:
    """Check ``raw`` (hyperparameters.json) and turn it into xgboost's parameters.

    Keys starting with ``sagemaker_`` or ``_`` (``_tuning_objective_metric``, set by tuning jobs)
    belong to SageMaker and are ignored. ``nthread`` defaults to ``num_cpus`` (SM_NUM_CPUS).
    Raises :class:`HyperparameterError`.
    """
    values: dict[str, Any] = {}
    for name, text in raw.items():
        if name.startswith(("sagemaker_", "_")):
            continue
        spec = SPECS.get(name)
        if spec is None:
            raise HyperparameterError(f"Extraneous hyperparameter found: {name}")
        values[name] = spec.parse(name, str(text).strip())
    if "num_round" not in values:
        raise HyperparameterError("Missing required hyperparameter: num_round")
    objective = str(values.get("objective", "reg:squarederror"))
    if objective == "reg:linear":
        objective = "reg:squarederror"  # renamed in xgboost 0.90; the 1.x containers still accepted it
    if objective.startswith("multi:") and "num_class" not in values:
        raise HyperparameterError(f"Hyperparameter num_class: required when objective is {objective}")
    metrics = _eval_metrics(str(values.get("eval_metric", "")))
    params = {k: v for k, v in values.items() if k not in CONTROL and k not in REMOVED}
    params["objective"] = objective
    if params.get("tree_method") == "gpu_hist":
        params["tree_method"] = "hist"  # CPU-only build: the GPU histogram method falls back to hist
    if "nthread" not in params and num_cpus:
        params["nthread"] = num_cpus
    if metrics:
        params["eval_metric"] = metrics
    return XGBoostHyperparameters(
        num_round=int(values["num_round"]),
        params=params,
        eval_metrics=metrics,
        early_stopping_rounds=values.get("early_stopping_rounds"),
        csv_weights=values.get("csv_weights") == "1",
    )


def _eval_metrics(text: str) -> list[str]:
    metrics = [m.strip() for m in text.split(",") if m.strip()]
    for metric in metrics:
        if metric.split("@", 1)[0] not in EVAL_METRICS:
            raise HyperparameterError(f"Hyperparameter eval_metric: value {metric!r} not in {sorted(EVAL_METRICS)}")
    return metrics
