"""HyperparameterTuner over the built-in XGBoost, as in the SageMaker examples, unchanged.

Usage: xgboost_tuner.py --bucket B --data DIR. DIR holds train/ and validation/ (CSV, label first).
Runs ``tuner.fit(...)`` (which waits), then what users do next: ``best_training_job()``,
``analytics().dataframe()``, ``HyperparameterTuner.attach(...)`` and ``best_estimator()``. Prints the
results as JSON on its last line.
"""

from __future__ import annotations

import argparse
import time

import sagemaker
from drydock_session import ROLE, drydock_session, emit, refuse_outside_connections
from sagemaker.estimator import Estimator
from sagemaker.inputs import TrainingInput
from sagemaker.tuner import CategoricalParameter, ContinuousParameter, HyperparameterTuner, IntegerParameter


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--data", required=True)
    options = parser.parse_args()
    refused = refuse_outside_connections()
    session = drydock_session(options.bucket)
    channels = {
        name: TrainingInput(
            session.upload_data(f"{options.data}/{name}", key_prefix=f"tuner/{name}"), content_type="text/csv"
        )
        for name in ("train", "validation")
    }
    estimator = Estimator(
        sagemaker.image_uris.retrieve("xgboost", session.boto_region_name, "1.7-1"),
        ROLE,
        instance_count=1,
        instance_type="ml.m5.large",
        sagemaker_session=session,
        hyperparameters={"objective": "binary:logistic", "num_round": 10, "eval_metric": "logloss"},
    )
    tuner = HyperparameterTuner(
        estimator,
        "validation:logloss",
        {
            "eta": ContinuousParameter(0.05, 1.0),
            "max_depth": IntegerParameter(1, 8),
            "booster": CategoricalParameter(["gbtree", "dart"]),
        },
        objective_type="Minimize",
        max_jobs=4,
        max_parallel_jobs=2,
        random_seed=3,
    )
    started = time.monotonic()
    tuner.fit(channels)
    tuner.wait()
    waited = round(time.monotonic() - started, 1)
    name = tuner.latest_tuning_job.name
    frame = tuner.analytics().dataframe()
    attached = HyperparameterTuner.attach(name, sagemaker_session=session)
    best = tuner.best_estimator()
    described = session.sagemaker_client.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    emit(
        {
            "tuning_job": name,
            "status": described["HyperParameterTuningJobStatus"],
            "best_training_job": tuner.best_training_job(),
            "analytics_jobs": sorted(frame["TrainingJobName"]),
            "analytics_best": frame.sort_values("FinalObjectiveValue")["TrainingJobName"].iloc[0],
            "attached": [attached.objective_metric_name, attached.max_jobs, attached.strategy],
            "attached_ranges": sorted(attached.hyperparameter_ranges()),
            "best_model_data": best.model_data,
            "waited_seconds": waited,
            "refused": refused,
        }
    )


if __name__ == "__main__":
    main()
