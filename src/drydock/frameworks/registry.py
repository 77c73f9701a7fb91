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
