"""A transform job's settings, read once from its stored document, with SageMaker's defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drydock.serving.transform.data_processing import DataProcessing

MB = 1024 * 1024
#: SageMaker's defaults when neither the job nor the container's /execution-parameters say.
DEFAULT_MAX_PAYLOAD_MB = 6
DEFAULT_CONCURRENCY = 1
#: ModelClientConfig defaults (SageMaker: 600 s per invocation, 3 retries).
DEFAULT_INVOCATION_TIMEOUT_SECONDS = 600
DEFAULT_INVOCATION_RETRIES = 3


@dataclass(frozen=True)
class TransformSettings:
    content_type: str | None
    accept: str | None
    split_type: str
    compression: str
    assemble_lines: bool
    output_path: str
    instance_count: int
    instance_type: str
    #: ``None`` where the job leaves them to the container's /execution-parameters.
    batch_strategy: str | None
    max_payload_mb: int | None
    max_concurrency: int | None
    timeout_seconds: float
    max_retries: int
    data_processing: DataProcessing
    environment: dict[str, str]

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> TransformSettings:
        source = doc["TransformInput"]
        output = doc["TransformOutput"]
        client = doc.get("ModelClientConfig") or {}
        return cls(
            content_type=source.get("ContentType"),
            accept=output.get("Accept"),
            split_type=source.get("SplitType", "None"),
            compression=source.get("CompressionType", "None"),
            assemble_lines=output.get("AssembleWith") == "Line",
            output_path=output["S3OutputPath"],
            instance_count=int(doc["TransformResources"]["InstanceCount"]),
            instance_type=doc["TransformResources"]["InstanceType"],
            batch_strategy=doc.get("BatchStrategy"),
            max_payload_mb=doc.get("MaxPayloadInMB"),
            max_concurrency=doc.get("MaxConcurrentTransforms"),
            timeout_seconds=float(client.get("InvocationsTimeoutInSeconds", DEFAULT_INVOCATION_TIMEOUT_SECONDS)),
            max_retries=int(client.get("InvocationsMaxRetries", DEFAULT_INVOCATION_RETRIES)),
            data_processing=DataProcessing.from_api(doc.get("DataProcessing"), source.get("ContentType")),
            environment=dict(doc.get("Environment") or {}),
        )

    def replica_environment(self) -> dict[str, str]:
        """What the container learns about the job (the variables SageMaker sets for batch)."""
        env = {**self.environment, "SAGEMAKER_BATCH": "true"}
        if self.max_payload_mb is not None:
            env["SAGEMAKER_MAX_PAYLOAD_IN_MB"] = str(self.max_payload_mb)
        if self.batch_strategy is not None:
            env["SAGEMAKER_BATCH_STRATEGY"] = (
                "MULTI_RECORD" if self.batch_strategy == "MultiRecord" else "SINGLE_RECORD"
            )
        if self.max_concurrency is not None:
            env["SAGEMAKER_MAX_CONCURRENT_TRANSFORMS"] = str(self.max_concurrency)
        return env


@dataclass(frozen=True)
class BatchingPlan:
    """How requests are cut and sent, once the container's preferences are known."""

    multi_record: bool
    max_payload: int
    concurrency: int

    @classmethod
    def resolve(cls, settings: TransformSettings, container: dict[str, Any]) -> BatchingPlan:
        strategy = settings.batch_strategy or str(container.get("BatchStrategy", "SINGLE_RECORD"))
        payload_mb = settings.max_payload_mb
        if payload_mb is None:
            payload_mb = int(container.get("MaxPayloadInMB", DEFAULT_MAX_PAYLOAD_MB))
        concurrency = settings.max_concurrency or int(container.get("MaxConcurrentTransforms", DEFAULT_CONCURRENCY))
        return cls(
            multi_record=strategy.replace("_", "").lower() == "multirecord",
            max_payload=payload_mb * MB,
            concurrency=max(1, concurrency),
        )
