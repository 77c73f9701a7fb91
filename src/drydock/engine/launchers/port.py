"""The Launcher port: start, watch and stop the process of one job instance."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class InstanceLaunch:
    """What one instance runs: ``command`` in ``workdir`` with ``env``, its tree at ``tree_root``."""

    job_name: str
    host: str
    command: list[str]
    env: dict[str, str]
    workdir: Path
    tree_root: Path
    #: Receives every output line (stdout and stderr merged), without the newline.
    on_line: Callable[[str], None]


class RunningInstance(Protocol):
    @property
    def pid(self) -> int:
        """The process id, which is also its process group id (a new session per instance)."""
        ...

    def exit_code(self) -> int | None:
        """The exit code once the instance has ended and its output is drained, else ``None``.
        Never blocks. Thread-safe."""
        ...

    def wait(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds for the instance to end (``exit_code`` then answers);
        whether it has. Lets a watcher notice the end at once instead of at its next poll. Thread-safe."""
        ...

    def stop(self, grace_seconds: float) -> None:
        """SIGTERM (SageMaker gives containers 2 minutes; we give ``grace_seconds``), then SIGKILL.
        Returns once the process is gone. Idempotent."""
        ...


class Launcher(Protocol):
    def start(self, launch: InstanceLaunch) -> RunningInstance:
        """Start the instance now; raises ``OSError`` when the command cannot be executed."""
        ...
