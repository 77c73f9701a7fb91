"""Script mode through the SDK's SKLearn estimator: train.py and requirements.txt from a source_dir.

Usage: sklearn_script_mode.py --bucket B --data DIR --download DIR. Uploads DIR (iris.csv, label first),
trains with ``fit(logs="All")``, downloads and unpacks ``model_data`` into --download. Prints the
fields of ``fit_and_describe`` plus "received" (what train.py parsed) as its last line.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import sagemaker
from drydock_session import ROLE, emit, fit_and_describe
from sagemaker.s3 import S3Downloader
from sagemaker.sklearn import SKLearn

SOURCE_DIR = Path(__file__).parent / "sklearn_source"
HYPERPARAMETERS = {"C": 0.5, "max_iter": 300, "run_label": "sdk test"}
METRICS = [{"Name": "validation:accuracy", "Regex": r"validation accuracy: ([0-9.]+)"}]


def train(session: sagemaker.Session, data: str) -> SKLearn:
    train_uri = session.upload_data(data, key_prefix="sklearn/train")
    estimator = SKLearn(
        entry_point="train.py",
        source_dir=str(SOURCE_DIR),
        framework_version="1.2-1",
        py_version="py3",
        role=ROLE,
        instance_count=1,
        instance_type="ml.m5.large",
        sagemaker_session=session,
        hyperparameters=HYPERPARAMETERS,
        metric_definitions=METRICS,
    )
    estimator.fit({"train": train_uri}, logs="All")
    return estimator


def main() -> None:
    estimator, session, options, result = fit_and_describe(train)
    download = Path(options.download)
    for archive in S3Downloader.download(estimator.model_data, str(download), sagemaker_session=session):
        with tarfile.open(archive) as tar:
            tar.extractall(download, filter="data")
    result["received"] = json.loads((download / "received.json").read_text())
    emit(result)


if __name__ == "__main__":
    main()
