"""The MLflow baseline for bench/endpoint.py: ``mlflow models serve`` on the same models.

MLflow cannot live in the project's virtual environment (its pins conflict with ours), so it gets its
own, ``bench/.venv-mlflow`` (gitignored), created on first use with the MLflow release below and the
**same** numpy / pandas / scipy / scikit-learn / xgboost / joblib versions as the project's
``constraints.txt``: both servers then load the same pickled pipeline and the same booster with the
same library code, and the comparison is of the serving layers only.

The models are written in MLflow's format by that environment's Python (``mlflow.sklearn.save_model``
and ``mlflow.xgboost.save_model``, from the very files the Drydock endpoints serve), and served with
``mlflow models serve --env-manager local`` — MLflow's own documented command, with its default of one
uvicorn worker unless the bench asks for more.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from drydock.testing.ports import free_port

BENCH = Path(__file__).resolve().parent
VENV = BENCH / ".venv-mlflow"
CONSTRAINTS = BENCH.parent / "constraints.txt"
#: The newest MLflow this machine's package mirror can install (3.18.0 needs an mlflow-skinny it
#: does not have); pinned so that two runs of the bench compare the same baseline.
MLFLOW_VERSION = "3.17.2"
#: The libraries both servers must share, at the project's pinned versions.
SHARED = ("numpy", "pandas", "scipy", "scikit-learn", "xgboost-cpu", "joblib")

SAVE = """
import sys, joblib, mlflow.sklearn, mlflow.xgboost, xgboost
kind, source, target = sys.argv[1:4]
# pip_requirements given, so MLflow does not spend a minute inferring them; --env-manager local
# ignores them anyway.
if kind == "sklearn":
    mlflow.sklearn.save_model(joblib.load(source), target, pip_requirements=["scikit-learn"])
else:
    booster = xgboost.Booster(model_file=source)
    mlflow.xgboost.save_model(booster, target, model_format="json", pip_requirements=["xgboost"])
"""


def python() -> Path:
    return VENV / "bin" / "python"


def _pins() -> list[str]:
    wanted = {name: None for name in SHARED}
    pins = []
    for line in CONSTRAINTS.read_text().splitlines():
        name, sep, _version = line.partition("==")
        if sep and name.strip().lower() in wanted:
            pins.append(line.strip())
    missing = set(SHARED) - {pin.partition("==")[0].lower() for pin in pins}
    if missing:
        raise RuntimeError(f"constraints.txt pins none of {sorted(missing)}")
    return pins


def ensure_venv() -> str:
    """Create bench/.venv-mlflow if it is missing or stale; the MLflow version it holds."""
    pins = [f"mlflow=={MLFLOW_VERSION}", *_pins()]
    stamp = VENV / "drydock-bench-pins.txt"
    if not (python().exists() and stamp.exists() and stamp.read_text() == "\n".join(pins)):
        print(
            f"creating {VENV.relative_to(BENCH.parent)} for the MLflow baseline (first use: 1-2 minutes): "
            f"{' '.join(pins)}",
            file=sys.stderr,
        )
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        subprocess.run([str(python()), "-m", "pip", "install", "--quiet", *pins], check=True)
        stamp.write_text("\n".join(pins))
    version = subprocess.run(
        [str(python()), "-c", "import mlflow; print(mlflow.__version__)"], check=True, capture_output=True, text=True
    )
    return version.stdout.strip()


def save_model(kind: str, source: Path, target: Path) -> Path:
    """Write ``source`` (a joblib pickle, or an xgboost-model file) as an MLflow model directory."""
    subprocess.run([str(python()), "-c", SAVE, kind, str(source), str(target)], check=True, capture_output=True)
    return target


class MlflowServer:
    """``mlflow models serve`` in its own process group, so stopping it stops uvicorn too."""

    def __init__(self, model_dir: Path, workers: int, log: Path) -> None:
        self.model_dir = model_dir
        self.workers = workers
        self.log = log
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120.0) -> None:
        self.port = free_port()
        command = [
            str(VENV / "bin" / "mlflow"),
            "models",
            "serve",
            "-m",
            str(self.model_dir),
            "--env-manager",
            "local",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]
        env = {**os.environ, "PATH": f"{VENV / 'bin'}:{os.environ.get('PATH', '')}"}
        env.pop("VIRTUAL_ENV", None)
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                command,
                env=env,
                cwd=self.model_dir.parent,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mlflow models serve exited {self.process.returncode}; see {self.log}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/ping", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"mlflow models serve not healthy after {timeout}s; see {self.log}")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the group this server was started in, nothing else
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None
