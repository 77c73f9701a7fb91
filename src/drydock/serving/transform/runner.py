"""Runs one transform job: replicas up, input objects split across them, records streamed through
the model in order, one ``<input>.out`` per input object, replicas down.

Each instance takes every N-th input object (N = InstanceCount). Within an object, requests are cut by
:mod:`~drydock.serving.transform.records` and sent MaxConcurrentTransforms at a time, while answers
are written in input order to a local file; only a complete file is uploaded, so an output object
either holds the whole answer for its input or does not exist. The first failure ends the job with a
FailureReason that names the object and the record (a failed multi-record request is retried record by
record to find the one the model rejects). StopTransformJob is noticed between requests.
"""

from __future__ import annotations

import collections
import gzip
import logging
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from drydock.engine.inputs.location import Location
from drydock.engine.inputs.manifest import read_manifest
from drydock.engine.inputs.source import SourceObject, list_prefix
from drydock.engine.job_logs import JobLogWriter
from drydock.engine.outputs import put_file
from drydock.errors import S3Error, ValidationError
from drydock.objects.port import ObjectStore
from drydock.serving.commands import UnknownServingImage
from drydock.serving.endpoint_metrics import MetricSink
from drydock.serving.model_artifacts import ModelDataError
from drydock.serving.replica_factory import ReplicaFactory
from drydock.serving.replicas.port import Replica, ReplicaFailed
from drydock.serving.transform.data_processing import RecordProcessingError
from drydock.serving.transform.host_usage import HostUsage
from drydock.serving.transform.job_record import MODEL, TransformRecord, TransformStatus
from drydock.serving.transform.model_client import Answer, ModelClient
from drydock.serving.transform.records import Batch, Record, RecordFormatError, batches, line_batches, split
from drydock.serving.transform.settings import BatchingPlan, TransformSettings
from drydock.store.log_events import LogStore

log = logging.getLogger("drydock.serving.transform")

LOG_GROUP = "/aws/sagemaker/TransformJobs"
#: How often a worker looks at the store for a stop request.
STOP_CHECK_SECONDS = 0.5
LOG_FLUSH_SECONDS = 0.5


class TransformFailed(Exception):
    """The job fails; the message is its FailureReason."""


class TransformStopped(Exception):
    """StopTransformJob was called."""


@dataclass
class _Instance:
    replica: Replica
    client: ModelClient
    log: JobLogWriter


