"""Where a job's instances live on disk, and how their data gets in and out.

``<home>/jobs/<job>/<host>/`` is each instance's ``/opt/ml`` tree. Inputs are staged from the object
store before the program starts; model and output data are uploaded after it ends; checkpoints are
restored before the program starts, synced every few seconds while it runs and once more after it
ends (so a restarted job resumes from them).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drydock.engine.checkpoints import SYNC_INTERVAL_SECONDS, CheckpointSync, PeriodicSync
from drydock.engine.contract import InstanceTree
from drydock.engine.inputs import StagedChannel, stage_channel
from drydock.engine.outputs import upload_outputs
from drydock.objects.port import ObjectStore
from drydock.store.log_events import LogStore

#: The server's environment variables a job may inherit (PATH to find python, locale, TMPDIR);
#: nothing else leaks in, least of all the server's credentials.
INHERITED = ("PATH", "LANG", "LC_ALL", "TMPDIR", "HOME", "PYTHONHASHSEED", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")


@dataclass
class Workspace:
    root: Path
    objects: ObjectStore
    logs: LogStore
    #: Extra environment for every job (e.g. the object store endpoint for script-mode S3 access).
    job_env: dict[str, str]
    staged: list[StagedChannel] = field(default_factory=list)

    def fresh_tree(self, host: str) -> InstanceTree:
        """An empty tree for ``host``; leftovers of an earlier attempt are removed first."""
        path = self.root / host
        shutil.rmtree(path, ignore_errors=True)
        tree = InstanceTree(path)
        tree.create()
        return tree

    def adopt(self, directory: Path, host: str) -> InstanceTree:
        """Make ``directory`` (a warm worker's, holding its ``host`` tree) this job's workspace.

        A rename, so the worker's sandbox, which bind-mounted the tree at ``/opt/ml`` when it started,
        sees everything staged into the tree from now on. Raises ``OSError`` when it cannot move.
        """
        shutil.rmtree(self.root, ignore_errors=True)  # an earlier attempt's trees
        self.root.parent.mkdir(parents=True, exist_ok=True)
        os.rename(directory, self.root)
        tree = InstanceTree(self.root / host)
        tree.create()
        return tree

    def stage_inputs(self, spec: dict[str, Any], tree: InstanceTree, index: int, count: int) -> None:
        for channel in spec.get("InputDataConfig", []):
            self.staged.append(stage_channel(self.objects, channel, tree, index, count, default_mode=_mode(spec)))
        checkpoint = spec.get("CheckpointConfig")
        if checkpoint:
            self.checkpoints(checkpoint, tree).restore()

    def stage_code(self, spec: dict[str, Any]) -> dict[str, str]:
        """Download an ``s3://`` ``sagemaker_submit_directory`` for script mode; the env that names it.

        The toolkit in a SageMaker container downloads it itself; our framework runner reads no
        object store, so the engine hands it the local copy (``DRYDOCK_SUBMIT_DIRECTORY_LOCAL``).
        """
        raw = spec.get("HyperParameters", {}).get("sagemaker_submit_directory")
        if not raw:
            return {}
        uri = raw.strip('"')
        if not uri.startswith("s3://"):
            return {}
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        target = self.root / "sourcedir.tar.gz"
        target.parent.mkdir(parents=True, exist_ok=True)
        reader = self.objects.get_object(bucket, key)
        try:
            with target.open("wb") as handle:
                while chunk := reader.read(1 << 20):
                    handle.write(chunk)
        finally:
            reader.close()
        return {"DRYDOCK_SUBMIT_DIRECTORY_LOCAL": str(target)}

    def checkpoints(self, config: dict[str, Any], tree: InstanceTree) -> CheckpointSync:
        local = Path(config.get("LocalPath") or "/opt/ml/checkpoints")
        # LocalPath is a path inside the container; under /opt/ml it maps into the instance's tree.
        directory = tree.root / local.relative_to("/opt/ml") if local.is_relative_to("/opt/ml") else local
        return CheckpointSync(self.objects, config["S3Uri"], directory)

    def release_inputs(self) -> BaseException | None:
        """Stop the Pipe-mode writers once the program has ended; the first error one of them hit."""
        failure: BaseException | None = None
        for staged in self.staged:
            staged.close()
            failure = failure or staged.error
        self.staged.clear()
        return failure

    def watch_checkpoints(self, spec: dict[str, Any], trees: list[InstanceTree]) -> list[PeriodicSync]:
        """Sync each instance's checkpoints every few seconds while its program runs; ``stop()`` each
        when it has ended, for a last sync whatever the outcome, so that a failed, stopped or
        restarted job — or one re-run after the server was killed — resumes from them."""
        checkpoint = spec.get("CheckpointConfig")
        if not checkpoint:
            return []
        return [self.checkpoints(checkpoint, tree).periodically(SYNC_INTERVAL_SECONDS) for tree in trees]

    def upload_outputs(self, spec: dict[str, Any], tree: InstanceTree) -> str:
        return upload_outputs(self.objects, spec, tree)

    def base_environment(self) -> dict[str, str]:
        return base_environment(self.job_env)

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def base_environment(job_env: dict[str, str]) -> dict[str, str]:
    """What every job instance's environment starts from: ``INHERITED`` variables and ``job_env``."""
    env = {name: os.environ[name] for name in INHERITED if name in os.environ}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(job_env)
    return env


def _mode(spec: dict[str, Any]) -> str:
    return str(spec.get("AlgorithmSpecification", {}).get("TrainingInputMode", "File"))
