"""Built-in XGBoost through the SDK's generic Estimator, as in the SageMaker examples.

Usage: xgboost_builtin.py --bucket B --data DIR --download DIR. Uploads DIR (CSV, label first) with
``Session.upload_data``, trains with ``fit(logs="All")`` and downloads ``model_data`` into --download.
Prints the fields of ``fit_and_describe`` plus "downloaded" (the local files) as its last line.
"""

from __future__ import annotations

import sagemaker
from drydock_session import ROLE, emit, fit_and_describe
from sagemaker.estimator import Estimator
from sagemaker.inputs import TrainingInput
from sagemaker.s3 import S3Downloader

ROUNDS = 10


def train(session: sagemaker.Session, data: str) -> Estimator:
    region = session.boto_region_name
    train_uri = session.upload_data(data, key_prefix="xgboost/train")
    estimator = Estimator(
        sagemaker.image_uris.retrieve("xgboost", region, "1.7-1"),
        ROLE,
        instance_count=1,
        instance_type="ml.m5.large",
        sagemaker_session=session,
        hyperparameters={"objective": "binary:logistic", "num_round": ROUNDS, "max_depth": 3, "eta": 0.3},
    )
    estimator.fit({"train": TrainingInput(train_uri, content_type="text/csv")}, logs="All")
    return estimator


def main() -> None:
    estimator, session, options, result = fit_and_describe(train)
    result["downloaded"] = S3Downloader.download(estimator.model_data, options.download, sagemaker_session=session)
    emit(result)


if __name__ == "__main__":
    main()
