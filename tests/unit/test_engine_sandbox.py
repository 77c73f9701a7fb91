"""The bubblewrap launcher with a real ``bwrap``: /opt/ml, algo-N names, hostname, and what stays hidden."""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from drydock.engine.cluster import Cluster, hosts_file
from drydock.engine.contract import InstanceTree
from drydock.engine.launchers.port import InstanceLaunch, RunningInstance
from drydock.engine.launchers.process import ProcessLauncher
from drydock.engine.launchers.sandbox import SandboxLauncher, local_launcher, probe, usable_bwrap

BWRAP = shutil.which("bwrap")
needs_bwrap = pytest.mark.skipif(BWRAP is None or probe(BWRAP) is not None, reason="bwrap cannot sandbox here")

PROGRAM = textwrap.dedent(
    """
    import json, os, pathlib, socket, sys
    print("opt_ml=" + pathlib.Path("/opt/ml/input/config/hello.txt").read_text(), flush=True)
    print("model_dir=" + os.environ["SM_MODEL_DIR"], flush=True)
    print("hostname=" + socket.gethostname(), flush=True)
    print("algo-2=" + socket.gethostbyname("algo-2"), flush=True)
    print("cwd=" + os.getcwd(), flush=True)
    print("secret_visible=" + str(pathlib.Path(sys.argv[1]).exists()), flush=True)
    pathlib.Path("/opt/ml/model/out.txt").write_text("written inside")
    pathlib.Path("/tmp/scratch").write_text("private tmp")
    print("staged=" + pathlib.Path(os.environ["DRYDOCK_SUBMIT_DIRECTORY_LOCAL"]).read_text(), flush=True)
    """
)


def wait(instance: RunningInstance, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    while (code := instance.exit_code()) is None:
        assert time.monotonic() < deadline, "instance did not end"
        time.sleep(0.02)
    return code


def launch(tmp_path: Path, host: str, command: list[str], env: dict[str, str]) -> tuple[InstanceLaunch, list[str]]:
    tree = InstanceTree(tmp_path / "job" / host)
    tree.create()
    lines: list[str] = []
    lock = threading.Lock()

    def on_line(line: str) -> None:
        with lock:
            lines.append(line)

    return InstanceLaunch("job", host, command, env, tree.root, tree.root, on_line), lines


@needs_bwrap
def test_instance_sees_its_tree_at_opt_ml_and_resolves_algo_names(tmp_path: Path) -> None:
    secret = tmp_path / "server-home" / "secret.db"
    secret.parent.mkdir()
    secret.write_text("credentials")
    env = {"PATH": "/usr/bin:/bin", "SM_HOSTS": json.dumps(["algo-1", "algo-2"])}
    spec, lines = launch(tmp_path, "algo-1", [sys.executable, "-c", PROGRAM, str(secret)], env)
    spec.env["SM_MODEL_DIR"] = str(spec.tree_root / "model")
    (spec.tree_root / "input" / "config" / "hello.txt").write_text("from the real tree")
    # A file the runner staged beside the trees (script mode's source archive) keeps its real path.
    staged = spec.tree_root.parent / "sourcedir.tar.gz"
    staged.write_text("archive")
    spec.env["DRYDOCK_SUBMIT_DIRECTORY_LOCAL"] = str(staged)
    assert BWRAP is not None

    instance = SandboxLauncher(BWRAP).start(spec)

    assert wait(instance) == 0, lines
    assert "opt_ml=from the real tree" in lines
    assert "model_dir=/opt/ml/model" in lines
    assert "hostname=algo-1" in lines
    assert "algo-2=127.0.0.1" in lines
    assert "cwd=/opt/ml" in lines
    assert "secret_visible=False" in lines
    assert "staged=archive" in lines
    assert (spec.tree_root / "model" / "out.txt").read_text() == "written inside"
    assert not Path("/tmp/scratch").exists() or Path("/tmp/scratch").read_text() != "private tmp"


@needs_bwrap
def test_stop_ends_a_sandboxed_program(tmp_path: Path) -> None:
    assert BWRAP is not None
    program = "import time; print('ready', flush=True); time.sleep(60)"
    spec, lines = launch(tmp_path, "algo-1", [sys.executable, "-c", program], {})
    instance = SandboxLauncher(BWRAP).start(spec)
    deadline = time.monotonic() + 30
    while "ready" not in lines:
        assert time.monotonic() < deadline, "program never started"
        time.sleep(0.02)
    started = time.monotonic()
    instance.stop(grace_seconds=5)
    assert instance.exit_code() is not None
    assert time.monotonic() - started < 5  # SIGTERM reached the program; no wait for the grace period


def test_local_launcher_sandboxes_when_bwrap_works() -> None:
    expected = SandboxLauncher if BWRAP is not None and probe(BWRAP) is None else ProcessLauncher
    assert isinstance(local_launcher(usable_bwrap(), 512), expected)
    assert isinstance(local_launcher(None), ProcessLauncher)


@needs_bwrap
def test_memory_limit_applies_inside_the_sandbox(tmp_path: Path) -> None:
    assert BWRAP is not None
    program = "import resource; print('data=' + str(resource.getrlimit(resource.RLIMIT_DATA)[0]), flush=True)"
    spec, lines = launch(tmp_path, "algo-1", [sys.executable, "-c", program], {})
    assert wait(SandboxLauncher(BWRAP, memory_mib=512).start(spec)) == 0, lines
    assert f"data={512 * 1024 * 1024}" in lines


def test_cluster_environment_matches_torchrun_for_one_process_per_instance() -> None:
    cluster = Cluster(["algo-1", "algo-2"], 29511, names_resolve=True)
    env = cluster.environment("algo-2")
    assert env["MASTER_ADDR"] == env["SM_MASTER_ADDR"] == "algo-1"
    assert env["MASTER_PORT"] == "29511"
    assert (env["WORLD_SIZE"], env["RANK"], env["LOCAL_RANK"], env["NODE_RANK"]) == ("2", "1", "0", "1")
    assert Cluster(["algo-1"], 1, names_resolve=False).environment("algo-1")["MASTER_ADDR"] == "127.0.0.1"
    assert "127.0.0.1\talgo-2" in hosts_file(["algo-1", "algo-2"])
    assert Cluster.plan(["algo-1"], names_resolve=True).master_port > 0