class TransformRunner:
    def __init__(
        self,
        record: TransformRecord,
        factory: ReplicaFactory,
        objects: ObjectStore,
        logs: LogStore,
        workspace: Path,
        on_exit: Callable[[str], None],
        publish_metrics: MetricSink,
    ) -> None:
        self.publish_metrics = publish_metrics
        self.record = record
        self.factory = factory
        self.objects = objects
        self.logs = logs
        self.workspace = workspace
        self.on_exit = on_exit
        self._instances: list[_Instance] = []
        self._stop_lock = threading.Lock()
        self._stop_checked = 0.0
        self._stopped = False
        self._failure: BaseException | None = None

    def run(self) -> None:
        try:
            self._run()
            self.record.finish(TransformStatus.COMPLETED)
        except TransformStopped:
            self.record.finish(TransformStatus.STOPPED)
        except TransformFailed as failure:
            log.warning("transform=%s failed: %s", self.record.name, failure)
            self.record.finish(TransformStatus.FAILED, str(failure))
        except Exception as exc:  # an engine fault fails the job with a reason, never hangs it
            log.exception("transform=%s failed in the engine", self.record.name)
            self.record.finish(TransformStatus.FAILED, f"InternalServerError: {type(exc).__name__}: {exc}")
        finally:
            for instance in self._instances:
                instance.log.flush()
                self.factory.stop(instance.replica, 5.0)
            shutil.rmtree(self.workspace, ignore_errors=True)
            self.on_exit(self.record.name)

    def _run(self) -> None:
        doc = self.record.document()
        self.record.started()
        settings = TransformSettings.from_document(doc)
        inputs = self._inputs(doc)
        self.workspace.mkdir(parents=True, exist_ok=True)
        self._start_instances(doc, settings)
        plan = BatchingPlan.resolve(settings, self._instances[0].client.execution_parameters())
        shares = [inputs[i :: len(self._instances)] for i in range(len(self._instances))]
        threads = [
            threading.Thread(target=self._instance_main, args=(instance, share, settings, plan), daemon=True)
            for instance, share in zip(self._instances, shares, strict=True)
        ]
        for thread in threads:
            thread.start()
        usage = HostUsage(self.record.name, settings.instance_type)
        while any(thread.is_alive() for thread in threads):
            for thread in threads:
                thread.join(timeout=LOG_FLUSH_SECONDS)
            for instance in self._instances:
                instance.log.flush()
            self.factory.flush_logs()
            self.publish_metrics(usage.sample([i.replica for i in self._instances]))
        if self._failure is not None:
            raise self._failure
        self._check_stop(force=True)

    def _inputs(self, doc: dict[str, Any]) -> list[SourceObject]:
        source = doc["TransformInput"]["DataSource"]["S3DataSource"]
        try:
            location = Location.parse(source["S3Uri"])
            if source["S3DataType"] == "ManifestFile":
                return read_manifest(self.objects, location)
            if source["S3DataType"] != "S3Prefix":
                raise ValidationError(f"S3DataType {source['S3DataType']} is not supported for batch transform")
            return list_prefix(self.objects, location)
        except (ValidationError, S3Error) as exc:
            raise TransformFailed(f"ClientError: {exc.message}") from None

    def _start_instances(self, doc: dict[str, Any], settings: TransformSettings) -> None:
        container = dict(doc[MODEL])
        container["Environment"] = {**(container.get("Environment") or {}), **settings.replica_environment()}
        variant = {"VariantName": "AllTraffic", "Container": container, "InstanceType": settings.instance_type}
        name = self.record.name
        try:
            command, model_dir = self.factory.prepare(variant)
            replicas = self.factory.start_many(
                name, variant, command, model_dir, settings.instance_count, lambda i: (LOG_GROUP, f"{name}/{i}")
            )
        except (UnknownServingImage, ModelDataError, ReplicaFailed) as exc:
            raise TransformFailed(f"ClientError: {exc}") from None
        for replica in replicas:
            client = ModelClient(
                replica.url, settings.content_type, settings.accept, settings.timeout_seconds, settings.max_retries
            )
            writer = JobLogWriter(self.logs, LOG_GROUP, f"{name}/{replica.spec.instance_id}/data-log")
            self._instances.append(_Instance(replica, client, writer))

    # --- one instance's share ---------------------------------------------------------------------

    def _instance_main(
        self, instance: _Instance, share: list[SourceObject], settings: TransformSettings, plan: BatchingPlan
    ) -> None:
        try:
            for source in share:
                if self._failure is not None:
                    return
                started = time.monotonic()
                count = self._transform_object(instance, source, settings, plan)
                instance.log.line(
                    f"{source.location}: {count} records transformed in {time.monotonic() - started:.2f} s"
                )
        except BaseException as exc:  # the first failure of any instance ends the job
            instance.log.line(f"{exc}")
            with self._stop_lock:
                if self._failure is None:
                    self._failure = exc

    def _transform_object(
        self, instance: _Instance, source: SourceObject, settings: TransformSettings, plan: BatchingPlan
    ) -> int:
        output = Location.parse(settings.output_path).child(source.relative + ".out")
        partial = self.workspace / f"{uuid.uuid4().hex}.out"
        count = 0
        try:
            with partial.open("wb") as out, ThreadPoolExecutor(plan.concurrency) as pool:
                pending: collections.deque[tuple[Batch, Future[Answer]]] = collections.deque()
                for batch in self._batches(source, settings, plan):
                    self._check_stop()
                    if self._failure is not None:
                        raise TransformStopped()  # another instance failed: its reason ends the job
                    pending.append((batch, pool.submit(instance.client.invoke, batch.body)))
                    # Twice the concurrency in flight keeps the model busy while bounding memory.
                    while len(pending) >= 2 * plan.concurrency:
                        count += self._write(out, *pending.popleft(), instance, source, settings)
                while pending:
                    count += self._write(out, *pending.popleft(), instance, source, settings)
            put_file(self.objects, partial, output)
        finally:
            partial.unlink(missing_ok=True)
        return count

    def _batches(self, source: SourceObject, settings: TransformSettings, plan: BatchingPlan) -> Iterator[Batch]:
        processing = settings.data_processing
        try:
            stream: BinaryIO | Any = source.open(self.objects)
        except S3Error as exc:
            raise TransformFailed(f"ClientError: cannot read {source.location}: {exc.message}") from None
        try:
            if settings.compression == "Gzip":
                stream = gzip.GzipFile(fileobj=stream, mode="rb")
            unfiltered_lines = settings.split_type == "Line" and processing.input_filter is None
            if unfiltered_lines and plan.multi_record and plan.max_payload:
                # Requests cut from the bytes as they are: no record is split out unless one fails.
                yield from line_batches(stream, plan.max_payload)
                return
            records: Iterator[Record] = split(stream, settings.split_type, str(source.location))
            if processing.input_filter is not None:
                records = (Record(r.number, self._filtered(processing.model_input, r, source), r.data) for r in records)
            yield from batches(records, settings.split_type, plan.multi_record, plan.max_payload)
        except (RecordFormatError, OSError, EOFError) as exc:
            raise TransformFailed(
                f"ClientError: {source.location} cannot be read as SplitType {settings.split_type}: {exc}"
            ) from None
        finally:
            stream.close()

    @staticmethod
    def _filtered(apply: Callable[[bytes], bytes], record: Record, source: SourceObject) -> bytes:
        try:
            return apply(record.data)
        except RecordProcessingError as exc:
            raise TransformFailed(f"ClientError: record {record.number} of {source.location}: {exc}") from None

    def _write(
        self,
        out: BinaryIO,
        batch: Batch,
        future: Future[Answer],
        instance: _Instance,
        source: SourceObject,
        settings: TransformSettings,
    ) -> int:
        answer = future.result()
        if not answer.ok:
            raise self._failed_record(instance, batch, answer, source)
        processing = settings.data_processing
        if not processing.per_record_output:
            out.write(answer.body)
            if settings.assemble_lines and not answer.body.endswith(b"\n"):
                out.write(b"\n")
            return batch.count
        predictions = [answer.body] if batch.count == 1 else answer.body.rstrip(b"\n").split(b"\n")
        if len(predictions) != batch.count:
            raise TransformFailed(
                f"ClientError: the model answered {len(predictions)} lines for the {batch.count} records "
                f"{batch.first}-{batch.last} of {source.location}; JoinSource and OutputFilter need one output "
                "line per input record"
            )
        for record, prediction in zip(batch.records, predictions, strict=True):
            try:
                out.write(processing.output(record.source, prediction.rstrip(b"\r\n")))
            except RecordProcessingError as exc:
                raise TransformFailed(f"ClientError: record {record.number} of {source.location}: {exc}") from None
            if settings.assemble_lines:
                out.write(b"\n")
        return batch.count

    def _failed_record(
        self, instance: _Instance, batch: Batch, answer: Answer, source: SourceObject
    ) -> TransformFailed:
        """The FailureReason for a failed request, naming the record the model rejects."""
        culprit, failed = batch.records[0], answer
        if batch.count > 1 and 400 <= answer.status < 500:
            # Retried one record at a time, the first the model rejects is the one to name.
            for record in batch.records:
                single = instance.client.invoke(record.data)
                if not single.ok:
                    culprit, failed = record, single
                    break
        where = (
            f"record {culprit.number}"
            if batch.count == 1 or failed is not answer
            else (f"records {batch.first}-{batch.last}")
        )
        message = failed.body.decode("utf-8", "replace").strip()[:500]
        kind = "ClientError" if 400 <= failed.status < 500 else "AlgorithmError"
        status = f"HTTP {failed.status}" if failed.status else "no answer"
        return TransformFailed(f"{kind}: the model failed on {where} of {source.location} ({status}): {message}")

    def _check_stop(self, force: bool = False) -> None:
        with self._stop_lock:
            now = time.monotonic()
            if not self._stopped and (force or now - self._stop_checked >= STOP_CHECK_SECONDS):
                self._stop_checked = now
                self._stopped = self.record.status() == TransformStatus.STOPPING
            if self._stopped:
                raise TransformStopped()
