"""Script mode end to end: a job tree laid out with the engine's contract, run by ``drydock.frameworks train``.

Each test is what a user of a framework estimator would see: the model their script saved, the
hyperparameters their script received, the FailureReason their exception produced.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

import joblib

from drydock.engine.contract import (
    ChannelConfig,
    InstanceTree,
    ResourceConfig,
    failure_reason,
    training_environment,
    write_config,
)


@dataclass
class JobRun:
    tree: InstanceTree
    returncode: int
    stdout: str
    stderr: str

    @property
    def failure(self) -> str | None:
        return failure_reason(self.tree)

    @property
    def succeeded_file(self) -> bool:
        return (self.tree.output / "success").exists()


def sourcedir_tarball(path: Path, files: dict[str, str]) -> Path:
    """``sourcedir.tar.gz`` as the SDK uploads it: the files at the archive root."""
    with tarfile.open(path, "w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def prepare(root: Path, hyperparameters: dict[str, object], channels: dict[str, dict[str, str]]) -> InstanceTree:
    tree = InstanceTree(root)
    tree.create()
    # As the SDK sends them: every value JSON-encoded into a string.
    write_config(
        tree,
        {k: json.dumps(v) for k, v in hyperparameters.items()},
        ResourceConfig("algo-1", ["algo-1"], "ml.m5.large"),
        [ChannelConfig(name, content_type="text/csv") for name in channels],
    )
    for name, files in channels.items():
        tree.channel(name).mkdir(parents=True, exist_ok=True)
        for file_name, text in files.items():
            (tree.channel(name) / file_name).write_text(text)
    return tree


def run_job(tree: InstanceTree, extra_env: dict[str, str] | None = None, timeout: float = 120) -> JobRun:
    process = start_job(tree, extra_env)
    stdout, stderr = process.communicate(timeout=timeout)
    return JobRun(tree, process.returncode, stdout, stderr)


def start_job(tree: InstanceTree, extra_env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    hyperparameters = json.loads((tree.input_config / "hyperparameters.json").read_text())
    env = dict(os.environ)
    env.update(
        training_environment(
            tree,
            job_name="fw-job",
            region="us-east-1",
            hyperparameters=hyperparameters,
            resource=ResourceConfig("algo-1", ["algo-1"], "ml.m5.large"),
            channels=[ChannelConfig(p.name) for p in tree.input_data.iterdir()],
            num_cpus=1,
        )
    )
    env.update(extra_env or {})
    return subprocess.Popen(
        [sys.executable, "-m", "drydock.frameworks", "train"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


TRAIN_CSV = "".join(f"{int(x > 5)},{x},{10 - x}\n" for x in range(11))

SKLEARN_SCRIPT = """
import argparse, json, os
import joblib, pandas as pd
from sklearn.linear_model import LogisticRegression

