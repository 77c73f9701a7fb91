"""Replicas as local processes, started through the training engine's launcher.

Each replica gets its own directory ``<home>/endpoints/<endpoint>/<instance id>/``, holding its tree
whose ``model/`` is a hard-linked copy of the extracted artifacts; under bubblewrap the tree is mounted
at ``/opt/ml`` (so a container's ``/opt/ml/model`` is where SageMaker puts it) and the process cannot
see the server's home. The model server listens on a free loopback port given in
``SAGEMAKER_BIND_TO_PORT``. Readiness is the first ``GET /ping`` that answers 200.

A script-mode replica starts in a *warm worker* when the pool has one spare for its framework
(:mod:`drydock.engine.launchers.warm_pool`): a process, in a sandbox like a cold replica's, that has
already imported the model server and the framework (scikit-learn: ~1.5 s of a cold replica's ~2 s).
The worker's directory becomes the replica's (its tree is ``algo-1/`` inside it, which the sandbox
mounted when it started), the model is linked in, and the worker runs the serving command with the
replica's environment. Only a model whose Environment holds nothing but the toolkit's ``SAGEMAKER_*``
variables takes one: anything else may be read as a process starts (``OMP_NUM_THREADS``,
``PYTHON*``, ``LD_*``), which a warm worker did long ago. The first replica of a framework starts cold
and asks the pool for a spare; every replica taken from the pool is replaced in the background.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import os
import shutil
import signal
import socket
import sys
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from drydock.engine.launchers.port import InstanceLaunch, Launcher, RunningInstance
from drydock.engine.launchers.warm_pool import WARM_HOST, WarmPool, WarmWorker
from drydock.serving.model_artifacts import link_tree
from drydock.serving.replicas.port import Replica, ReplicaFailed, ReplicaSpec
from drydock.serving.replicas.usage import Usage, group_usage

log = logging.getLogger("drydock.serving.replicas")

PING_INTERVAL_SECONDS = 0.02
#: The serving program whose replicas may start in warm workers (script mode, any framework).
WARM_MODULE = "drydock.frameworks"
#: The model Environment a warm worker can take: the inference toolkit's own variables, read only once
#: the program runs.
WARM_ENVIRONMENT_PREFIX = "SAGEMAKER_"
PID_FILE = ".replica.pid"
PING_TIMEOUT_SECONDS = 2.0


@dataclass
class ProcessReplica:
    spec: ReplicaSpec
    url: str
    setup_seconds: float
    instance: RunningInstance
    tree: Path
    #: ``<home>/endpoints/<endpoint>/<instance id>``: the tree, or (a warm worker's) the tree's parent.
    directory: Path

    def usage(self) -> Usage | None:
        return group_usage(self.instance.pid)

    def alive(self) -> bool:
        return self.instance.exit_code() is None

    def stop(self, grace_seconds: float) -> None:
        self.instance.stop(grace_seconds)
        shutil.rmtree(self.directory, ignore_errors=True)
        # The sandbox launcher keeps a cold instance's private /tmp beside the trees, named by its host
        # (a warm worker's is inside its directory).
        endpoint = self.directory.parent
        shutil.rmtree(endpoint / ".sandbox" / self.spec.instance_id, ignore_errors=True)
        # The endpoint's directory goes with its last replica. rmdir, not rmtree: another replica of
        # it may be starting, and a replica starting meanwhile recreates what it needs.
        for emptied in (endpoint / ".sandbox", endpoint):
            with contextlib.suppress(OSError):
                emptied.rmdir()


class ProcessReplicaBackend:
    def __init__(
        self, launcher: Launcher, root: Path, environment: Mapping[str, str], warm: WarmPool | None = None
    ) -> None:
        self.launcher = launcher
        #: Spare script-mode model servers (shared with training's built-in algorithms); ``None``: always cold.
        self.warm = warm
        #: ``<home>/endpoints``: one directory per endpoint, one tree per replica under it.
        self.root = root
        #: Variables every replica gets (the server's S3 endpoint and credentials, the venv cache, …).
        self.environment = dict(environment)
        # Every replica process is started from this one long-lived thread: bubblewrap's
        # --die-with-parent (PR_SET_PDEATHSIG) fires when the *thread* that forked it ends, and the
        # threads that ask for replicas come and go.
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="replica-spawner")

    def clean_stale(self) -> int:
        """Stop replicas a previous server process left behind (it was killed before it could stop
        them) and remove their trees; returns how many were still running. Called once at startup,
        before any replica of this process starts."""
        running = 0
        for pid_file in self.root.glob(f"*/*/{PID_FILE}"):
            try:
                pid = int(pid_file.read_text())
                os.killpg(pid, signal.SIGKILL)
                running += 1
            except (ValueError, ProcessLookupError, PermissionError):
                pass
            shutil.rmtree(pid_file.parent, ignore_errors=True)
        return running

    def start(self, spec: ReplicaSpec) -> Replica:
        directory = self.root / spec.endpoint_name / spec.instance_id
        shutil.rmtree(directory, ignore_errors=True)
        tree, worker = self._tree(directory, self._warm_worker(spec))
        link_tree(spec.model_dir, tree / "model")
        port = _free_port()
        env = {
            **self.environment,
            **(spec.container.get("Environment") or {}),
            "SAGEMAKER_BIND_TO_PORT": str(port),
            "SM_MODEL_DIR": str(tree / "model"),
            "PYTHONUNBUFFERED": "1",
        }
        started = time.monotonic()
        launch = InstanceLaunch(
            job_name=spec.endpoint_name,
            # Also names a cold sandbox's private /tmp, which must not be shared between replicas; a
            # warm worker's sandbox was made for algo-1, with its private files in its own directory.
            host=spec.instance_id if worker is None else WARM_HOST,
            command=spec.command,
            env=env,
            workdir=tree,
            tree_root=tree,
            on_line=spec.on_line,
        )
        try:
            instance = worker.start(launch, None) if worker is not None else None
            if instance is None:
                instance = self._spawner.submit(self.launcher.start, launch).result()
            else:
                log.info("endpoint=%s replica %s runs in a warm worker", spec.endpoint_name, spec.instance_id)
        except OSError as exc:
            shutil.rmtree(directory, ignore_errors=True)
            raise ReplicaFailed(f"The model server could not be started: {exc}") from None
        # Orphans of a server that dies uncleanly are found by this file at the next start; under
        # bubblewrap --die-with-parent ends them anyway, plain processes would live on.
        (directory / PID_FILE).write_text(str(instance.pid))
        replica = ProcessReplica(spec, f"http://127.0.0.1:{port}", 0.0, instance, tree, directory)
        try:
            _wait_healthy(replica, port, started + spec.startup_timeout)
        except BaseException:
            replica.stop(0)
            raise
        replica.setup_seconds = time.monotonic() - started
        return replica

    def _warm_worker(self, spec: ReplicaSpec) -> WarmWorker | None:
        if self.warm is None or spec.command[:3] != [sys.executable, "-m", WARM_MODULE]:
            return None
        environment = spec.container.get("Environment") or {}
        if not all(name.startswith(WARM_ENVIRONMENT_PREFIX) for name in environment):
            return None
        return self.warm.take(WARM_MODULE, spec.command[3:])

    @staticmethod
    def _tree(directory: Path, worker: WarmWorker | None) -> tuple[Path, WarmWorker | None]:
        """Where the replica's tree is, and the warm worker that will run it: the worker's tree, moved
        to ``directory`` (a rename, which the sandbox's bind mount follows); else ``directory`` itself
        and a cold start."""
        directory.parent.mkdir(parents=True, exist_ok=True)
        if worker is not None:
            try:
                os.rename(worker.directory, directory)
                return directory / WARM_HOST, worker
            except OSError as exc:
                log.warning("could not take a warm worker's tree for %s (%s); the replica starts cold", directory, exc)
                worker.discard()
        return directory, None


def _wait_healthy(replica: ProcessReplica, port: int, deadline: float) -> None:
    while True:
        code = replica.instance.exit_code()
        if code is not None:
            raise ReplicaFailed(f"The model server exited with code {code} before it passed its health check")
        if _ping(port):
            return
        if time.monotonic() > deadline:
            raise ReplicaFailed(
                f"The primary container for production variant {replica.spec.variant_name} did not pass the ping "
                f"health check within {replica.spec.startup_timeout:.0f} seconds."
            )
        time.sleep(PING_INTERVAL_SECONDS)


def _ping(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=PING_TIMEOUT_SECONDS)
    try:
        connection.request("GET", "/ping")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def _free_port() -> int:
    # The OS picks a free port; the model server binds it a moment later (the window is tiny, and a
    # lost race fails the health check, which the reconciler answers with a new replica).
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
