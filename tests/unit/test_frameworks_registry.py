"""Which images run in script mode: what decides whether the user's entry point or an algorithm runs."""

from __future__ import annotations

import pytest

from drydock.frameworks.registry import (
    is_script_mode,
    is_script_mode_serving,
    repository_of,
    serve_command,
    serving_framework,
)

SKLEARN = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
XGBOOST = "246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-xgboost:1.7-1"
SCRIPT = {"sagemaker_program": '"train.py"', "sagemaker_submit_directory": '"s3://b/k/sourcedir.tar.gz"'}


@pytest.mark.parametrize(
    "image",
    [
        SKLEARN,
        "763104351884.dkr.ecr.us-west-2.amazonaws.com/pytorch-training:2.1-cpu-py310",
        "763104351884.dkr.ecr.eu-west-1.amazonaws.com/tensorflow-training:2.14-cpu-py310",
        "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-training:2.1-transformers4.36-gpu-py310-cu121-ubuntu20.04",
        "520713654638.dkr.ecr.us-east-1.amazonaws.com/sagemaker-pytorch:1.5.0-cpu-py3",
        "727897471807.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-scikit-learn:1.2-1",
        "localhost:5000/sagemaker-scikit-learn:1.2-1",
        "sagemaker-scikit-learn@sha256:0123abcd",
    ],
)
def test_framework_images_run_the_users_script_whatever_the_account_or_region(image: str) -> None:
    assert is_script_mode(image, SCRIPT)
    assert is_script_mode(image, {})


def test_xgboost_image_is_script_mode_only_when_the_job_names_a_program() -> None:
    assert is_script_mode(XGBOOST, SCRIPT)
    assert not is_script_mode(XGBOOST, {"num_round": "10", "objective": "reg:squarederror"})
    assert not is_script_mode(XGBOOST, None)


@pytest.mark.parametrize(
    "image",
    [
        "382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1",
        "763104351884.dkr.ecr.us-west-2.amazonaws.com/pytorch-inference:2.1-gpu-py310",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-own-trainer:latest",
        "",
    ],
)
def test_other_images_are_not_script_mode_even_with_a_program(image: str) -> None:
    assert not is_script_mode(image, SCRIPT)


def test_repository_is_read_without_account_tag_or_digest() -> None:
    assert repository_of(SKLEARN) == "sagemaker-scikit-learn"
    assert repository_of("myorg/pytorch-training:2.1") == "pytorch-training"
    assert repository_of("registry.example.com:443/team/sagemaker-xgboost@sha256:ab12") == "sagemaker-xgboost"


@pytest.mark.parametrize(
    ("image", "framework"),
    [
        ("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3", "sklearn"),
        ("763104351884.dkr.ecr.us-west-2.amazonaws.com/pytorch-inference:2.1-cpu-py310", "pytorch"),
        # A model deployed straight from a PyTorch estimator keeps the training image.
        ("763104351884.dkr.ecr.us-west-2.amazonaws.com/pytorch-training:2.1-cpu-py310", "pytorch"),
        ("520713654638.dkr.ecr.us-east-1.amazonaws.com/sagemaker-pytorch:1.5.0-cpu-py3", "pytorch"),
    ],
)
def test_framework_inference_images_serve_the_users_script(image: str, framework: str) -> None:
    environment = {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "s3://b/k/sourcedir.tar.gz"}
    assert serving_framework(image, environment) == framework
    assert is_script_mode_serving(image, {})
    assert serve_command(image, environment)[-3:] == ["serve", "--framework", framework]


def test_xgboost_serves_a_script_only_when_the_model_environment_names_one() -> None:
    assert serving_framework(XGBOOST, {"SAGEMAKER_PROGRAM": "inference.py"}) == "xgboost"
    assert not is_script_mode_serving(XGBOOST, {})
    assert not is_script_mode_serving(XGBOOST, None)


@pytest.mark.parametrize(
    "image",
    [
        "763104351884.dkr.ecr.us-east-1.amazonaws.com/tensorflow-inference:2.14-cpu",
        "382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-own-server:latest",
    ],
)
def test_other_images_do_not_serve_in_script_mode(image: str) -> None:
    assert not is_script_mode_serving(image, {"SAGEMAKER_PROGRAM": "inference.py"})
    with pytest.raises(ValueError):
        serve_command(image, {})
