"""Warm workers: a spare, already-imported process per program, handed to the next job or replica.

A built-in XGBoost job spends about a second before it reads its data — a new interpreter importing
xgboost, pandas and pyarrow — and that second is most of what it costs over calling xgboost in
process. The pool keeps one spare :mod:`~drydock.engine.launchers.warm_worker` per algorithm that has
run on this server (the first job of an algorithm starts cold and asks for one), already past its
imports, in the same sandbox a cold instance gets: its own tree at ``/opt/ml``, hostname ``algo-1``,
a private ``/tmp``, an ``/etc/hosts`` naming ``algo-1``. Only single-instance jobs take one
(``algo-1`` of a cluster is not worth a special case); a taken worker is replaced at once, in the
background.

The same pool keeps spare model servers for script-mode replicas (``drydock.frameworks serve
--framework <name>``): a program is named by its module and, where the worker should prepare for one
command line, that command line's arguments (:meth:`WarmPool.take`).

The worker's tree must be known when its sandbox starts, so the job takes the tree instead of
making one: the runner renames the worker's directory to the job's workspace (a bind mount follows
the directory across a rename on the same filesystem) and stages into it as usual.

Every worker is started from the pool's own thread, which outlives them: ``bwrap --die-with-parent``
kills a sandbox when the *thread* that started it ends, and a server killed at any moment takes its
workers with it. Without bwrap a worker is a plain process that ends when its stdin (the server's
end of a pipe) closes. Workers of a previous server under ``<home>/warm`` are removed at start.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from drydock.engine.cluster import hosts_of
from drydock.engine.contract import SANDBOX_ROOT, InstanceTree, host_name
from drydock.engine.launchers.port import InstanceLaunch, RunningInstance
from drydock.engine.launchers.process import ProcessInstance, spawn
from drydock.engine.launchers.sandbox import SandboxInstance, SandboxLauncher, inside_environment, job_files
from drydock.engine.launchers.warm_worker import JobOrder

log = logging.getLogger("drydock.engine.launchers")

WORKER_MODULE = "drydock.engine.launchers.warm_worker"
#: The only host a warm worker can be: single-instance jobs run as ``algo-1``.
WARM_HOST = host_name(0)


#: What a worker is started for: its program's module, then the arguments it will run with (none: any).
Program = tuple[str, ...]


@dataclass
class WarmWorker:
    """One started worker, idle until :meth:`start` hands it a job (or :meth:`discard` ends it)."""

    module: str
    #: The command line after ``-m <module>`` that the worker prepared for; empty: any.
    args: tuple[str, ...]
    #: ``<home>/warm/<id>``: the tree (``algo-1/``) and the sandbox's private files (``.sandbox/``).
    directory: Path
    process: subprocess.Popen[bytes]
    sandboxed: bool
    #: The tree directory's identity: the job's tree must be this very directory, wherever it now is.
    tree_id: tuple[int, int]

    def alive(self) -> bool:
        return self.process.poll() is None

    def start(self, launch: InstanceLaunch, memory_mib: int | None) -> RunningInstance | None:
        """Make this worker ``launch``'s program; ``None`` (and the worker ended) when it cannot be.

        It can when ``launch`` runs this worker's algorithm module as ``algo-1`` of a one-host job in
        the worker's own tree, with no files staged beside the tree (they would need binds the
        sandbox does not have). Its output reaches ``launch.on_line`` from here on.
        """
        env = inside_environment(launch.env, launch.tree_root) if self.sandboxed else dict(launch.env)
        if not self._fits(launch, env):
            self.discard()
            return None
        order = JobOrder(
            argv=launch.command[3:],
            env=env,
            cwd=str(SANDBOX_ROOT) if self.sandboxed else str(launch.workdir),
            memory_bytes=None if memory_mib is None else memory_mib * 1024 * 1024,
        )
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(order.encode())
            self.process.stdin.close()
        except OSError:  # the worker died since it was taken
            self.discard()
            return None
        instance = SandboxInstance if self.sandboxed else ProcessInstance
        return instance(launch, self.process)

    def _fits(self, launch: InstanceLaunch, env: dict[str, str]) -> bool:
        if not self.alive() or launch.host != WARM_HOST:
            return False
        if launch.command[:3] != [sys.executable, "-m", self.module]:
            return False
        if self.args and launch.command[3:] != list(self.args):
            return False
        try:
            stat = os.stat(launch.tree_root)
        except OSError:
            return False
        if (stat.st_dev, stat.st_ino) != self.tree_id:
            return False
        return not self.sandboxed or (hosts_of(launch.env) in ([], [WARM_HOST]) and not job_files(launch, env))

    def discard(self) -> None:
        """End the worker (its whole sandbox) and remove its directory unless a job took it."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        shutil.rmtree(self.directory, ignore_errors=True)


