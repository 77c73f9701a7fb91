"""Warm workers with a real ``bwrap``: a job taken by a spare XGBoost process runs as a cold one would.

Each test drives the pool as the runner does: take a worker, move its directory to the job's place,
stage data and config files into the tree, start the launch on the worker. What a user would notice
is checked — the model file, the log lines, the memory limit, stop, and no process left behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from drydock.algorithms.registry import XGBOOST
from drydock.engine.contract import ChannelConfig, InstanceTree, ResourceConfig, training_environment, write_config
from drydock.engine.launchers.port import InstanceLaunch, RunningInstance
from drydock.engine.launchers.sandbox import SandboxLauncher, probe
from drydock.engine.launchers.warm_pool import WORKER_MODULE, WarmPool, WarmWorker
from drydock.engine.training.workspace import base_environment

BWRAP = next((p for p in ("/usr/bin/bwrap", "/bin/bwrap") if Path(p).exists()), None)
SANDBOXED = BWRAP is not None and probe(BWRAP) is None
needs_bwrap = pytest.mark.skipif(not SANDBOXED, reason="bwrap cannot sandbox here")
MODULE = XGBOOST.module
HPS = {"num_round": "3", "objective": "binary:logistic", "max_depth": "2", "nthread": "1"}


@pytest.fixture(params=[pytest.param(True, marks=needs_bwrap, id="sandbox"), pytest.param(False, id="process")])
def pool(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WarmPool]:
    sandbox = SandboxLauncher(BWRAP) if request.param and BWRAP is not None else None
    warm = WarmPool(tmp_path / "home" / "warm", base_environment({}), sandbox)
    warm.start()
    yield warm
    warm.close()


def spare(pool: WarmPool, timeout: float = 30.0) -> WarmWorker:
    """Ask once (the first job of an algorithm starts cold and asks for a spare), then take the spare."""
    assert pool.take(MODULE) is None
    deadline = time.monotonic() + timeout
    while pool.idle(MODULE) == 0:
        assert time.monotonic() < deadline, "no warm worker was started"
        time.sleep(0.02)
    worker = pool.take(MODULE)
    assert worker is not None
    return worker


def job(
    tmp_path: Path, worker: WarmWorker, channel: ChannelConfig, host: str = "algo-1"
) -> tuple[InstanceLaunch, list[str]]:
    """The worker's tree moved to ``<tmp>/jobs/job/algo-1`` with config files, as the runner does it."""
    root = tmp_path / "jobs" / "job"
    root.parent.mkdir(parents=True, exist_ok=True)
    os.rename(worker.directory, root)
    tree = InstanceTree(root / "algo-1")
    resource = ResourceConfig(host, [host], "ml.m5.large")
    write_config(tree, HPS, resource, [channel])
    env = base_environment({}) | training_environment(
        tree, job_name="job", region="us-east-1", hyperparameters=HPS, resource=resource, channels=[channel], num_cpus=1
    )
    lines: list[str] = []
    lock = threading.Lock()

    def on_line(line: str) -> None:
        with lock:
            lines.append(line)

    command = [sys.executable, "-m", MODULE, "train"]
    return InstanceLaunch("job", host, command, env, tree.root, tree.root, on_line), lines


def wait(instance: RunningInstance, timeout: float = 60.0) -> int:
    assert instance.wait(timeout), "instance did not end"
    code = instance.exit_code()
    assert code is not None
    return code


def gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.02)
    return False


def test_a_warm_worker_trains_the_job_in_its_tree_and_a_spare_replaces_it(pool: WarmPool, tmp_path: Path) -> None:
    worker = spare(pool)
    launch, lines = job(tmp_path, worker, ChannelConfig("train", "text/csv"))
    data = launch.tree_root / "input" / "data" / "train"
    data.mkdir(parents=True)
    (data / "train.csv").write_text("".join(f"{i % 2},{i},{i % 3}\n" for i in range(40)))

    instance = worker.start(launch, memory_mib=4096)

    assert instance is not None
    assert wait(instance) == 0, lines
    assert (launch.tree_root / "model" / "xgboost-model").stat().st_size > 0
    assert any(line.startswith("[2]\ttrain-logloss:") for line in lines), lines
    assert any("Train matrix has 40 rows" in line for line in lines), lines
    deadline = time.monotonic() + 30
    while pool.idle(MODULE) == 0:  # the taken worker was replaced in the background
        assert time.monotonic() < deadline, "the taken worker was not replaced"
        time.sleep(0.02)


