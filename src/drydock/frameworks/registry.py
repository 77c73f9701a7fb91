"""Which images are SageMaker framework images, whose jobs run the user's script ("script mode").

Images are recognised by their ECR repository name, never by account id, which differs per region
(reference §8.1): ``683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3``
and ``763104351884.dkr.ecr.us-west-2.amazonaws.com/pytorch-training:2.1-cpu-py310`` are the same
kind of image. Registries other than ECR (a local mirror, ``localhost:5000/...``) are accepted too:
only the last path component of the repository counts.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping

#: Repositories of the SDK's framework estimators (``sagemaker.image_uris`` config files). Their
#: images always run the user's entry point through the training toolkit.
FRAMEWORK_REPOSITORIES = frozenset(
    {
        "sagemaker-scikit-learn",
        "pytorch-training",
        "pytorch-training-neuronx",
        "sagemaker-pytorch",
        "tensorflow-training",
        "sagemaker-tensorflow",
        "sagemaker-tensorflow-scriptmode",
        "mxnet-training",
        "sagemaker-mxnet",
        "sagemaker-chainer",
        "huggingface-pytorch-training",
        "huggingface-tensorflow-training",
        "huggingface-pytorch-trcomp-training",
        "huggingface-tensorflow-trcomp-training",
        "huggingface-pytorch-training-neuronx",
    }
)

#: Images that are a built-in algorithm unless the job names a script: the XGBoost estimator in
#: framework mode sends ``sagemaker_program``, the built-in algorithm never does.
DUAL_MODE_REPOSITORIES = frozenset({"sagemaker-xgboost"})

#: The hyperparameter the SDK sets to the entry point's file name in script mode.
PROGRAM_HYPERPARAMETER = "sagemaker_program"

# ``[host[:port]/]path/to/repository[:tag][@sha256:digest]``; the host is told apart by a dot,
# a port or "localhost", as Docker does.
_IMAGE = re.compile(r"^(?:(?P<host>[^/]+(?:\.|:)[^/]*|localhost)/)?(?P<path>[^:@]+)(?::[^@]+)?(?:@[\w:]+)?$")


def repository_of(image: str) -> str | None:
    """The repository name of ``image`` (last path component), or None when it does not parse."""
    match = _IMAGE.match(image.strip())
    if match is None:
        return None
    return match.group("path").rsplit("/", 1)[-1].lower()


def is_framework_image(image: str) -> bool:
    repository = repository_of(image)
    return repository is not None and (repository in FRAMEWORK_REPOSITORIES or repository in DUAL_MODE_REPOSITORIES)


def is_script_mode(image: str, hyperparameters: Mapping[str, str] | None) -> bool:
    """Whether a job with this image and these hyperparameters runs the user's entry point.

    Framework images always do (without ``sagemaker_program`` the toolkit fails, and so does the
    runner, with the toolkit's kind of message); ``sagemaker-xgboost`` only in framework mode.
    """
    repository = repository_of(image)
    if repository is None:
        return False
    if repository in FRAMEWORK_REPOSITORIES:
        return True
    return repository in DUAL_MODE_REPOSITORIES and PROGRAM_HYPERPARAMETER in (hyperparameters or {})


def train_command() -> list[str]:
    """The command the launcher runs for a script-mode job (inside the job's environment)."""
    return [sys.executable, "-m", "drydock.frameworks", "train"]


#: Serving side: the framework whose inference defaults (``model_fn``, ``input_fn``, ...) an image's
#: container applies to the user's ``inference.py``. The SDK deploys ``*Model`` objects with the
#: inference repositories and a model that comes straight from an estimator with the training one.
SERVING_FRAMEWORKS = {
    "sagemaker-scikit-learn": "sklearn",
    "pytorch-inference": "pytorch",
    "pytorch-training": "pytorch",
    "sagemaker-pytorch": "pytorch",
}

#: The model Environment variable the SDK sets to the entry point's file name (reference §5 I).
PROGRAM_VARIABLE = "SAGEMAKER_PROGRAM"


def serving_framework(image: str, environment: Mapping[str, str] | None) -> str | None:
    """The framework (``sklearn``, ``pytorch``, ``xgboost``) whose container serves this model in
    script mode, or None when the image is not a framework image Drydock serves that way.

    ``sagemaker-xgboost`` serves the user's script only when the model's Environment names one
    (``SAGEMAKER_PROGRAM``, which ``XGBoostModel`` sets); without it the built-in algorithm serves.
    TensorFlow Serving and Hugging Face inference images are not served in script mode.
    """
    repository = repository_of(image)
    if repository is None:
        return None
    if repository in SERVING_FRAMEWORKS:
        return SERVING_FRAMEWORKS[repository]
    if repository in DUAL_MODE_REPOSITORIES and (environment or {}).get(PROGRAM_VARIABLE):
        return "xgboost"
    return None


def is_script_mode_serving(image: str, environment: Mapping[str, str] | None) -> bool:
    """Whether a model with this image and Environment serves the user's script
    (``python -m drydock.frameworks serve``) rather than a built-in algorithm."""
    return serving_framework(image, environment) is not None


def serve_command(image: str, environment: Mapping[str, str] | None) -> list[str]:
    """The command a replica runs for a script-mode model (SageMaker runs ``<image> serve``); the
    framework is passed along so the right defaults apply. Raises ``ValueError`` for other images."""
    framework = serving_framework(image, environment)
    if framework is None:
        raise ValueError(f"{image} is not a framework image served in script mode")
    return [sys.executable, "-m", "drydock.frameworks", "serve", "--framework", framework]
