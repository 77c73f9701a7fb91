"""``python -m drydock.frameworks serve``: what a framework image's ``serve`` entry point does.

1. Find the model directory (``SM_MODEL_DIR``, else ``/opt/ml/model``) and stage the user's code
   (:mod:`.serving_code`).
2. If the code has a ``requirements.txt``, install it into a cached virtual environment
   (:mod:`.venv_cache`, shared with training) and re-execute this command with that environment's
   Python, so the user's pinned versions come first on ``sys.path``, as in a container where pip
   installed them. The re-executed process keeps the PID (the replica backend watches it) and is told
   through ``DRYDOCK_SERVING_CODE`` that the code is already staged.
3. Serve :class:`~drydock.frameworks.serving.ScriptModeHandler` with the model server, which loads
   the model, binds ``SAGEMAKER_BIND_TO_PORT`` and answers ``/ping`` and ``/invocations``.

A failure before the server starts (code not found, pip failing, an import error in the script,
``model_fn`` raising) is printed to the log and ends the process with status 1, so the replica never
becomes healthy and the endpoint's FailureReason carries the last log lines.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from drydock.frameworks import serving_code, venv_cache
from drydock.frameworks.registry import PROGRAM_VARIABLE
from drydock.frameworks.serving import DEFAULT_ACCEPT_VARIABLE, ScriptModeHandler, defaults_for, detect_framework
from drydock.frameworks.toolkit_error import ToolkitError

#: Set on the re-executed process: the staged code directory ("" when there is none).
STAGED_CODE_ENV = "DRYDOCK_SERVING_CODE"
LOG_LEVEL_VARIABLE = "SAGEMAKER_CONTAINER_LOG_LEVEL"
FAILURE_EXIT_CODE = 1


def serve(framework: str | None, argv: Sequence[str], environ: Mapping[str, str] | None = None) -> int:
    """Stage, install and serve; returns only on failure (or when the model server stops)."""
    env = dict(os.environ if environ is None else environ)
    _configure_logging(env)
    model_dir = serving_code.model_dir_from(env)
    try:
        code_dir = _prepared_code(env, model_dir, argv)
        handler = ScriptModeHandler(
            defaults_for(framework or detect_framework(model_dir)),
            code_dir,
            env.get(PROGRAM_VARIABLE) or None,
            env.get(DEFAULT_ACCEPT_VARIABLE) or "",
        )
    except ToolkitError as error:
        _log(f"ClientError: {error}")
        return FAILURE_EXIT_CODE
    except ValueError as error:
        _log(str(error))
        return FAILURE_EXIT_CODE
    from drydock.serving.model_server import serve as serve_model

    return serve_model(handler, env)


def _prepared_code(env: dict[str, str], model_dir: Path, argv: Sequence[str]) -> Path | None:
    staged = env.get(STAGED_CODE_ENV)
    if staged is not None:
        return Path(staged) if staged else None
    started = time.monotonic()
    code_dir = serving_code.stage(env, model_dir)
    if code_dir is not None:
        _log(f"User code in {code_dir} ({time.monotonic() - started:.1f}s)")
    requirements = code_dir / "requirements.txt" if code_dir is not None else None
    if requirements is None or not requirements.is_file():
        return code_dir
    _log("Installing dependencies from requirements.txt")
    environment = venv_cache.environment_for(requirements)
    verb = "Reusing cached" if environment.reused else "Created"
    _log(f"{verb} environment {environment.path} ({time.monotonic() - started:.1f}s)")
    python = str(environment.python)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(python, [python, "-m", "drydock.frameworks", *argv], {**env, STAGED_CODE_ENV: str(code_dir)})
    raise AssertionError("unreachable: execve returned")  # pragma: no cover


def _configure_logging(env: Mapping[str, str]) -> None:
    # The SDK sends SAGEMAKER_CONTAINER_LOG_LEVEL=20 (INFO); the toolkit sets its loggers' level from it.
    raw = env.get(LOG_LEVEL_VARIABLE, "")
    level = int(raw) if raw.isdigit() else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stdout)


def _log(message: str) -> None:
    print(f"drydock.frameworks serve: {message}", file=sys.stderr, flush=True)
