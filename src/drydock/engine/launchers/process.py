"""The default launcher: each instance is a local process in its own session (process group).

Output is read line by line on a thread and handed to ``on_line`` (the job's CloudWatch stream and
metric parser). Stopping signals the whole process group, so a script's children go too.

A memory limit (the instance type's memory, see drydock.engine.capacity) is applied as RLIMIT_DATA
rather than RLIMIT_AS: runtimes that reserve large virtual ranges up front (JVMs, glibc malloc arenas
of many threads, CUDA) would fail under an address-space limit without using the memory.
"""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import signal
import subprocess
import threading
import time
from typing import Self

from drydock.engine.launchers.port import InstanceLaunch, RunningInstance

log = logging.getLogger("drydock.engine.launchers")


def spawn(launch: InstanceLaunch, *, stdin: int = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    """Start ``launch.command`` in a session of its own, stdout and stderr merged into one pipe.

    A job's stdin is ``/dev/null``; a warm worker's is the pipe its job arrives on.
    """
    return subprocess.Popen(
        launch.command,
        cwd=launch.workdir,
        env=launch.env,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


class ProcessInstance:
    """A started process whose output goes to ``launch.on_line`` from now on."""

    def __init__(self, launch: InstanceLaunch, process: subprocess.Popen[bytes]) -> None:
        self.launch = launch
        self.process = process
        self._drained = threading.Event()
        self._reader = threading.Thread(target=self._pump, name=f"log-{launch.job_name}-{launch.host}", daemon=True)
        self._reader.start()

    @classmethod
    def start(cls, launch: InstanceLaunch, memory_mib: int | None = None) -> Self:
        process = spawn(launch)
        if memory_mib is not None:
            # Set from outside right after the fork (preexec_fn is unsafe in this threaded server); the
            # program's own children inherit it. Only allocations of its first instants escape.
            limit = memory_mib * 1024 * 1024
            with contextlib.suppress(ProcessLookupError):
                resource.prlimit(process.pid, resource.RLIMIT_DATA, (limit, limit))
        return cls(launch, process)

    @property
    def pid(self) -> int:
        return self.process.pid

    def _pump(self) -> None:
        assert self.process.stdout is not None
        try:
            for raw in self.process.stdout:
                try:
                    self.launch.on_line(raw.decode("utf-8", errors="replace").rstrip("\r\n"))
                except Exception:  # a consumer's bug must not stop the draining: the program would block
                    log.exception(
                        "job=%s host=%s: handling an output line failed", self.launch.job_name, self.launch.host
                    )
        finally:
            self._drained.set()

    def exit_code(self) -> int | None:
        code = self.process.poll()
        if code is None or not self._drained.is_set():
            return None
        return code

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        if not self._drained.wait(timeout):
            return False
        # The pipe closes as the process exits; reaping it follows within moments.
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(max(0.0, deadline - time.monotonic()))
        return self.exit_code() is not None

    def stop(self, grace_seconds: float) -> None:
        if self.process.poll() is None:
            self._signal(signal.SIGTERM)
            deadline = time.monotonic() + grace_seconds
            while self.process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            if self.process.poll() is None:
                self._signal(signal.SIGKILL)
            self.process.wait()
        self._drained.wait(timeout=5)

    def _signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)


class ProcessLauncher:
    def __init__(self, memory_mib: int | None = None) -> None:
        #: Each instance's memory limit in MiB; ``None`` for none.
        self.memory_mib = memory_mib

    def start(self, launch: InstanceLaunch) -> RunningInstance:
        return ProcessInstance.start(launch, self.memory_mib)
