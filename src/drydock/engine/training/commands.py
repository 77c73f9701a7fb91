"""What program an image runs: a built-in algorithm, a framework's script mode, or an explicit entrypoint.

Images are recognised by their ECR repository name, never by account id (accounts differ by
region). ``AlgorithmSpecification.ContainerEntrypoint`` (+ ``ContainerArguments``) runs as given,
which is how bring-your-own programs (and SDK v3's ModelTrainer) say what to run.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from drydock.algorithms.registry import algorithm_for_image
from drydock.frameworks.registry import is_script_mode


class UnknownImage(Exception):
    """No built-in algorithm, framework or entrypoint tells Drydock what this image runs."""


@dataclass(frozen=True)
class ResolvedCommand:
    argv: list[str]
    #: Metric definitions in effect: the job's own plus a built-in algorithm's.
    metric_definitions: list[dict[str, str]] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    #: The built-in algorithm's module (``argv`` is ``python -m <module> train``); ``None`` otherwise.
    module: str | None = None


def resolve_command(spec: dict[str, Any]) -> ResolvedCommand:
    algorithm_spec = spec.get("AlgorithmSpecification", {})
    image = algorithm_spec.get("TrainingImage", "")
    user_metrics = list(algorithm_spec.get("MetricDefinitions", []))
    entrypoint = algorithm_spec.get("ContainerEntrypoint")
    if entrypoint:
        return ResolvedCommand([*entrypoint, *algorithm_spec.get("ContainerArguments", [])], user_metrics)
    hyperparameters = spec.get("HyperParameters", {})
    if is_script_mode(image, hyperparameters):
        return ResolvedCommand([sys.executable, "-m", "drydock.frameworks", "train"], user_metrics)
    algorithm = algorithm_for_image(image)
    if algorithm is not None:
        builtin = [{"Name": m.name, "Regex": m.regex} for m in algorithm.metric_definitions]
        known = {m["Name"] for m in user_metrics}
        return ResolvedCommand(
            [sys.executable, "-m", algorithm.module, "train"],
            user_metrics + [m for m in builtin if m["Name"] not in known],
            module=algorithm.module,
        )
    raise UnknownImage(
        f"ClientError: image {image!r} is neither a built-in algorithm nor a framework image Drydock "
        "knows; set AlgorithmSpecification.ContainerEntrypoint to the command to run"
    )


def builtin_module(spec: dict[str, Any]) -> str | None:
    """The module of the built-in algorithm ``spec`` runs; ``None`` for any other program."""
    try:
        return resolve_command(spec).module
    except UnknownImage:
        return None
