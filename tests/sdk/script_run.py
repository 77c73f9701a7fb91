"""SDK scripts run as subprocesses of the SDK's own venv, in the environment ``drydock env`` exports.

The ``sagemaker`` SDK cannot share Drydock's venv (its boto3 pins clash with the server's), so
``make install`` builds ``.venv-sdk`` from constraints-sdk.txt and the tests here run the scripts in
tests/sdk/scripts with its interpreter. A script prints its result as JSON on its last line; what it
printed before (the SDK's streamed job logs) stays in :attr:`ScriptResult.output`.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from drydock.testing.live_server import LiveServer

REPO = Path(__file__).resolve().parents[2]
SDK_PYTHON = REPO / ".venv-sdk" / "bin" / "python"
SCRIPTS = Path(__file__).parent / "scripts"


def sdk_python() -> Path:
    """The SDK venv's interpreter; a missing venv fails the test (it is part of ``make install``)."""
    if not SDK_PYTHON.exists():
        pytest.fail(f"{SDK_PYTHON} is missing: run `make install` (it builds .venv-sdk from constraints-sdk.txt)")
    return SDK_PYTHON


def sdk_environment(server: LiveServer) -> dict[str, str]:
    """What ``eval "$(drydock env)"`` exports, with no AWS config files and none of Drydock's venv."""
    env = {k: v for k, v in server.aws_env().items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env |= {
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "SAGEMAKER_SUPPRESS_V2_WARNING": "1",
    }
    return env


@dataclass(frozen=True)
class ScriptResult:
    output: str
    result: dict[str, Any]


class ScriptRun:
    """One script started now, in the background; :meth:`result` waits for it.

    Output goes to files, not pipes, so scripts running side by side never block on a full pipe.
    """

    def __init__(self, server: LiveServer, script: str, options: dict[str, str], work: Path) -> None:
        self.script = script
        #: The script's command-line options (``{"bucket": "b"}`` is ``--bucket b``), for the test to read.
        self.options = options
        args = [part for name, value in options.items() for part in (f"--{name}", value)]
        work.mkdir(parents=True, exist_ok=True)
        self.stdout_path, self.stderr_path = work / f"{script}.out", work / f"{script}.err"
        with self.stdout_path.open("wb") as stdout, self.stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(
                [str(sdk_python()), str(SCRIPTS / script), *args],
                env=sdk_environment(server),
                cwd=work,
                stdout=stdout,
                stderr=stderr,
            )

    def result(self, timeout: float = 240.0) -> ScriptResult:
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            pytest.fail(f"{self.script} still running after {timeout}s:\n{self._tail()}")
        if code != 0:
            pytest.fail(f"{self.script} exited {code}:\n{self._tail()}")
        output = self.stdout_path.read_text()
        return ScriptResult(output=output, result=json.loads(output.splitlines()[-1]))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def _tail(self, chars: int = 6000) -> str:
        return (self.stdout_path.read_text() + self.stderr_path.read_text())[-chars:]
