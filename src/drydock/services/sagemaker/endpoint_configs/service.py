"""EndpointConfig rules beyond the botocore shape, as SageMaker enforces them."""

from __future__ import annotations

from typing import Any

from drydock.errors import ValidationError
from drydock.services.dependencies import Dependencies
from drydock.services.sagemaker.endpoint_configs.model import ENDPOINT_CONFIG, STORED_MEMBERS
from drydock.services.sagemaker.models.model import MODEL
from drydock.store.resources import Resource

#: The memory sizes SageMaker Serverless Inference offers.
SERVERLESS_MEMORY_SIZES = (1024, 2048, 3072, 4096, 5120, 6144)
MAX_SHADOW_VARIANTS = 1


def create_endpoint_config(deps: Dependencies, request: dict[str, Any]) -> Resource:
    production = [_with_defaults(v) for v in request["ProductionVariants"]]
    shadows = [_with_defaults(v) for v in request.get("ShadowProductionVariants") or []]
    if len(shadows) > MAX_SHADOW_VARIANTS:
        raise ValidationError(f"An endpoint configuration can have at most {MAX_SHADOW_VARIANTS} shadow variant")
    names = [v["VariantName"] for v in production + shadows]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValidationError(f"VariantName must be unique across variants; repeated: {', '.join(duplicates)}")
    for variant in production + shadows:
        _check_variant(deps, variant)
    _check_data_capture(request.get("DataCaptureConfig"))
    _check_async(request.get("AsyncInferenceConfig"), production)
    document = {key: request[key] for key in STORED_MEMBERS if key in request}
    document["ProductionVariants"] = production
    if shadows:
        document["ShadowProductionVariants"] = shadows
    return ENDPOINT_CONFIG.create(deps, request["EndpointConfigName"], document, request.get("Tags"))


def _with_defaults(variant: dict[str, Any]) -> dict[str, Any]:
    # SageMaker echoes InitialVariantWeight 1.0 when the caller left it out.
    if variant.get("ServerlessConfig") is None and "InitialVariantWeight" not in variant:
        return {**variant, "InitialVariantWeight": 1.0}
    return dict(variant)


def _check_variant(deps: Dependencies, variant: dict[str, Any]) -> None:
    name = variant["VariantName"]
    serverless = variant.get("ServerlessConfig")
    instance_type, count = variant.get("InstanceType"), variant.get("InitialInstanceCount")
    if serverless is not None:
        if instance_type is not None or count is not None:
            raise ValidationError(
                f"Variant {name!r}: ServerlessConfig cannot be combined with InstanceType or InitialInstanceCount"
            )
        if serverless["MemorySizeInMB"] not in SERVERLESS_MEMORY_SIZES:
            sizes = ", ".join(str(s) for s in SERVERLESS_MEMORY_SIZES)
            raise ValidationError(f"Variant {name!r}: ServerlessConfig.MemorySizeInMB must be one of {sizes}")
        provisioned = serverless.get("ProvisionedConcurrency")
        if provisioned is not None and provisioned > serverless["MaxConcurrency"]:
            raise ValidationError(f"Variant {name!r}: ProvisionedConcurrency cannot exceed MaxConcurrency")
    elif instance_type is None or count is None:
        raise ValidationError(f"Variant {name!r}: give InstanceType and InitialInstanceCount, or a ServerlessConfig")
    model_name = variant.get("ModelName")
    if model_name is None:
        raise ValidationError(f"Variant {name!r}: ModelName is required")
    MODEL.get(deps, model_name)  # raises "Could not find model ..." as SageMaker does


def _check_data_capture(config: dict[str, Any] | None) -> None:
    if config is None:
        return
    if not config["DestinationS3Uri"].startswith(("s3://", "https://")):
        raise ValidationError("DataCaptureConfig.DestinationS3Uri must be an s3:// URI")
    modes = [option["CaptureMode"] for option in config["CaptureOptions"]]
    if len(set(modes)) != len(modes):
        raise ValidationError("DataCaptureConfig.CaptureOptions lists a CaptureMode more than once")


def _check_async(config: dict[str, Any] | None, production: list[dict[str, Any]]) -> None:
    if config is None:
        return
    output = config["OutputConfig"]
    if not output.get("S3OutputPath", "").startswith("s3://"):
        raise ValidationError("AsyncInferenceConfig.OutputConfig.S3OutputPath must be an s3:// URI")
    failure = output.get("S3FailurePath")
    if failure is not None and not failure.startswith("s3://"):
        raise ValidationError("AsyncInferenceConfig.OutputConfig.S3FailurePath must be an s3:// URI")
    if any(v.get("ServerlessConfig") is not None for v in production):
        raise ValidationError("AsyncInferenceConfig cannot be used with serverless variants")
