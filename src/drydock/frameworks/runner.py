"""``python -m drydock.frameworks train``: what sagemaker-training's ``train`` does in framework images.

Steps, as in the toolkit's ``trainer.train`` (reference §6):

1. read ``/opt/ml/input/config/hyperparameters.json``; values are JSON-decoded, falling back to
   the raw string, and ``sagemaker_*`` keys are the SDK's, not the user's;
2. stage ``sagemaker_submit_directory`` into ``/opt/ml/code`` (see :mod:`.submit_directory` for the
   forms accepted, including the ``DRYDOCK_SUBMIT_DIRECTORY_LOCAL`` contract for ``s3://`` URIs);
3. if ``/opt/ml/code/requirements.txt`` exists, install it, here into a cached virtual environment
   layered over the server's (:mod:`.venv_cache`) instead of into a throwaway container;
4. run ``sagemaker_program`` from ``/opt/ml/code`` with the ``SM_*`` environment the engine passed
   (:func:`drydock.engine.contract.training_environment`), the code directory on ``PYTHONPATH``
   and the user hyperparameters as sorted ``--key value`` arguments;
5. exit with the script's exit code. On success write ``/opt/ml/output/success`` (the toolkit's
   ``write_success_file``); on failure write ``/opt/ml/output/failure`` with the toolkit's
   ``ExecuteUserScriptError:\\nExitCode ...\\nErrorMessage "<the exception>"`` text, unless the
   script wrote its own failure file, which SageMaker reports as is.

The tree is found at ``$DRYDOCK_OPT_ML`` (set by the engine), else ``$SAGEMAKER_BASE_DIR`` (the
toolkit's override), else ``/opt/ml``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from drydock.engine.contract import InstanceTree, decoded_hyperparameters, user_args
from drydock.frameworks import submit_directory, user_script, venv_cache
from drydock.frameworks.registry import PROGRAM_HYPERPARAMETER
from drydock.frameworks.toolkit_error import CalledProcessError, ToolkitError

SUBMIT_DIRECTORY_HYPERPARAMETER = "sagemaker_submit_directory"
#: The toolkit's generic failure exit code.
FAILURE_EXIT_CODE = 1


def tree_from(environ: Mapping[str, str]) -> InstanceTree:
    root = environ.get("DRYDOCK_OPT_ML") or environ.get("SAGEMAKER_BASE_DIR") or "/opt/ml"
    return InstanceTree(Path(root))


def train(environ: Mapping[str, str] | None = None) -> int:
    """Run the job's entry point; returns the process exit code (the script's own on failure)."""
    env = dict(os.environ if environ is None else environ)
    tree = tree_from(env)
    try:
        _run(tree, env)
    except CalledProcessError as error:
        _report_failure(tree, str(error))
        return error.exit_code or FAILURE_EXIT_CODE
    except ToolkitError as error:
        _report_failure(tree, f"ClientError: {error}")
        return FAILURE_EXIT_CODE
    except Exception as error:  # the toolkit reports any fault of its own as a "framework error"
        _report_failure(tree, f"framework error: {type(error).__name__}: {error}")
        return FAILURE_EXIT_CODE
    _log("Reporting training SUCCESS")
    tree.output.mkdir(parents=True, exist_ok=True)
    (tree.output / "success").touch()
    return 0


def _run(tree: InstanceTree, env: dict[str, str]) -> None:
    hyperparameters = _read_hyperparameters(tree)
    decoded = decoded_hyperparameters(hyperparameters)
    program = decoded.get(PROGRAM_HYPERPARAMETER)
    if not isinstance(program, str) or not program:
        raise ToolkitError(
            f"no entry point: the {PROGRAM_HYPERPARAMETER} hyperparameter must name the script to run "
            "(the SDK sets it from the estimator's entry_point)"
        )
    submit = decoded.get(SUBMIT_DIRECTORY_HYPERPARAMETER)
    submit_directory.stage(submit if isinstance(submit, str) else None, tree.code, env)
    if not (tree.code / program).exists():
        raise ToolkitError(f"entry point {program} not found in the submit directory ({submit or tree.code})")
    python, venv_bin = sys.executable, None
    requirements = tree.code / "requirements.txt"
    if requirements.is_file():
        started = time.monotonic()
        _log("Installing dependencies from requirements.txt")
        environment = venv_cache.environment_for(requirements)
        verb = "Reusing cached" if environment.reused else "Created"
        _log(f"{verb} environment {environment.path} ({time.monotonic() - started:.1f}s)")
        python, venv_bin = str(environment.python), environment.bin
    command = user_script.command_for(program, tree.code, user_args(hyperparameters), python)
    _log("Invoking user script: " + " ".join(command))
    user_script.run(command, tree.code, user_script.script_environment(env, tree.code, venv_bin))


def _read_hyperparameters(tree: InstanceTree) -> dict[str, str]:
    path = tree.input_config / "hyperparameters.json"
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except ValueError as error:
        raise ToolkitError(f"{path} is not valid JSON: {error}") from error
    if not isinstance(document, dict):
        raise ToolkitError(f"{path} must hold a JSON object")
    # SageMaker writes every value as a string; tolerate numbers from hand-written configs.
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in document.items()}


def _report_failure(tree: InstanceTree, message: str) -> None:
    _log("Reporting training FAILURE")
    _log(message)
    # A script that wrote its own failure file said what went wrong better than we can.
    if tree.failure.exists() and tree.failure.read_text(errors="replace").strip():
        return
    tree.output.mkdir(parents=True, exist_ok=True)
    tree.failure.write_text(message)


def _log(message: str) -> None:
    # One line per event on stderr, prefixed like the toolkit's logger, so it lands in the job log.
    job = os.environ.get("TRAINING_JOB_NAME", "-")
    print(f"drydock.frameworks job={job} {message}", file=sys.stderr, flush=True)
