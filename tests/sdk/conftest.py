"""The SDK scripts of tests/sdk, started side by side once per session against the session's server.

``fit()`` first describes its job 5 s after creating it and, if the job is still running then, only
every 30 s after that (fixed in the SDK), so a script spends from about 8 s to about 45 s mostly
waiting: starting them all at once keeps tests/sdk at about its slowest script's time.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sklearn.datasets import load_breast_cancer, load_iris

from drydock.testing.live_server import LiveServer
from tests.sdk.script_run import ScriptRun, sdk_python


def write_csv(path: Path, features: Any, labels: Any) -> Path:
    """SageMaker's CSV training layout: label first, no header."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [",".join([str(int(y)), *(repr(float(v)) for v in x)]) for x, y in zip(features, labels, strict=True)]
    path.write_text("\n".join(rows) + "\n")
    return path.parent


@pytest.fixture(scope="session")
def sdk_runs(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ScriptRun]]:
    sdk_python()
    work = tmp_path_factory.mktemp("sdk")
    cancer, iris = load_breast_cancer(), load_iris()
    inputs = {
        "xgboost_builtin.py": write_csv(work / "cancer" / "train.csv", cancer.data, cancer.target),
        "xgboost_deploy.py": write_csv(work / "cancer-deploy" / "train.csv", cancer.data, cancer.target),
        "sklearn_script_mode.py": write_csv(work / "iris" / "iris.csv", iris.data, iris.target),
    }
    runs: dict[str, ScriptRun] = {}
    try:
        for script, data in inputs.items():
            scratch = work / script.removesuffix(".py")
            options = {"bucket": f"sdk-{uuid.uuid4().hex[:12]}", "data": str(data), "download": str(scratch / "model")}
            runs[script] = ScriptRun(server, script, options, scratch)
        yield runs
    finally:
        for run in runs.values():
            run.stop()
