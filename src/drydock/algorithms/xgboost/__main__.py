"""``python -m drydock.algorithms.xgboost train|serve``: the algorithm image's entry point.

SageMaker runs algorithm images as ``<image> train`` for a training job and ``<image> serve`` for an
endpoint or a batch transform; ``serve`` loads the model and answers ``/ping`` and ``/invocations``
(:mod:`drydock.algorithms.xgboost.serving`) until SIGTERM, and exits non-zero when the model cannot
be loaded. In training, a user's mistake (bad hyperparameter, missing or unreadable channel) is
written to ``/opt/ml/output/failure`` as ``ClientError: <message>`` and anything else as
``AlgorithmError: <message>``, the prefixes SageMaker's built-in algorithms put in FailureReason;
either way the exit status is non-zero, which fails the job.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

from drydock.algorithms.xgboost.environment import Environment
from drydock.algorithms.xgboost.hyperparameters import validate_hyperparameters
from drydock.errors import ValidationError


def main(argv: list[str]) -> int:
    _block_sklearn()
    if argv[:1] == ["serve"]:
        return _serve()
    if argv[:1] != ["train"]:
        print("usage: python -m drydock.algorithms.xgboost train|serve", file=sys.stderr)
        return 2
    env = Environment.from_os()
    try:
        # Validated before xgboost is even imported: a bad job fails in milliseconds.
        validate_hyperparameters(env.hyperparameters, env.num_cpus)
        from drydock.algorithms.xgboost.training import configure_logging, train

        configure_logging()
        train(env)
    except ValidationError as error:
        return _fail(env, f"ClientError: {error.message}")
    except Exception as error:  # the job must fail with a reason, whatever broke
        traceback.print_exc()
        return _fail(env, f"AlgorithmError: {type(error).__name__}: {error}")
    return 0


def warm_up(argv: Sequence[str] = ()) -> None:
    """What a warm worker (drydock.engine.launchers.warm_worker) does before its job arrives: the
    imports ``main`` would pay for (xgboost, pandas, pyarrow) and the readers' first use. The pool
    starts training workers with no command line (``argv`` is empty)."""
    _block_sklearn()
    import drydock.algorithms.xgboost.training  # noqa: F401
    from drydock.algorithms.xgboost.channel_data import warm_up_readers

    warm_up_readers()


def _block_sklearn() -> None:
    # xgboost imports scikit-learn for its sklearn wrapper when it can (1.4 s here); the algorithm
    # uses only the core Booster API, so blocking it cuts the start latency to the first log line.
    sys.modules.setdefault("sklearn", None)  # type: ignore[arg-type]


def _serve() -> int:
    from drydock.algorithms.xgboost.serving import XGBoostHandler
    from drydock.serving.model_server import serve

    return serve(XGBoostHandler())


def _fail(env: Environment, reason: str) -> int:
    print(reason, file=sys.stderr, flush=True)
    env.tree.output.mkdir(parents=True, exist_ok=True)
    env.tree.failure.write_text(reason)
    return 1


def exit_now(code: int) -> NoReturn:
    """Exit without the interpreter's teardown of xgboost, pandas and pyarrow (0.15 s, paid on the job's
    clock before its upload starts): the model is written and the output is flushed here."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main(sys.argv[1:]))
