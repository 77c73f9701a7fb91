"""Runs one training job from Starting to Completed, Failed or Stopped, on a thread of its own.

The runner is the only writer of its job's status while it runs; StopTrainingJob only flips the
status to Stopping in the store, which the runner notices within a poll interval. Every status
change goes through :func:`~drydock.engine.training.status.check_transition` and is appended to
``SecondaryStatusTransitions`` with SageMaker's status messages.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from drydock.engine.cluster import Cluster
from drydock.engine.contract import (
    ChannelConfig,
    InstanceTree,
    ResourceConfig,
    failure_reason,
    host_name,
    training_environment,
    write_config,
)
from drydock.engine.job_logs import TRAINING_LOG_GROUP, JobLogWriter
from drydock.engine.launchers.port import InstanceLaunch, Launcher, RunningInstance
from drydock.engine.launchers.warm_pool import WARM_HOST, WarmPool, WarmWorker
from drydock.engine.metrics import MetricDefinition, MetricSeries
from drydock.engine.training.commands import ResolvedCommand, UnknownImage, builtin_module, resolve_command
from drydock.engine.training.job_record import JobRecord
from drydock.engine.training.spot import SpotPolicy
from drydock.engine.training.status import Secondary
from drydock.engine.training.workspace import Workspace

log = logging.getLogger("drydock.engine.training")

POLL_SECONDS = 0.2
#: SageMaker gives a container 120 s after SIGTERM; locally a shorter grace keeps Stop snappy.
STOP_GRACE_SECONDS = 10.0


class JobStopped(Exception):
    """The job was asked to stop (or ran out of time) while it was being prepared."""

    def __init__(self, secondary: Secondary) -> None:
        super().__init__(secondary.value)
        self.secondary = secondary


@dataclass
class TrainingRunner:
    record: JobRecord
    workspace: Workspace
    launcher: Launcher
    region: str
    num_cpus: int
    on_exit: Callable[[str], None]
    spot: SpotPolicy | None = None
    #: Whether instances resolve each other as ``algo-N`` (the bubblewrap sandbox); else MASTER_ADDR is loopback.
    names_resolve: bool = False
    #: Spare processes of built-in algorithms; ``None`` to start every instance cold.
    warm: WarmPool | None = None
    #: The instance type's memory limit in MiB (a warm worker applies it when a job takes it).
    memory_mib: int | None = None

    def run(self) -> None:
        name = self.record.name
        try:
            self._run()
        except JobStopped as stopped:
            self.record.finish(stopped.secondary)
        except UnknownImage as exc:
            self.record.fail(str(exc))
        except Exception as exc:  # any engine fault fails the job with a reason, never hangs it
            log.exception("job=%s failed in the engine", name)
            self.record.fail(f"InternalServerError: {type(exc).__name__}: {exc}")
        finally:
            self.on_exit(name)

    def _run(self) -> None:
        spec = self.record.document()
        spot = self.spot if spec.get("EnableManagedSpotTraining") else None
        interruptions = 0
        while True:
            interrupt_after = None
            if spot is not None and interruptions < spot.interruptions:
                interrupt_after = spot.interrupt_after
            started = time.monotonic()
            interrupted = self._attempt(spec, interrupt_after)
            self.record.billable_seconds += time.monotonic() - started
            if not interrupted:
                return
            interruptions += 1
            assert spot is not None
            self.record.advance(Secondary.INTERRUPTED, "Training job interrupted: the spot capacity was reclaimed")
            self._wait_for_capacity(spot.capacity_wait)
            self.record.advance(Secondary.STARTING, "Launching requested ML instances")

    def _wait_for_capacity(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._check_stop()
            time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))

    def _attempt(self, spec: dict[str, Any], interrupt_after: float | None) -> bool:
        """One run of every instance; ``True`` when the spot policy interrupted it."""
        count = int(spec["ResourceConfig"]["InstanceCount"])
        hosts = [host_name(i) for i in range(count)]
        cluster = Cluster.plan(hosts, names_resolve=self.names_resolve)
        worker = self._warm_worker(spec, count)
        try:
            trees = [self._tree(host, worker) for host in hosts]
            self.record.advance(Secondary.DOWNLOADING, "Downloading input data")
            job_mode = str(spec.get("AlgorithmSpecification", {}).get("TrainingInputMode") or "File")
            channels = [_channel(c, job_mode) for c in spec.get("InputDataConfig", [])]
            for index, tree in enumerate(trees):
                self._check_stop()
                self.workspace.stage_inputs(spec, tree, index, count)
            command = resolve_command(spec)
            code_env = self.workspace.stage_code(spec)
            self.record.advance(Secondary.TRAINING, "Training image download completed. Training in progress.")
            series = MetricSeries([MetricDefinition(m["Name"], m["Regex"]) for m in command.metric_definitions])
            epoch = int(time.time())
            writers = [
                JobLogWriter(self.workspace.logs, TRAINING_LOG_GROUP, f"{spec['TrainingJobName']}/{host}-{epoch}")
                for host in hosts
            ]
            running: list[RunningInstance] = []
            for index, (host, tree) in enumerate(zip(hosts, trees, strict=True)):
                resource = ResourceConfig(host, hosts, spec["ResourceConfig"]["InstanceType"])
                write_config(tree, spec.get("HyperParameters", {}), resource, channels, spec.get("CheckpointConfig"))
                env = cluster.environment(host) | self._environment(spec, tree, resource, channels, command) | code_env
                launch = InstanceLaunch(
                    job_name=self.record.name,
                    host=host,
                    command=command.argv,
                    env=env,
                    workdir=tree.root,
                    tree_root=tree.root,
                    on_line=_observer(writers[index], series),
                )
                running.append(self._start(launch, worker))
                worker = None  # running the job now, or ended by _start when the job did not fit it
        finally:
            if worker is not None:  # stopped or failed before its program started
                worker.discard()
        syncs = self.workspace.watch_checkpoints(spec, trees)
        try:
            codes = self._watch(running, writers, series, interrupt_after)
        finally:
            input_error = self.workspace.release_inputs()
            for sync in syncs:
                sync.stop()
        for writer in writers:
            writer.flush()
        self.record.set_metrics(series.final())
        if codes is None:
            return True
        # An instance that exited by itself explains the failure better than a peer we then stopped
        # (a signal death shows as a negative code).
        failed = sorted(((i, code) for i, code in enumerate(codes) if code != 0), key=lambda f: (f[1] < 0, f[0]))
        if failed:
            index, code = failed[0]
            reason = failure_reason(trees[index]) or _exit_reason(code, writers[index].last_lines())
            # Built-in algorithms already classify their failure (ClientError: bad data or parameters).
            prefixed = reason.startswith(("ClientError:", "AlgorithmError:"))
            self.record.fail(reason if prefixed else f"AlgorithmError: {reason}")
            return False
        if input_error is not None:
            self.record.fail(f"ClientError: reading the input data failed: {input_error}")
            return False
        self.record.advance(Secondary.UPLOADING, "Uploading generated training model")
        artifacts = self.workspace.upload_outputs(spec, trees[0])
        self.record.complete(artifacts)
        self.workspace.cleanup()
        return False

    def _warm_worker(self, spec: dict[str, Any], count: int) -> WarmWorker | None:
        """A warm worker for a single-instance built-in algorithm job, when one is spare.

        A job with its own ``Environment`` gets a fresh process: it may set what a process reads only
        as it starts (``OMP_NUM_THREADS``, ``PYTHON*``, ``LD_*``), which a warm worker has long read.
        """
        if self.warm is None or count != 1 or spec.get("Environment"):
            return None
        module = builtin_module(spec)
        return self.warm.take(module) if module is not None else None

    def _tree(self, host: str, worker: WarmWorker | None) -> InstanceTree:
        if worker is not None and host == WARM_HOST:
            try:
                return self.workspace.adopt(worker.directory, host)
            except OSError as exc:  # the worker then refuses the job (not its tree) and it starts cold
                log.warning("job=%s could not take a warm worker's tree: %s", self.record.name, exc)
        return self.workspace.fresh_tree(host)

    def _start(self, launch: InstanceLaunch, worker: WarmWorker | None) -> RunningInstance:
        if worker is not None:
            instance = worker.start(launch, self.memory_mib)
            if instance is not None:
                log.info("job=%s host=%s runs in a warm worker", launch.job_name, launch.host)
                return instance
        return self.launcher.start(launch)

    def _watch(
        self,
        running: list[RunningInstance],
        writers: list[JobLogWriter],
        series: MetricSeries,
        interrupt_after: float | None,
    ) -> list[int] | None:
        """Wait for every instance to end; ``None`` when the spot policy interrupted them."""
        stop_as: Secondary | None = None
        interrupt_at = None if interrupt_after is None else time.monotonic() + interrupt_after
        while True:
            if interrupt_at is not None and stop_as is None and time.monotonic() >= interrupt_at:
                # Spot reclaims the instances: SIGTERM (the 2-minute warning, shortened), then gone.
                for instance in running:
                    instance.stop(STOP_GRACE_SECONDS)
                return None
            codes = [instance.exit_code() for instance in running]
            for writer in writers:
                writer.flush()
            self.record.set_metrics(series.final())
            if stop_as is None and any(code not in (None, 0) for code in codes):
                # One instance failed: SageMaker ends the job, so its peers (which may be waiting on
                # it in a collective) are stopped rather than left to time out.
                for instance in running:
                    instance.stop(STOP_GRACE_SECONDS)
                codes = [instance.exit_code() for instance in running]
            if all(code is not None for code in codes):
                if stop_as is not None:
                    raise JobStopped(stop_as)
                return [int(code) for code in codes if code is not None]
            stop_as = stop_as or self.record.stop_reason()
            if stop_as is not None:
                for instance in running:
                    instance.stop(STOP_GRACE_SECONDS)
                continue
            # Woken by the end of an instance, so a finished job goes on to its upload at once.
            running[codes.index(None)].wait(POLL_SECONDS)

    def _check_stop(self) -> None:
        reason = self.record.stop_reason()
        if reason is not None:
            raise JobStopped(reason)

    def _environment(
        self,
        spec: dict[str, Any],
        tree: InstanceTree,
        resource: ResourceConfig,
        channels: list[ChannelConfig],
        command: ResolvedCommand,
    ) -> dict[str, str]:
        env = self.workspace.base_environment()
        env.update(
            training_environment(
                tree,
                job_name=spec["TrainingJobName"],
                region=self.region,
                hyperparameters=spec.get("HyperParameters", {}),
                resource=resource,
                channels=channels,
                num_cpus=self.num_cpus,
            )
        )
        env.update(command.env)
        env.update(spec.get("Environment", {}))
        return env


def _channel(config: dict[str, Any], job_mode: str) -> ChannelConfig:
    source = config.get("DataSource", {}).get("S3DataSource", {})
    return ChannelConfig(
        name=config["ChannelName"],
        content_type=config.get("ContentType"),
        # A channel without its own InputMode uses the job's TrainingInputMode, as SageMaker does.
        input_mode=config.get("InputMode") or job_mode,
        distribution=source.get("S3DataDistributionType", "FullyReplicated"),
        record_wrapper=config.get("RecordWrapperType", "None"),
        compression=config.get("CompressionType", "None"),
    )


def _observer(writer: JobLogWriter, series: MetricSeries) -> Callable[[str], None]:
    def observe(line: str) -> None:
        writer.line(line)
        series.observe(line, time.time())

    return observe


def _exit_reason(code: int, tail: list[str]) -> str:
    lines = "\n".join(tail[-5:])
    return f"the training program exited with code {code}. Last output:\n{lines}"[:1024]
