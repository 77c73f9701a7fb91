"""What program a model's image serves with: a built-in algorithm or a framework's script mode.

SageMaker runs serving images as ``<image> serve``. Framework inference images run the user's
``inference.py`` through the inference toolkit (``drydock.frameworks.registry`` says which images and
with which framework's defaults); built-in algorithm images are recognised by their ECR repository,
as for training. ``sagemaker-xgboost`` serves either way: with ``SAGEMAKER_PROGRAM`` in the model's
Environment it is the XGBoost framework, without it the built-in algorithm.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from drydock.algorithms.registry import algorithm_for_image
from drydock.frameworks import registry as frameworks


class UnknownServingImage(Exception):
    """Nothing tells Drydock how to serve this image; the message becomes the FailureReason."""


def serve_command(container: Mapping[str, Any]) -> list[str]:
    image = container.get("Image", "")
    environment = container.get("Environment") or {}
    if frameworks.is_script_mode_serving(image, environment):
        return frameworks.serve_command(image, environment)
    algorithm = algorithm_for_image(image)
    if algorithm is not None:
        return [sys.executable, "-m", algorithm.module, "serve"]
    raise UnknownServingImage(
        f"The image {image!r} is neither a built-in algorithm nor a framework inference image Drydock can serve "
        "(sagemaker-xgboost, sagemaker-scikit-learn, pytorch-inference, ...)."
    )
