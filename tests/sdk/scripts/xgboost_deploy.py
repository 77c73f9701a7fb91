"""Train the built-in XGBoost with the SDK, then ``deploy()`` → ``predict()`` → ``delete_endpoint()`` and
``transformer().transform()``, as SageMaker's examples do.

Usage: xgboost_deploy.py --bucket B --data DIR --download DIR. DIR holds train.csv (label first); the
features of its first rows (no label) are sent to the endpoint and, as a file, to batch transform.
Prints the fields of ``fit_and_describe`` plus "predictions", "endpoint_seconds" and "transform".
"""

from __future__ import annotations

import time
from pathlib import Path

from drydock_session import emit, fit_and_describe
from sagemaker.deserializers import CSVDeserializer
from sagemaker.serializers import CSVSerializer
from xgboost_builtin import train

ROWS = 20


def main() -> None:
    estimator, session, options, result = fit_and_describe(train)
    lines = (Path(options.data) / "train.csv").read_text().splitlines()[:ROWS]
    features = [[float(v) for v in line.split(",")[1:]] for line in lines]

    started = time.monotonic()
    # wait=False, then the session's waiter at 1 s: deploy(wait=True) polls every 30 s (fixed in the SDK).
    predictor = estimator.deploy(
        1, "ml.m5.large", serializer=CSVSerializer(), deserializer=CSVDeserializer(), wait=False
    )
    session.wait_for_endpoint(predictor.endpoint_name, poll=1)
    result["endpoint_seconds"] = round(time.monotonic() - started, 1)
    answer = predictor.predict(features)
    result["predictions"] = [float(v) for row in answer for v in row]
    result["endpoint_status"] = session.sagemaker_client.describe_endpoint(EndpointName=predictor.endpoint_name)[
        "EndpointStatus"
    ]
    predictor.delete_endpoint()

    batch = Path(options.download).parent / "batch"
    batch.mkdir(parents=True, exist_ok=True)
    (batch / "rows.csv").write_text("\n".join(",".join(line.split(",")[1:]) for line in lines) + "\n")
    batch_uri = session.upload_data(str(batch), key_prefix="xgboost/batch")
    transformer = estimator.transformer(1, "ml.m5.large", strategy="MultiRecord", assemble_with="Line")
    transformer.transform(batch_uri, content_type="text/csv", split_type="Line", wait=True, logs=False)
    output = transformer.output_path.rstrip("/") + "/rows.csv.out"
    bucket, _, key = output.removeprefix("s3://").partition("/")
    body = session.boto_session.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    result["transform"] = [float(v) for v in body.split()]
    emit(result)


if __name__ == "__main__":
    main()
