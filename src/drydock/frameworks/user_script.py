"""Running the user's entry point the way sagemaker-training's ``ProcessRunner`` does.

The command depends on what ``sagemaker_program`` names (toolkit ``entry_point_type``): a Python
file runs as ``python <program> <args>``; when the code directory is a package (it has
``setup.py``) the program runs as a module, ``python -m <name>``; a shell script runs with bash;
anything else is executed directly. Arguments are the user hyperparameters, sorted, as
``--key value`` (:func:`drydock.engine.contract.user_args`).

stdout passes straight through (it is the job's log); stderr is copied line by line to our stderr
as it arrives and its tail is kept, because the toolkit puts the script's own exception in the
failure message (``ErrorMessage "ValueError: bad learning rate"``) so ``FailureReason`` shows it.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from types import FrameType

from drydock.frameworks.toolkit_error import ExecuteUserScriptError

#: stderr lines kept to find the script's exception in (tracebacks are rarely longer).
_STDERR_TAIL_LINES = 200
#: Lines of plain stderr reported when the script died without a Python traceback.
_PLAIN_TAIL_LINES = 10


def command_for(program: str, code_dir: Path, args: list[str], python: str) -> list[str]:
    if (code_dir / "setup.py").exists() and program.endswith(".py") and "/" not in program:
        return [python, "-m", program.removesuffix(".py"), *args]
    if program.endswith(".py"):
        return [python, program, *args]
    if program.endswith(".sh"):
        return ["bash", program, *args]
    return [str(code_dir / program), *args]


def run(command: list[str], code_dir: Path, env: Mapping[str, str]) -> int:
    """Run ``command`` in ``code_dir``; raise :class:`ExecuteUserScriptError` if it fails."""
    try:
        process = subprocess.Popen(command, cwd=code_dir, env=dict(env), stderr=subprocess.PIPE)
    except OSError as error:
        raise ExecuteUserScriptError(command, 1, f"{type(error).__name__}: {error}") from error
    previous = _forward_termination(process)
    tail: collections.deque[str] = collections.deque(maxlen=_STDERR_TAIL_LINES)
    assert process.stderr is not None
    try:
        for raw in iter(process.stderr.readline, b""):
            sys.stderr.buffer.write(raw)
            sys.stderr.buffer.flush()
            tail.append(raw.decode("utf-8", errors="replace").rstrip("\n"))
        code = process.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if code != 0:
        # A signal death (StopTrainingJob's SIGTERM) shows as 128+n, as a shell would report it.
        raise ExecuteUserScriptError(command, code if code > 0 else 128 - code, error_message(list(tail)))
    return code


def error_message(stderr_lines: list[str]) -> str:
    """The script's exception as the toolkit reports it: the last traceback's final lines.

    For ``raise ValueError("bad learning rate")`` this is ``ValueError: bad learning rate``;
    chained and multi-line messages keep every line after the last stack frame.
    """
    lines = [line for line in stderr_lines if line.strip()]
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback (most recent call last)")]
    if not starts:
        return "\n".join(lines[-_PLAIN_TAIL_LINES:])
    block = lines[starts[-1] + 1 :]
    # Frames and their source lines are indented; the exception starts at the first line after
    # them that is not (``ValueError: ...``), and runs to the end of the traceback.
    for index, line in enumerate(block):
        if not line.startswith(" "):
            return "\n".join(block[index:])
    return "\n".join(block[-_PLAIN_TAIL_LINES:])


def _forward_termination(process: subprocess.Popen[bytes]) -> dict[int, signal._HANDLER]:
    """Pass SIGTERM/SIGINT on to the script: StopTrainingJob stops the script, not just us."""

    def forward(signum: int, frame: FrameType | None) -> None:
        if process.poll() is None:
            process.send_signal(signum)

    previous: dict[int, signal._HANDLER] = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous[signum] = signal.signal(signum, forward)
    return previous


def script_environment(base: Mapping[str, str], code_dir: Path, venv_bin: Path | None) -> dict[str, str]:
    """The toolkit's environment for the script: ours (the SM_* variables) plus the code on PYTHONPATH."""
    env = dict(base)
    paths = [str(code_dir), *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYTHONUNBUFFERED"] = "1"
    if venv_bin is not None:
        env["PATH"] = os.pathsep.join([str(venv_bin), env.get("PATH", os.defpath)])
        env["VIRTUAL_ENV"] = str(venv_bin.parent)
    return env
