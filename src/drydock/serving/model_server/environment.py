"""What a model-server process learns from its environment: the serving half of the container contract.

SageMaker starts a serving container with ``serve`` and tells it, through variables, where to listen
(``SAGEMAKER_BIND_TO_PORT``, 8080 when unset, reference §7.1) and how to run (the inference toolkit's
``SAGEMAKER_MODEL_SERVER_WORKERS`` and ``SAGEMAKER_MODEL_SERVER_TIMEOUT``; batch transform adds
``SAGEMAKER_MAX_PAYLOAD_IN_MB``). The model is the extracted ``model.tar.gz`` at ``/opt/ml/model``; a
replica that runs without a sandbox finds its tree through ``SM_MODEL_DIR`` instead.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from drydock.engine.contract import SANDBOX_ROOT

DEFAULT_PORT = 8080
#: SageMaker's InvokeEndpoint payload limit and batch transform's default MaxPayloadInMB.
DEFAULT_MAX_PAYLOAD_MB = 6
#: Above the payload limit a request may carry this much more before it is refused: batch transform
#: packs records up to MaxPayloadInMB and a writer's framing or final newline must not tip it over.
PAYLOAD_SLACK_BYTES = 64 * 1024
#: SageMaker gives a container 60 seconds to answer an invocation.
DEFAULT_TIMEOUT_SECONDS = 60.0
#: Predictions are CPU-bound and short; a few threads keep /ping answering and overlap requests
#: without oversubscribing the instance (each xgboost prediction runs on one thread).
MAX_DEFAULT_WORKERS = 4
_MIB = 1024 * 1024


@dataclass(frozen=True)
class ServerEnvironment:
    port: int
    model_dir: Path
    #: Inference threads, and what ``/execution-parameters`` offers as MaxConcurrentTransforms.
    workers: int
    timeout_seconds: float
    #: The largest payload, in MB, that batch transform should send (``MaxPayloadInMB``); 0 = no limit.
    max_payload_mb: int

    @property
    def max_body_bytes(self) -> int | None:
        """Request bodies above this many bytes are answered 413; None when there is no limit."""
        return self.max_payload_mb * _MIB + PAYLOAD_SLACK_BYTES if self.max_payload_mb else None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServerEnvironment:
        """Read the variables; raises ``ValueError`` naming the variable whose value is unusable."""
        env = os.environ if environ is None else environ
        model_dir = env.get("SM_MODEL_DIR") or str(SANDBOX_ROOT / "model")
        return cls(
            port=_integer(env, "SAGEMAKER_BIND_TO_PORT", DEFAULT_PORT, low=1, high=65535),
            model_dir=Path(model_dir),
            workers=_integer(env, "SAGEMAKER_MODEL_SERVER_WORKERS", _default_workers(), low=1, high=1024),
            timeout_seconds=float(_integer(env, "SAGEMAKER_MODEL_SERVER_TIMEOUT", int(DEFAULT_TIMEOUT_SECONDS), low=1)),
            max_payload_mb=_integer(env, "SAGEMAKER_MAX_PAYLOAD_IN_MB", DEFAULT_MAX_PAYLOAD_MB, low=0),
        )


def _default_workers() -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(MAX_DEFAULT_WORKERS, cpus))


def _integer(env: Mapping[str, str], name: str, default: int, *, low: int, high: int | None = None) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not an integer") from None
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{name}={value} must be {bounds}")
    return value