@dataclass
class WarmPool:
    """Spare workers per program (see :data:`Program`); thread-safe."""

    #: ``<home>/warm``, on the same filesystem as the job workspaces (trees move by rename).
    root: Path
    #: The environment every job instance starts with (PATH, locale, the server's S3 endpoint…).
    environment: Mapping[str, str]
    #: The launcher whose sandbox cold instances get; ``None`` for plain processes.
    sandbox: SandboxLauncher | None
    spares: int = 1
    _idle: dict[Program, list[WarmWorker]] = field(default_factory=dict)
    #: Workers handed to jobs: the pool's thread stays alive (their parent) until they end.
    _taken: list[WarmWorker] = field(default_factory=list)
    #: Programs whose worker died before any job took it: their jobs start cold from then on.
    _broken: set[Program] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _wake: threading.Condition = field(init=False)
    _closed: bool = False
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self._wake = threading.Condition(self._lock)

    def start(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)  # a previous server's; its workers died with it
        self.root.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._loop, name="warm-workers", daemon=True)
        self._thread.start()

    def take(self, module: str, args: Sequence[str] = ()) -> WarmWorker | None:
        """A started worker for ``python -m module`` (prepared for the command line ``args``, when
        given), or ``None`` when none is spare (the job starts cold).

        Either way a spare for the next job of the same program is started in the background.
        """
        program = (module, *args)
        with self._lock:
            if self._closed or program in self._broken:
                return None
            idle = self._idle.setdefault(program, [])
            worker = idle.pop(0) if idle else None
            if worker is not None and not worker.alive():
                self._broken.add(program)
                log.warning(
                    "warm worker for %s exited with code %s before a job took it; its jobs start cold",
                    " ".join(program),
                    worker.process.returncode,
                )
                worker.discard()
                worker = None
            if worker is not None:
                self._taken.append(worker)
            self._wake.notify()
        return worker

    def close(self) -> None:
        """End the idle workers; workers that jobs took run on until their job ends."""
        with self._lock:
            self._closed = True
            idle = [worker for workers in self._idle.values() for worker in workers]
            self._idle.clear()
            self._wake.notify()
        for worker in idle:
            worker.discard()

    def idle(self, module: str, args: Sequence[str] = ()) -> int:
        """How many spare workers the program has now."""
        with self._lock:
            return len(self._idle.get((module, *args), []))

    def _loop(self) -> None:
        while True:
            with self._lock:
                self._taken = [worker for worker in self._taken if worker.alive()]
                wanted = [m for m, idle in self._idle.items() if len(idle) < self.spares and m not in self._broken]
                if self._closed and not self._taken:
                    return
                if self._closed or not wanted:
                    # After close, wake now and then only to see whether the taken workers have ended.
                    self._wake.wait(timeout=1.0 if self._closed else None)
                    continue
            for program in wanted:
                self._add(program)

    def _add(self, program: Program) -> None:
        try:
            worker = self._spawn(program)
        except OSError as exc:
            log.warning("could not start a warm worker for %s (%s); its jobs start cold", " ".join(program), exc)
            with self._lock:
                self._broken.add(program)
            return
        with self._lock:
            if not self._closed:
                self._idle.setdefault(program, []).append(worker)
                return
        worker.discard()

    def _spawn(self, program: Program) -> WarmWorker:
        module, args = program[0], program[1:]
        directory = self.root / uuid.uuid4().hex[:12]
        tree = InstanceTree(directory / WARM_HOST)
        tree.create()
        launch = InstanceLaunch(
            job_name=f"warm-{module}",
            host=WARM_HOST,
            command=[sys.executable, "-m", WORKER_MODULE, *program],
            env=dict(self.environment),
            workdir=tree.root,
            tree_root=tree.root,
            on_line=_ignore,
        )
        if self.sandbox is not None:
            launch = self.sandbox.sandboxed(launch, launch.command)
        process = spawn(launch, stdin=subprocess.PIPE)
        stat = os.stat(tree.root)
        log.info("warm worker for %s started (pid %d)", " ".join(program), process.pid)
        return WarmWorker(module, args, directory, process, self.sandbox is not None, (stat.st_dev, stat.st_ino))


def _ignore(line: str) -> None:
    """A worker's output is read only once a job has taken it (then it is that job's output)."""
