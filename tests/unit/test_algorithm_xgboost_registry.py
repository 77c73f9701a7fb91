"""The built-in algorithm registry and XGBoost's hyperparameter validation (no training here)."""

from __future__ import annotations

import re

import pytest

from drydock.algorithms.registry import XGBOOST, algorithm_for_image, repository_of
from drydock.algorithms.xgboost.hyperparameters import HyperparameterError, validate_hyperparameters
from drydock.errors import ValidationError


@pytest.mark.parametrize(
    "image",
    [
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
        "246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-xgboost:3.0-5",
        "811284229777.dkr.ecr.us-east-1.amazonaws.com/xgboost:1",
        "451049120500.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-xgboost:1.7-1",
        "localhost:5000/sagemaker-xgboost:1.7-1",
        "sagemaker-xgboost",
    ],
)
def test_xgboost_images_from_any_account_or_registry_are_the_builtin(image: str) -> None:
    algorithm = algorithm_for_image(image)
    assert algorithm is XGBOOST
    assert algorithm.module == "drydock.algorithms.xgboost"
    assert algorithm.default_content_type == "text/libsvm"


@pytest.mark.parametrize(
    "image",
    [
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
        "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1-cpu-py310",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-xgboost:latest",
        "",
    ],
)
def test_other_images_are_not_builtin_algorithms(image: str) -> None:
    assert algorithm_for_image(image) is None


def test_repository_is_the_last_path_component() -> None:
    assert (
        repository_of("683313688378.dkr.ecr.us-east-1.amazonaws.com/team/sagemaker-xgboost:1.7-1")
        == "sagemaker-xgboost"
    )


def test_metric_definitions_read_both_tab_and_cloudwatch_rendering() -> None:
    patterns = {m.name: re.compile(m.regex) for m in XGBOOST.metric_definitions}
    for line in (
        "[7]\ttrain-error:0.02500\tvalidation-error:0.05000",
        "[7]#011train-error:0.02500#011validation-error:0.05000",
    ):
        assert float(patterns["train:error"].search(line).group(1)) == 0.025  # type: ignore[union-attr]
        assert float(patterns["validation:error"].search(line).group(1)) == 0.05  # type: ignore[union-attr]
        # "merror" must not be read as "error", nor the reverse.
        assert patterns["train:merror"].search(line) is None


def test_valid_hyperparameters_become_xgboost_params() -> None:
    hps = validate_hyperparameters(
        {
            "num_round": "50",
            "eta": "0.2",
            "max_depth": "4",
            "eval_metric": "auc,logloss",
            "objective": "binary:logistic",
        },
        num_cpus=3,
    )
    assert hps.num_round == 50
    assert hps.params == {
        "eta": 0.2,
        "max_depth": 4,
        "objective": "binary:logistic",
        "nthread": 3,
        "eval_metric": ["auc", "logloss"],
    }
    assert hps.eval_metrics == ["auc", "logloss"]


def test_sagemaker_and_tuning_keys_are_not_the_algorithm_s() -> None:
    hps = validate_hyperparameters({"num_round": "5", "_tuning_objective_metric": "validation:auc", "sagemaker_x": "1"})
    assert "_tuning_objective_metric" not in hps.params and "sagemaker_x" not in hps.params


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"eta": "0.1"}, "Missing required hyperparameter: num_round"),
        ({"num_round": "0"}, "Hyperparameter num_round: value 0 not in range [1, inf]"),
        ({"num_round": "ten"}, "Hyperparameter num_round: value 'ten' is not a number"),
        ({"num_round": "2.5"}, "Hyperparameter num_round: value '2.5' is not an integer"),
        ({"num_round": "5", "eta": "2"}, "Hyperparameter eta: value 2 not in range [0, 1]"),
        ({"num_round": "5", "subsample": "0"}, "Hyperparameter subsample: value 0 not in range (0, 1]"),
        ({"num_round": "5", "objective": "multi:softmax"}, "Hyperparameter num_class: required when objective"),
        ({"num_round": "5", "objective": "reg:nope"}, "Hyperparameter objective: value 'reg:nope' not in"),
        ({"num_round": "5", "eval_metric": "auc,bogus"}, "Hyperparameter eval_metric: value 'bogus' not in"),
        ({"num_round": "5", "num_rounds": "5"}, "Extraneous hyperparameter found: num_rounds"),
    ],
)
def test_invalid_hyperparameters_say_which_and_why(raw: dict[str, str], message: str) -> None:
    with pytest.raises(HyperparameterError) as caught:
        XGBOOST.validate_hyperparameters(raw)
    assert isinstance(caught.value, ValidationError)
    assert caught.value.message.startswith(message)
