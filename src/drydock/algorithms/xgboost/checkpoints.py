"""Per-round checkpoints, as SageMaker's XGBoost container keeps them for managed spot training.

After round ``r`` (0-based, counted over the whole job) the booster is written to
``<checkpoint dir>/xgboost-checkpoint.<r>``; only the five newest are kept. A restarted job loads the
newest one that xgboost can read and goes on at round ``r + 1``, so it ends at ``num_round`` in
total. Files are written under a temporary name and renamed, so the checkpoint sync never uploads a
half-written one and a restart never sees one.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import xgboost as xgb

EvalsLog = xgb.callback.TrainingCallback.EvalsLog
CHECKPOINT_NAME = "xgboost-checkpoint"
#: SageMaker's container keeps the five most recent checkpoints.
KEEP = 5
_CHECKPOINT = re.compile(rf"^{re.escape(CHECKPOINT_NAME)}\.([0-9]+)$")
# The checkpoint uploader skips this suffix (the container's TEMP_FILE_SUFFIX).
_TEMPORARY_SUFFIX = ".sagemaker-ignore"
# SageMaker marks a file being uploaded; deleting it then would corrupt the upload.
_UPLOADING_SUFFIX = ".sagemaker-uploading"


def write_booster(booster: xgb.Booster, path: Path) -> None:
    """Save ``booster`` in xgboost's UBJSON format (what ``save_model`` writes for an extension-less
    name, and what ``Booster.load_model`` reads back), atomically."""
    temporary = path.with_name(path.name + _TEMPORARY_SUFFIX)
    temporary.write_bytes(bytes(booster.save_raw("ubj")))
    os.replace(temporary, path)


def read_booster(path: Path) -> xgb.Booster:
    """Load a model file; raises ``xgboost.core.XGBoostError`` when it is not one."""
    booster = xgb.Booster()
    # From bytes, so xgboost detects the format itself instead of guessing by file extension.
    booster.load_model(bytearray(path.read_bytes()))
    return booster


def checkpoint_rounds(directory: Path) -> list[int]:
    """Rounds that have a checkpoint in ``directory``, oldest first."""
    if not directory.is_dir():
        return []
    rounds = (_CHECKPOINT.match(p.name) for p in directory.iterdir())
    return sorted(int(m.group(1)) for m in rounds if m)


def latest_checkpoint(directory: Path) -> tuple[xgb.Booster | None, int]:
    """The newest readable checkpoint and the number of rounds it holds (``(None, 0)`` if none)."""
    for last_round in reversed(checkpoint_rounds(directory)):
        try:
            return read_booster(directory / f"{CHECKPOINT_NAME}.{last_round}"), last_round + 1
        except (OSError, xgb.core.XGBoostError):
            continue  # torn or foreign file: fall back to the one before, as the container does
    return None, 0


class CheckpointCallback(xgb.callback.TrainingCallback):
    """Writes ``xgboost-checkpoint.<round>`` after every round and prunes all but the newest five."""

    def __init__(self, directory: Path, start_round: int) -> None:
        super().__init__()
        self.directory = directory
        self.start_round = start_round
        directory.mkdir(parents=True, exist_ok=True)

    def after_iteration(self, model: xgb.Booster, epoch: int, evals_log: EvalsLog) -> bool:
        current = self.start_round + epoch
        write_booster(model, self.directory / f"{CHECKPOINT_NAME}.{current}")
        for old in checkpoint_rounds(self.directory):
            if old > current - KEEP:
                break
            path = self.directory / f"{CHECKPOINT_NAME}.{old}"
            if not path.with_name(path.name + _UPLOADING_SUFFIX).exists():
                path.unlink(missing_ok=True)
        return False
