"""The sandboxed process launcher: each instance runs under bubblewrap (``bwrap``) with its tree at ``/opt/ml``.

A SageMaker training container sees its own ``/opt/ml``, is called ``algo-N`` and reaches the other
instances by those names. Under bwrap each instance gets a private mount namespace holding only
what a job needs — the system (``/usr``, ``/etc``, ``/lib*``), the Python installation and venv
read-only, the shared venv cache read-write, its own tree at ``/opt/ml``, a private ``/tmp`` —
plus a generated ``/etc/hosts`` mapping every ``algo-N`` to the loopback and a UTS namespace whose
hostname is ``algo-N``. The server's home and other jobs are simply not there. The network is
shared (all instances are processes on this machine), so gloo/NCCL rendezvous over loopback.

Paths the runner computed on the real tree (``SM_MODEL_DIR`` …) are rewritten to ``/opt/ml/...``.
When bwrap is missing or cannot create namespaces here, :func:`local_launcher` falls back to plain
processes (decided once, at startup).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from drydock.engine.cluster import hosts_file, hosts_of
from drydock.engine.contract import SANDBOX_ROOT
from drydock.engine.launchers.port import InstanceLaunch, RunningInstance
from drydock.engine.launchers.process import ProcessInstance, ProcessLauncher

log = logging.getLogger("drydock.engine.launchers")

#: Top-level system directories bound read-only (or recreated as the same symlink, as on merged-/usr).
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc")
#: Where the venv cache comes from; script mode installs requirements into it, so it is writable.
VENV_CACHE_ENV = "DRYDOCK_VENV_CACHE"
PROBE_TIMEOUT_SECONDS = 20.0


class SandboxInstance(ProcessInstance):
    """A bwrap process group: stopping it waits for the whole group, not just the outer ``bwrap``.

    SIGTERM ends the outer bwrap at once, but the namespace's init (pid 1 ignores SIGTERM) and the
    program live on while the program handles the signal, as SageMaker's 2-minute grace allows; a
    program the init had not started yet when SIGTERM came never sees it, so SIGKILL ends it.
    """

    def stop(self, grace_seconds: float) -> None:
        self._signal(signal.SIGTERM)
        deadline = time.monotonic() + grace_seconds
        # The output pipe closes only once every process in the sandbox is gone (zombies aside).
        while not self._drained.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)
        # SIGKILL from outside does reach the namespace's init, and its death ends the whole sandbox.
        self._signal(signal.SIGKILL)
        super().stop(0)


@dataclass(frozen=True)
class SandboxLauncher:
    bwrap: str
    #: Each instance's memory limit in MiB (RLIMIT_DATA, as the process launcher sets it); ``None`` for none.
    memory_mib: int | None = None

    #: Instances reach each other as ``algo-N`` (see :mod:`drydock.engine.cluster`).
    names_resolve = True

    def start(self, launch: InstanceLaunch) -> RunningInstance:
        return SandboxInstance.start(self.sandboxed(launch, self._limited(launch.command)))

    def sandboxed(self, launch: InstanceLaunch, command: list[str]) -> InstanceLaunch:
        """``launch`` as bwrap runs it: ``command`` in a new sandbox over ``launch.tree_root``.

        The sandbox's private ``/tmp`` and ``/etc/hosts`` live in ``<tree>/../.sandbox/<host>``.
        """
        private = launch.tree_root.parent / ".sandbox" / launch.host
        shutil.rmtree(private, ignore_errors=True)
        (private / "tmp").mkdir(parents=True)
        hosts = private / "hosts"
        hosts.write_text(hosts_file(hosts_of(launch.env) or [launch.host]))
        env = inside_environment(launch.env, launch.tree_root)
        argv = [*self.arguments(launch, env, private / "tmp", hosts), "--", *command]
        return replace(launch, command=argv, env=env, workdir=launch.tree_root)

    def _limited(self, command: list[str]) -> list[str]:
        # Set inside the sandbox, before exec: prlimit on the outer bwrap from here would race its clone.
        prlimit = shutil.which("prlimit")
        if self.memory_mib is None or prlimit is None:
            return command
        return [prlimit, f"--data={self.memory_mib * 1024 * 1024}", "--", *command]

    def arguments(self, launch: InstanceLaunch, env: dict[str, str], tmp: Path, hosts: Path) -> list[str]:
        # /tmp first: binds made after it stay visible even when their paths lie under /tmp.
        argv = [self.bwrap, *_system_binds(), "--bind", str(tmp), "/tmp", "--dev", "/dev", "--proc", "/proc"]
        for path in _runtime_paths():
            argv += ["--ro-bind", path, path]
        cache = env.get(VENV_CACHE_ENV)
        if cache:
            Path(cache).mkdir(parents=True, exist_ok=True)
            argv += ["--bind", cache, cache]
        # Files the runner staged beside the trees (a script-mode source archive) keep their real path.
        for path in job_files(launch, env):
            argv += ["--ro-bind", path, path]
        argv += [
            "--ro-bind", str(hosts), "/etc/hosts",
            "--bind", str(launch.tree_root), str(SANDBOX_ROOT),
            "--unshare-pid", "--unshare-ipc", "--unshare-uts",
            "--hostname", launch.host,
            "--die-with-parent",
            "--chdir", str(SANDBOX_ROOT),
        ]  # fmt: skip
        return argv


@cache
def usable_bwrap() -> str | None:
    """``bwrap``'s path when it can build a sandbox here, else ``None``. Probed once per process (training
    and hosting both ask), since the answer cannot change while the server runs."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        log.warning("bwrap not found: training instances run unsandboxed and algo-N names do not resolve")
        return None
    problem = probe(bwrap)
    if problem is not None:
        log.warning("bwrap cannot sandbox here (%s): training instances run unsandboxed", problem)
        return None
    return bwrap