parser = argparse.ArgumentParser()
parser.add_argument("--C", type=float)
parser.add_argument("--max-iter", type=int)
parser.add_argument("--solver")
args = parser.parse_args()
frame = pd.read_csv(os.path.join(os.environ["SM_CHANNEL_TRAIN"], "train.csv"), header=None)
model = LogisticRegression(C=args.C, max_iter=args.max_iter, solver=args.solver)
model.fit(frame.iloc[:, 1:], frame.iloc[:, 0])
joblib.dump(model, os.path.join(os.environ["SM_MODEL_DIR"], "model.joblib"))
print("train accuracy", model.score(frame.iloc[:, 1:], frame.iloc[:, 0]))
"""


def test_sklearn_script_trains_from_a_file_uri_sourcedir_with_hyperparameters_as_arguments(tmp_path: Path) -> None:
    tarball = sourcedir_tarball(tmp_path / "sourcedir.tar.gz", {"train.py": SKLEARN_SCRIPT})
    tree = prepare(
        tmp_path / "ml",
        {
            "C": 0.5,
            "max-iter": 200,
            "solver": "lbfgs",
            "sagemaker_program": "train.py",
            "sagemaker_submit_directory": tarball.as_uri(),
            "sagemaker_region": "us-east-1",
        },
        {"train": {"train.csv": TRAIN_CSV}},
    )

    run = run_job(tree)

    assert run.returncode == 0, run.stderr
    model = joblib.load(tree.model / "model.joblib")
    assert model.C == 0.5 and model.max_iter == 200
    assert list(model.predict([[9, 1], [1, 9]])) == [1, 0]
    assert "train accuracy 1.0" in run.stdout
    # The toolkit passes user hyperparameters sorted, and never the SDK's sagemaker_* ones.
    assert "train.py --C 0.5 --max-iter 200 --solver lbfgs" in run.stderr
    assert run.succeeded_file and run.failure is None
    assert (tree.code / "train.py").exists()


def test_script_exception_becomes_the_failure_reason(tmp_path: Path) -> None:
    script = "import sys\nprint('starting', file=sys.stderr)\nraise ValueError('bad learning rate')\n"
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(script)
    tree = prepare(
        tmp_path / "ml",
        {"lr": -1, "sagemaker_program": "train.py", "sagemaker_submit_directory": str(tmp_path / "src")},
        {},
    )

    run = run_job(tree)

    assert run.returncode == 1
    assert run.failure is not None
    assert run.failure.startswith("ExecuteUserScriptError:\nExitCode 1\n")
    assert 'ErrorMessage "ValueError: bad learning rate"' in run.failure
    assert "train.py --lr -1" in run.failure
    # The traceback still reaches the job's log, as it arrived.
    assert "Traceback (most recent call last)" in run.stderr and "starting" in run.stderr
    assert not run.succeeded_file


def test_failure_file_written_by_the_script_is_kept_and_its_exit_code_returned(tmp_path: Path) -> None:
    script = (
        "import os, sys\n"
        "open(os.path.join(os.environ['SM_OUTPUT_DIR'], 'failure'), 'w').write('labels column is empty')\n"
        "sys.exit(3)\n"
    )
    tarball = sourcedir_tarball(tmp_path / "sourcedir.tar.gz", {"train.py": script})
    tree = prepare(tmp_path / "ml", {"sagemaker_program": "train.py", "sagemaker_submit_directory": str(tarball)}, {})

    run = run_job(tree)

    assert run.returncode == 3
    assert run.failure == "labels column is empty"


def test_s3_sourcedir_is_read_from_the_copy_the_engine_staged(tmp_path: Path) -> None:
    script = (
        "import os, sys\n"
        "open(os.path.join(os.environ['SM_MODEL_DIR'], 'args.txt'), 'w').write(' '.join(sys.argv[1:]))\n"
    )
    tarball = sourcedir_tarball(tmp_path / "downloaded.tar.gz", {"entry.py": script})
    hyperparameters = {
        "epochs": 3,
        "flag": True,
        "sagemaker_program": "entry.py",
        "sagemaker_submit_directory": "s3://bucket/job/source/sourcedir.tar.gz",
    }
    staged = prepare(tmp_path / "ml", hyperparameters, {})
    not_staged = prepare(tmp_path / "ml2", hyperparameters, {})

    ok = run_job(staged, {"DRYDOCK_SUBMIT_DIRECTORY_LOCAL": str(tarball)})
    missing = run_job(not_staged)

    assert ok.returncode == 0, ok.stderr
    assert (staged.model / "args.txt").read_text() == "--epochs 3 --flag True"
    assert missing.returncode == 1
    assert missing.failure is not None and "DRYDOCK_SUBMIT_DIRECTORY_LOCAL" in missing.failure


def test_shell_entry_point_runs_with_bash_and_gets_the_arguments(tmp_path: Path) -> None:
    script = 'echo "$@" > "$SM_MODEL_DIR/args.txt"\nexit 0\n'
    tarball = sourcedir_tarball(tmp_path / "sourcedir.tar.gz", {"run.sh": script})
    tree = prepare(
        tmp_path / "ml",
        {"depth": 4, "sagemaker_program": "run.sh", "sagemaker_submit_directory": tarball.as_uri()},
        {},
    )

    run = run_job(tree)

    assert run.returncode == 0, run.stderr
    assert (tree.model / "args.txt").read_text().strip() == "--depth 4"


def test_missing_entry_point_and_unsafe_archive_fail_with_a_clear_reason(tmp_path: Path) -> None:
    no_program = prepare(tmp_path / "ml", {"epochs": 1}, {})
    escaping = sourcedir_tarball(tmp_path / "evil.tar.gz", {"../escaped.py": "print('x')"})
    unsafe = prepare(
        tmp_path / "ml2", {"sagemaker_program": "train.py", "sagemaker_submit_directory": str(escaping)}, {}
    )

    runs = [run_job(no_program), run_job(unsafe)]

    assert [r.returncode for r in runs] == [1, 1]
    assert runs[0].failure is not None and "sagemaker_program" in runs[0].failure
    assert runs[1].failure is not None and "unsafe archive" in runs[1].failure
    assert not (tmp_path / "escaped.py").exists()
