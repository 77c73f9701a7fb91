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
    def exit_code(self) -> int | None:
        """The exit code once the instance has ended and its output is drained, else ``None``.
        Never blocks. Thread-safe."""
        ...

    def stop(self, grace_seconds: float) -> None:
        """SIGTERM (SageMaker gives containers 2 minutes; we give ``grace_seconds``), then SIGKILL.
        Returns once the process is gone. Idempotent."""
        ...


class Launcher(Protocol):
    def start(self, launch: InstanceLaunch) -> RunningInstance:
        """Start the instance now; raises ``OSError`` when the command cannot be executed."""
        ...
