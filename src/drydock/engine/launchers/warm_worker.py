"""``python -m drydock.engine.launchers.warm_worker <module> [<arg>...]``: a program's process, started before its job.

A cold built-in job pays for a new interpreter and its imports (xgboost, pandas, pyarrow: about a
second here) before it reads any data; a script-mode model server pays for its framework's (about
1.3 s for scikit-learn, more for PyTorch) before it loads the model. A warm worker pays for them
ahead of time: the pool (:mod:`drydock.engine.launchers.warm_pool`) starts it in a sandbox of its
own over an empty instance tree, it imports what the program will need
(``<module>.__main__.warm_up(args)``, ``args`` being the command line the program will run with, if
the pool named one) and then blocks on stdin. When a job (or a model replica) takes it, the runner
moves that tree into place (the sandbox's bind mount follows the directory), stages into it as for
a cold instance, and writes one :class:`JobOrder` line: from then on the process *is* that
program — the job's environment, working directory and memory limit, ``/dev/null`` as stdin, and
``<module>.__main__.main(argv)`` with its exit status, exactly what ``python -m <module> <argv>``
would have run.

End of file on stdin instead of an order (the pool closed, or the server died) ends the worker.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import sys
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class JobOrder:
    """What turns a warm worker into one job instance's program."""

    #: The arguments after ``python -m <module>`` (``["train"]``).
    argv: list[str]
    #: The whole environment the program runs with (the worker's own is replaced).
    env: dict[str, str]
    cwd: str
    #: RLIMIT_DATA in bytes (the instance type's memory), as the cold path's ``prlimit --data``.
    memory_bytes: int | None

    def encode(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode() + b"\n"

    @classmethod
    def decode(cls, line: bytes) -> JobOrder:
        fields: dict[str, Any] = json.loads(line)
        return cls(
            argv=[str(a) for a in fields["argv"]],
            env={str(k): str(v) for k, v in fields["env"].items()},
            cwd=str(fields["cwd"]),
            memory_bytes=None if fields.get("memory_bytes") is None else int(fields["memory_bytes"]),
        )


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m drydock.engine.launchers.warm_worker <module> [<arg>...]", file=sys.stderr)
        return 2
    program = importlib.import_module(f"{argv[0]}.__main__")
    warm_up = getattr(program, "warm_up", None)
    if callable(warm_up):
        warm_up(argv[1:])
    line = sys.stdin.buffer.readline()
    if not line:
        return 0  # no job came: the pool let the worker go
    order = JobOrder.decode(line)
    _become(order, program.__file__ or argv[0])
    code = program.main(order.argv)
    return int(code or 0)


def _become(order: JobOrder, program_path: str) -> None:
    """Take on the job's process state, as a fresh ``exec`` of its command would have it."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.environ.clear()
    os.environ.update(order.env)
    os.chdir(order.cwd)
    if order.memory_bytes is not None:
        resource.setrlimit(resource.RLIMIT_DATA, (order.memory_bytes, order.memory_bytes))
    sys.argv = [program_path, *order.argv]


if __name__ == "__main__":
    exit_code = main(sys.argv[1:])
    # As the algorithms' own entry points do (drydock.algorithms.xgboost.__main__.exit_now): the job's
    # output is written, and the interpreter's teardown of xgboost, pandas and pyarrow (0.15 s)
    # would only delay the job's upload.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(exit_code)