def _program_pid(worker: WarmWorker) -> int:
    """The worker's Python process (inside bwrap's pid namespace, a grandchild of ``bwrap``)."""
    pending = [worker.process.pid]
    while pending:
        pid = pending.pop()
        if Path(f"/proc/{pid}/cmdline").read_text().split("\0")[:3] == [sys.executable, "-m", WORKER_MODULE]:
            return pid
        pending += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    raise AssertionError("no warm worker process")


def _data_limit(pid: int) -> int | None:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max data size"):
            soft = line.split()[3]
            return None if soft == "unlimited" else int(soft)
    raise AssertionError("no data limit line")


def test_the_job_gets_its_memory_limit_and_stop_ends_it(pool: WarmPool, tmp_path: Path) -> None:
    worker = spare(pool)
    # Pipe mode with nobody writing the FIFO: the program blocks opening it, as on a slow source.
    launch, _ = job(tmp_path, worker, ChannelConfig("train", "text/csv", input_mode="Pipe"))
    os.mkfifo(launch.tree_root / "input" / "data" / "train_0")
    program = _program_pid(worker)
    limit = 3072 * 1024 * 1024

    instance = worker.start(launch, memory_mib=3072)

    assert instance is not None
    deadline = time.monotonic() + 30
    while _data_limit(program) != limit:  # the worker applies it once it has read the job
        assert time.monotonic() < deadline, "the memory limit was never applied"
        time.sleep(0.02)
    started = time.monotonic()
    instance.stop(grace_seconds=5)
    assert instance.exit_code() is not None
    assert time.monotonic() - started < 5
    assert gone(program)


def test_a_job_the_worker_cannot_run_is_refused_and_the_worker_ends(pool: WarmPool, tmp_path: Path) -> None:
    worker = spare(pool)
    launch, _ = job(tmp_path, worker, ChannelConfig("train", "text/csv"), host="algo-2")
    pid = worker.process.pid

    assert worker.start(launch, memory_mib=None) is None
    assert gone(pid)
    assert launch.tree_root.is_dir()  # the job's tree stays for the cold start that follows


def test_closing_the_pool_ends_its_idle_workers(pool: WarmPool) -> None:
    assert pool.take(MODULE) is None
    deadline = time.monotonic() + 30
    while pool.idle(MODULE) == 0:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    idle = pool._idle[(MODULE,)][0]

    pool.close()

    assert gone(idle.process.pid)
    assert not idle.directory.exists()
    assert pool.take(MODULE) is None


ORPHAN_CHECK = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from drydock.engine.launchers.sandbox import SandboxLauncher
    from drydock.engine.launchers.warm_pool import WarmPool
    from drydock.engine.training.workspace import base_environment
    sandbox = SandboxLauncher(sys.argv[2]) if sys.argv[2] else None
    pool = WarmPool(Path(sys.argv[1]), base_environment({}), sandbox)
    pool.start()
    pool.take("drydock.algorithms.xgboost")
    while pool.idle("drydock.algorithms.xgboost") == 0:
        time.sleep(0.02)
    print(pool._idle[("drydock.algorithms.xgboost",)][0].process.pid, flush=True)
    time.sleep(120)
    """
)


@pytest.mark.parametrize("sandboxed", [pytest.param(True, marks=needs_bwrap, id="sandbox"), False], ids=str)
def test_a_killed_server_leaves_no_warm_worker_behind(tmp_path: Path, sandboxed: bool) -> None:
    server = subprocess.Popen(
        [sys.executable, "-c", ORPHAN_CHECK, str(tmp_path / "warm"), BWRAP if sandboxed and BWRAP else ""],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    worker_pid = int(server.stdout.readline())
    server.send_signal(signal.SIGKILL)
    server.wait()
    assert gone(worker_pid, timeout=30), "the warm worker outlived the server that started it"
