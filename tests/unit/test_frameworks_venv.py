"""requirements.txt in a script-mode job: installed once into a cached environment, reused after.

One real ``pip install`` (of ``termcolor``, tiny and pure Python, from the machine's package index)
for the whole module: two jobs start together with the same requirements, then a third follows.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from tests.unit.test_frameworks_runner import JobRun, prepare, run_job, sourcedir_tarball, start_job

SCRIPT = """
import os, sklearn, termcolor
with open(os.path.join(os.environ["SM_MODEL_DIR"], "where.txt"), "w") as out:
    out.write(termcolor.__file__ + "\\n" + sklearn.__file__)
print(termcolor.colored("trained", "green"))
"""


@pytest.mark.skipif(importlib.util.find_spec("termcolor") is not None, reason="termcolor must not be pre-installed")
def test_requirements_install_once_into_a_cached_env_layered_over_the_servers(tmp_path: Path) -> None:
    cache = tmp_path / "venvs"
    tarball = sourcedir_tarball(
        tmp_path / "sourcedir.tar.gz", {"train.py": SCRIPT, "requirements.txt": "termcolor>=2\n"}
    )
    hyperparameters = {"sagemaker_program": "train.py", "sagemaker_submit_directory": str(tarball)}
    trees = [prepare(tmp_path / f"ml{i}", hyperparameters, {}) for i in range(3)]
    env = {"DRYDOCK_VENV_CACHE": str(cache)}

    # Two jobs with the same requirements at once: one builds, the other waits and reuses it.
    processes = [start_job(tree, env) for tree in trees[:2]]
    concurrent = []
    for tree, process in zip(trees[:2], processes, strict=True):
        stdout, stderr = process.communicate(timeout=240)
        concurrent.append(JobRun(tree, process.returncode, stdout, stderr))
    later = run_job(trees[2], env)

    for run in [*concurrent, later]:
        assert run.returncode == 0, run.stderr
        assert "trained" in run.stdout
        termcolor_file, sklearn_file = (run.tree.model / "where.txt").read_text().splitlines()
        # The requirement comes from the cache; everything else from the server's own environment.
        assert Path(termcolor_file).is_relative_to(cache)
        assert not Path(sklearn_file).is_relative_to(cache)
    verbs = sorted(_environment_verb(run) for run in concurrent)
    assert verbs == ["Created", "Reusing cached"]
    assert _environment_verb(later) == "Reusing cached"
    assert _install_seconds(later) < 2.0
    # One environment, no half-built leftovers.
    assert [p.name for p in cache.iterdir() if p.is_dir()] == [Path(termcolor_file).relative_to(cache).parts[0]]


def _environment_verb(run: JobRun) -> str:
    match = re.search(r"(Created|Reusing cached) environment", run.stderr)
    assert match, run.stderr
    return match.group(1)


def _install_seconds(run: JobRun) -> float:
    match = re.search(r"environment \S+ \((\d+\.\d+)s\)", run.stderr)
    assert match, run.stderr
    return float(match.group(1))