def local_launcher(bwrap: str | None, memory_mib: int | None = None) -> SandboxLauncher | ProcessLauncher:
    """The sandboxed launcher when ``bwrap`` (from :func:`usable_bwrap`) is set, else plain processes."""
    return SandboxLauncher(bwrap, memory_mib) if bwrap is not None else ProcessLauncher(memory_mib)


def probe(bwrap: str) -> str | None:
    """Run a throwaway sandbox with the namespaces a job gets; why it failed, or ``None``."""
    argv = [bwrap, *_system_binds(), "--dev", "/dev", "--proc", "/proc"]
    argv += ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--hostname", "algo-1", "--", "true"]
    try:
        done = subprocess.run(argv, capture_output=True, timeout=PROBE_TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if done.returncode != 0:
        return done.stderr.decode(errors="replace").strip() or f"exit code {done.returncode}"
    return None


def _system_binds() -> list[str]:
    argv: list[str] = []
    for name in SYSTEM_DIRS:
        path = Path(name)
        if path.is_symlink():
            argv += ["--symlink", os.readlink(path), name]
        elif path.is_dir():
            argv += ["--ro-bind", name, name]
    return argv


def _runtime_paths() -> list[str]:
    """The Python installation, the venv and (for editable installs) Drydock's own source tree."""
    # .../src/drydock/engine/launchers/sandbox.py: parents[3] holds the ``drydock`` package.
    candidates = {Path(sys.prefix), Path(sys.base_prefix), Path(__file__).resolve().parents[3]}
    candidates.add(Path(sys.executable).resolve().parent.parent)
    paths = sorted({str(p.resolve()) for p in candidates if p.is_dir()})
    # A path already under /usr (a Debian python) is bound with the system.
    return [p for p in paths if not any(p == d or p.startswith(d + "/") for d in SYSTEM_DIRS)]


def job_files(launch: InstanceLaunch, env: dict[str, str]) -> list[str]:
    """Files the runner staged beside the trees that ``env`` names (they are bound at their real path)."""
    job_root = launch.tree_root.parent.resolve()
    found = []
    for value in env.values():
        if not value.startswith("/"):
            continue
        path = Path(value)
        if path.exists() and path.resolve().is_relative_to(job_root):
            found.append(str(path))
    return sorted(set(found))


def inside_environment(env: dict[str, str], tree_root: Path) -> dict[str, str]:
    """``env`` as a sandboxed instance sees it: paths under ``/opt/ml``, its own TMPDIR and HOME."""
    inside = {key: _inside(value, tree_root) for key, value in env.items()}
    # The server's TMPDIR and HOME are not in the sandbox; SageMaker containers run as root in /.
    return inside | {"TMPDIR": "/tmp", "HOME": "/tmp"}


def _inside(value: str, tree_root: Path) -> str:
    """``value`` with the real tree's path replaced by ``/opt/ml`` (also inside JSON documents)."""
    pattern = re.escape(str(tree_root)) + r'(?=$|[/"\s,:])'
    return re.sub(pattern, str(SANDBOX_ROOT), value)
