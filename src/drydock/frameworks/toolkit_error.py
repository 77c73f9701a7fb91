"""The error the script-mode runner reports in ``/opt/ml/output/failure``.

It never reaches an HTTP client directly: the engine reads the failure file into the job's
``FailureReason`` (prefixed ``AlgorithmError:`` as SageMaker does), so the message is the
client-visible part and must say what the user should fix.
"""

from __future__ import annotations


class ToolkitError(Exception):
    """A failure before or around the user's script: bad code location, failed pip install."""


class CalledProcessError(ToolkitError):
    """A child process failed; rendered the way sagemaker-training's ``_CalledProcessError`` is.

    The toolkit's text is ``<Kind>:\\nExitCode <n>\\nErrorMessage "<stderr excerpt>"\\nCommand "<cmd>"``,
    which users recognise in FailureReason (e.g. ``AlgorithmError: ExecuteUserScriptError: ...``).
    """

    kind = "CalledProcessError"

    def __init__(self, command: list[str], exit_code: int, error_message: str) -> None:
        self.command = command
        self.exit_code = exit_code
        self.error_message = error_message
        super().__init__(str(self))

    def __str__(self) -> str:
        return (
            f'{self.kind}:\nExitCode {self.exit_code}\nErrorMessage "{self.error_message}"\n'
            f'Command "{" ".join(self.command)}"'
        )


class ExecuteUserScriptError(CalledProcessError):
    kind = "ExecuteUserScriptError"


class InstallRequirementsError(CalledProcessError):
    kind = "InstallRequirementsError"
