"""CreateTransformJob and StopTransformJob rules, as SageMaker enforces them.

Validation that SageMaker does when the call arrives happens here, so a mistake is an error on the
call rather than a failed job: the model must exist (its container is copied into the job), the input
must name objects that exist, the filters must be JSONPath SageMaker accepts, and the batching limits
must hold (MaxPayloadInMB at most 100; SplitType None cannot batch several records).
"""

from __future__ import annotations

from typing import Any

from drydock.engine.inputs.location import Location
from drydock.engine.inputs.source import iter_keys
from drydock.errors import S3Error, ValidationError
from drydock.services.dependencies import Dependencies
from drydock.services.sagemaker.models.model import MODEL
from drydock.services.sagemaker.models.service import single_container
from drydock.services.sagemaker.transform_jobs.model import ECHOED, TRANSFORM_JOB
from drydock.serving.transform.data_processing import DataProcessing
from drydock.serving.transform.job_record import MODEL as MODEL_SNAPSHOT
from drydock.serving.transform.job_record import TransformRecord, TransformStatus
from drydock.store.resources import Resource

MAX_PAYLOAD_MB = 100


def create_transform_job(deps: Dependencies, request: dict[str, Any]) -> Resource:
    model = MODEL.get(deps, request["ModelName"]).document
    container = single_container(request["ModelName"], model)
    source = request["TransformInput"]
    if source.get("SplitType", "None") == "None" and request.get("BatchStrategy") == "MultiRecord":
        raise ValidationError("BatchStrategy MultiRecord needs a SplitType (Line, RecordIO or TFRecord), not None")
    payload = request.get("MaxPayloadInMB")
    if payload is not None and payload > MAX_PAYLOAD_MB:
        raise ValidationError(f"MaxPayloadInMB must be at most {MAX_PAYLOAD_MB}")
    DataProcessing.from_api(request.get("DataProcessing"), source.get("ContentType"))  # raises on a bad path
    _check_output(request["TransformOutput"]["S3OutputPath"])
    _check_input(deps, source["DataSource"]["S3DataSource"], model.get("ExecutionRoleArn"))

    document = {key: request[key] for key in ECHOED if key in request}
    document["TransformJobStatus"] = TransformStatus.IN_PROGRESS.value
    document[MODEL_SNAPSHOT] = container
    resource = TRANSFORM_JOB.create(
        deps, request["TransformJobName"], document, request.get("Tags"), status=TransformStatus.IN_PROGRESS.value
    )
    deps.transforms.wake()
    return resource


def stop_transform_job(deps: Dependencies, name: str) -> None:
    job = TRANSFORM_JOB.get(deps, name)
    refused: list[str] = []

    def change(doc: dict[str, Any]) -> None:
        status = doc["TransformJobStatus"]
        if status == TransformStatus.IN_PROGRESS:
            doc["TransformJobStatus"] = TransformStatus.STOPPING.value
        elif status != TransformStatus.STOPPING:
            refused.append(status)

    TransformRecord(deps.resources, job.arn, job.name).apply(change)
    if refused:
        raise ValidationError(f"The transform job {name} is {refused[0]} and can no longer be stopped.")
    deps.transforms.wake()


def _check_output(uri: str) -> None:
    if not uri.startswith("s3://"):
        raise ValidationError("TransformOutput.S3OutputPath must be an s3:// URI")


def _check_input(deps: Dependencies, source: dict[str, Any], role: str | None) -> None:
    """SageMaker refuses a job whose input names nothing, in these words."""
    location = Location.parse(source["S3Uri"])
    if location.scheme != "s3":
        raise ValidationError("TransformInput S3Uri must be an s3:// URI")
    try:
        if source["S3DataType"] == "ManifestFile":
            deps.objects.head_object(location.bucket, location.key)
            return
        if source["S3DataType"] != "S3Prefix":
            raise ValidationError(f"S3DataType {source['S3DataType']} is not supported for batch transform")
        if next(iter_keys(deps.objects, location.bucket, location.key), None) is not None:
            return
    except S3Error:
        pass
    raise ValidationError(
        f'No S3 objects found under S3 URL "{source["S3Uri"]}" given in input data source. Please ensure that the '
        f"bucket exists in the selected region ({deps.region}), that objects exist under that S3 prefix, and that the "
        f'role "{role or "-"}" has "s3:ListBucket" permissions on bucket "{location.bucket}".'
    )
