"""What the XGBoost program learns from the training container contract.

Paths come from the ``SM_*`` variables and ``DRYDOCK_OPT_ML`` (the instance tree as the program sees
it, ``/opt/ml`` inside a sandbox), the documents from ``/opt/ml/input/config``. No xgboost import
here: the entry point validates hyperparameters before paying for it, so a bad job fails at once.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drydock.engine.contract import SANDBOX_ROOT, InstanceTree


@dataclass(frozen=True)
class Environment:
    """What the program learns from the contract: the tree, config documents and SM_* values."""

    tree: InstanceTree
    hyperparameters: dict[str, str]
    input_data_config: dict[str, dict[str, Any]]
    checkpoint_dir: Path
    #: Whether the job has a CheckpointConfig: only then is a checkpoint written every round.
    checkpointing: bool
    model_dir: Path
    num_cpus: int

    @classmethod
    def from_os(cls) -> Environment:
        tree = InstanceTree(Path(os.environ.get("DRYDOCK_OPT_ML", str(SANDBOX_ROOT))))
        config = tree.input_config
        checkpoint = _json(config / "checkpointconfig.json")
        local = str(checkpoint.get("LocalPath") or tree.checkpoints)
        if tree.root != SANDBOX_ROOT and local.startswith(f"{SANDBOX_ROOT}/"):
            # Outside a sandbox, SageMaker's default /opt/ml/checkpoints lives in the instance tree.
            local = str(tree.root / Path(local).relative_to(SANDBOX_ROOT))
        return cls(
            tree=tree,
            hyperparameters={k: str(v) for k, v in _json(config / "hyperparameters.json").items()},
            input_data_config=_json(config / "inputdataconfig.json"),
            checkpoint_dir=Path(local),
            checkpointing=(config / "checkpointconfig.json").exists(),
            model_dir=Path(os.environ.get("SM_MODEL_DIR", str(tree.model))),
            num_cpus=int(os.environ.get("SM_NUM_CPUS") or os.cpu_count() or 1),
        )

    def channel_dir(self, name: str) -> Path:
        return Path(os.environ.get(f"SM_CHANNEL_{name.upper()}", str(self.tree.channel(name))))


def _json(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    return document if isinstance(document, dict) else {}
