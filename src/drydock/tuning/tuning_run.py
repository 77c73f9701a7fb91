"""One tuning job in motion: each :meth:`TuningRun.advance` moves it one step, from what the store holds.

A step follows the training jobs the tuning job launched (their objective so far, from the log;
their end, from their Describe document), tells the study, stops jobs the pruner gives up on, decides
whether the tuning job should end (budget used, a completion criterion, MaxRuntimeInSeconds,
StopHyperParameterTuningJob), launches new jobs up to MaxParallelTrainingJobs, and writes the trials
and the reported members back.

Restart safety: a trial is written down (``Creating``) before its training job is created, and
everything the study knows is in the trials, so a run rebuilt after a restart picks up where the
last one stopped; a ``Creating`` trial whose training job does not exist yet is created then.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from drydock.core.arns import parse_arn, sagemaker_arn
from drydock.engine.training.commands import UnknownImage, resolve_command
from drydock.errors import ClientError
from drydock.store.resources import Resource, ResourceRepository
from drydock.tuning.child_request import child_name, child_request
from drydock.tuning.completion import completion_reason, progress
from drydock.tuning.job_document import ENDING, ENDING_STATUS, STATUS, TRIALS
from drydock.tuning.objective_log import ObjectiveLog
from drydock.tuning.port import TrainingJobs
from drydock.tuning.reporting import reported_members
from drydock.tuning.status import TuningStatus, can_transition
from drydock.tuning.trial_record import TrialRecord, TrialState
from drydock.tuning.tuning_config import Definition, TuningConfig
from drydock.tuning.tuning_study import TuningStudy
from drydock.tuning.warm_start import parent_bests, warm_trials

log = logging.getLogger("drydock.tuning")

TRAINING_JOB_KIND = "training-job"
TUNING_JOB_KIND = "hyper-parameter-tuning-job"
_ACTIVE = ("InProgress", "Stopping")
#: How long a job that reached Hyperband's MaxResource may take to end by itself before it is stopped.
MAX_RESOURCE_GRACE_SECONDS = 5.0


@dataclass
class Services:
    """What a run works with, shared by every run of the reconciler."""

    repository: ResourceRepository
    objective_log: ObjectiveLog
    training_jobs: TrainingJobs


@dataclass
class TuningRun:
    name: str
    arn: str
    config: TuningConfig
    study: TuningStudy
    trials: list[TrialRecord]
    services: Services
    #: Parents' best training jobs, for OverallBestTrainingJob (IdenticalDataAndAlgorithm only).
    parent_bests: list[dict[str, Any]] = field(default_factory=list)
    #: Training jobs that have ended never change again: their documents are kept, not re-read.
    _ended: dict[str, Resource] = field(default_factory=dict)
    _metrics: dict[str | None, tuple[str, str] | None] = field(default_factory=dict)
    #: When each running trial reached Hyperband's MaxResource (monotonic clock).
    _reached_max: dict[int, float] = field(default_factory=dict)
    _dirty: bool = True

    @classmethod
    def load(cls, job: Resource, services: Services) -> TuningRun:
        doc = job.document
        config = TuningConfig.parse(doc)
        parents = [p.document for p in _parents(doc, job.arn, services.repository)]
        trials = [TrialRecord.from_json(raw) for raw in doc.get(TRIALS) or []]
        study = TuningStudy(job.name, config, warm_trials(config, parents), trials)
        identical = (doc.get("WarmStartConfig") or {}).get("WarmStartType") == "IdenticalDataAndAlgorithm"
        return cls(job.name, job.arn, config, study, trials, services, parent_bests(parents) if identical else [])

    # --- one step -------------------------------------------------------------------------------

    def advance(self, job: Resource) -> None:
        status = TuningStatus(job.status or job.document[STATUS])
        doc = job.document
        self._follow_training_jobs(winding_down=status is TuningStatus.STOPPING or bool(doc.get(ENDING)))
        ending: str | None = doc.get(ENDING)
        ending_status: str | None = doc.get(ENDING_STATUS)
        if status is TuningStatus.IN_PROGRESS and ending is None:
            ending = self._reason_to_end(job)
            if ending is not None:
                log.info("tuning_job=%s winds down: %s", self.name, ending)
                ending_status = TuningStatus.COMPLETED.value
                self._dirty = True
        if status is TuningStatus.STOPPING or ending:
            self._stop([t for t in self.trials if not t.state.finished])
        unfinished = [t for t in self.trials if not t.state.finished]
        target: TuningStatus | None = None
        if not unfinished and (status is TuningStatus.STOPPING or ending or len(self.trials) >= self.config.max_jobs):
            target = TuningStatus.STOPPED if status is TuningStatus.STOPPING else self._final(ending_status)
        stored = self._write(target, ending, ending_status) if self._dirty or target is not None else status
        if ending is None and target is None and stored is TuningStatus.IN_PROGRESS:
            self._launch(len(unfinished))

    def _follow_training_jobs(self, *, winding_down: bool) -> None:
        for trial in self.trials:
            if trial.state.finished:
                continue
            child = self._child(trial.training_job_name)
            if trial.state is TrialState.CREATING:
                if child is None and not winding_down:
                    self._create(trial)  # written down before a restart cut its creation short
                    continue
                if child is None:
                    self._finish(trial, TrialState.FAILED, None)
                    continue
                trial.state = TrialState.RUNNING
                self._dirty = True
            if child is None:
                self._finish(trial, TrialState.FAILED, None)
                continue
            self._observe(trial, child)

    def _observe(self, trial: TrialRecord, child: Resource) -> None:
        doc = child.document
        metric = self._metric(trial.definition, doc)
        running = doc["TrainingJobStatus"] in _ACTIVE
        if metric is not None:
            values = self.services.objective_log.values(child.name, *metric)
            new = values[len(trial.steps) :]
            if new:
                trial.add_steps(new)
                self._dirty = True
            prune = self.study.report(trial.number, trial.steps)
            trial.system_attrs = self.study.system_attrs(trial.number)
            if running and prune and not trial.stopped_by_tuner:
                self._stop_early(trial, "its objective so far ranks it out (early stopping)")
        hyperband = self.config.hyperband
        reached_max = hyperband is not None and len(trial.steps) >= hyperband.max_resource
        if running and reached_max and not trial.stopped_by_tuner and self._past_max_resource(trial):
            self._stop_early(trial, "it went on past Hyperband's MaxResource")
        if running:
            return
        self._ended[child.name] = child
        self.services.objective_log.forget(child.name)
        value = _final_value(doc, metric[0] if metric else None, trial.steps)
        status = doc["TrainingJobStatus"]
        if value is None or status == "Failed":
            state = TrialState.FAILED
        elif status == "Completed" or (trial.stopped_by_tuner and reached_max):
            state = TrialState.COMPLETE
        else:
            state = TrialState.PRUNED
        self._finish(trial, state, None if state is TrialState.FAILED else value)

    def _past_max_resource(self, trial: TrialRecord) -> bool:
        """Whether a job that has reached MaxResource should be stopped now.

        SageMaker stops a job at MaxResource. Most jobs end there by themselves (MaxResource is often
        their own epoch count), and stopping one as it writes its model would cut the model short; so
        the job gets :data:`MAX_RESOURCE_GRACE_SECONDS` to end, and is stopped once it logs past
        MaxResource or the grace runs out.
        """
        assert self.config.hyperband is not None
        if len(trial.steps) > self.config.hyperband.max_resource:
            return True
        reached = self._reached_max.setdefault(trial.number, time.monotonic())
        return time.monotonic() - reached > MAX_RESOURCE_GRACE_SECONDS

    def _stop_early(self, trial: TrialRecord, why: str) -> None:
        log.info("tuning_job=%s stops training_job=%s: %s", self.name, trial.training_job_name, why)
        trial.stopped_by_tuner = True
        self._dirty = True
        self.services.training_jobs.stop(trial.training_job_name)

    def _finish(self, trial: TrialRecord, state: TrialState, value: float | None) -> None:
        trial.state, trial.value, trial.finished_at = state, value, time.time()
        trial.system_attrs = self.study.system_attrs(trial.number)
        self.study.tell(trial.number, state, value)
        self._dirty = True

    def _stop(self, unfinished: list[TrialRecord]) -> None:
        for trial in unfinished:
            child = self._child(trial.training_job_name)
            if child is None:
                self._finish(trial, TrialState.FAILED, None)
            elif child.document["TrainingJobStatus"] == "InProgress":
                self.services.training_jobs.stop(trial.training_job_name)

    def _reason_to_end(self, job: Resource) -> str | None:
        limit = self.config.max_runtime
        if limit is not None and time.time() - job.creation_time.timestamp() > limit:
            return "MaxRuntimeInSeconds reached"
        now = progress(self.trials, self.config.objective, self.config.completion, self.config.max_jobs)
        return completion_reason(now, self.config.completion)

    def _final(self, wanted: str | None) -> TuningStatus:
        if wanted == TuningStatus.FAILED:
            return TuningStatus.FAILED
        # A tuning job none of whose training jobs produced the objective has found nothing.
        if not any(t.state in (TrialState.COMPLETE, TrialState.PRUNED) and t.value is not None for t in self.trials):
            return TuningStatus.FAILED
        return TuningStatus.COMPLETED

    def _failure_reason(self) -> str:
        for trial in self.trials:
            child = self._child(trial.training_job_name)
            if child is not None and child.document.get("FailureReason"):
                return f"No training job reported the objective metric; {trial.training_job_name} failed: " + str(
                    child.document["FailureReason"]
                )
        return f"No training job reported the objective metric {self.config.objective.metric_name}"

    # --- launching ------------------------------------------------------------------------------

    def _launch(self, running: int) -> None:
        count = min(self.config.max_parallel - running, self.config.max_jobs - len(self.trials))
        if count <= 0:
            return
        new: list[TrialRecord] = []
        for _ in range(count):
            proposal = self.study.ask()
            sequence = len(self.trials) + 1
            new.append(
                TrialRecord(
                    number=proposal.number,
                    training_job_name=child_name(self.name, sequence),
                    definition=proposal.definition.name,
                    params=proposal.params,
                    hyperparameters=proposal.hyperparameters,
                    system_attrs=proposal.system_attrs,
                )
            )
            self.trials.append(new[-1])
        # Written down first: a restart between here and the creation below creates them then.
        if self._write(None, None, None) is not TuningStatus.IN_PROGRESS:
            return
        for trial in new:
            self._create(trial)
        self._write(None, None, None)

    def _create(self, trial: TrialRecord) -> None:
        request = child_request(self._definition(trial.definition), trial.training_job_name, trial.hyperparameters)
        try:
            self.services.training_jobs.create(request, self.arn)
        except ClientError as exc:
            log.warning("tuning_job=%s could not create training_job=%s: %s", self.name, trial.training_job_name, exc)
            self._finish(trial, TrialState.FAILED, None)
            self._fail(f"ClientError: training job {trial.training_job_name} could not be created: {exc}")
            return
        log.info("tuning_job=%s launched training_job=%s %s", self.name, trial.training_job_name, trial.hyperparameters)
        trial.state = TrialState.RUNNING
        self._dirty = True

    def _fail(self, reason: str) -> None:
        def edit(resource: Resource) -> Resource:
            doc = dict(resource.document)
            doc.setdefault(ENDING, reason)
            doc[ENDING_STATUS] = TuningStatus.FAILED.value
            doc.setdefault("FailureReason", reason[:1024])
            return resource.revised(doc, resource.status)

        self.services.repository.modify(self.arn, edit)

    # --- the store ------------------------------------------------------------------------------

    def _write(self, target: TuningStatus | None, ending: str | None, ending_status: str | None) -> TuningStatus:
        children = {t.training_job_name: c for t in self.trials if (c := self._child(t.training_job_name)) is not None}
        reported = reported_members(self.name, self.config, self.trials, children, self.parent_bests)
        failure = self._failure_reason() if target is TuningStatus.FAILED else ""

        def edit(resource: Resource) -> Resource:
            doc = dict(resource.document)
            current = TuningStatus(resource.status or doc[STATUS])
            doc[TRIALS] = [t.to_json() for t in self.trials]
            doc.update(reported)
            if ending and not doc.get(ENDING):
                doc[ENDING], doc[ENDING_STATUS] = ending, ending_status
            status = current
            if target is not None and can_transition(current, target):
                status = target
                doc[STATUS] = target.value
                doc["HyperParameterTuningEndTime"] = time.time()
                if target is TuningStatus.FAILED:
                    doc.setdefault("FailureReason", failure[:1024])
            return resource.revised(doc, status.value)

        stored = self.services.repository.modify(self.arn, edit)
        self._dirty = False
        if stored is None:
            return TuningStatus.STOPPED
        if target is not None and stored.status == target:
            log.info("tuning_job=%s ended %s", self.name, target)
        return TuningStatus(stored.status or stored.document[STATUS])

    def _child(self, name: str) -> Resource | None:
        ended = self._ended.get(name)
        if ended is not None:
            return ended
        arn = parse_arn(self.arn)
        return self.services.repository.get(sagemaker_arn(arn.region, arn.account, TRAINING_JOB_KIND, name))

    def _definition(self, name: str | None) -> Definition:
        return next(d for d in self.config.definitions if d.name == name)

    def _metric(self, definition: str | None, child_doc: dict[str, Any]) -> tuple[str, str] | None:
        """The objective's (name, regex) as the training job's metric definitions give it."""
        if definition not in self._metrics:
            wanted = self._definition(definition).objective.metric_name
            try:
                found = resolve_command(child_doc).metric_definitions
            except UnknownImage:
                found = []
            match = next((m for m in found if m["Name"] == wanted), None)
            self._metrics[definition] = (wanted, match["Regex"]) if match else None
        return self._metrics[definition]


def fail_now(repository: ResourceRepository, arn: str, reason: str) -> None:
    """End a tuning job Failed at once (the tuner cannot step it); its training jobs run on."""

    def edit(resource: Resource) -> Resource | None:
        current = TuningStatus(resource.status or resource.document[STATUS])
        if not can_transition(current, TuningStatus.FAILED):
            return None
        doc = {**resource.document, STATUS: TuningStatus.FAILED.value, "FailureReason": reason[:1024]}
        doc["HyperParameterTuningEndTime"] = time.time()
        return resource.revised(doc, TuningStatus.FAILED.value)

    repository.modify(arn, edit)


def _final_value(doc: dict[str, Any], metric: str | None, steps: list[float]) -> float | None:
    for item in doc.get("FinalMetricDataList") or []:
        if item.get("MetricName") == metric:
            return float(item["Value"])
    return steps[-1] if steps else None


def _parents(doc: dict[str, Any], arn: str, repository: ResourceRepository) -> list[Resource]:
    parsed = parse_arn(arn)
    found = []
    for parent in (doc.get("WarmStartConfig") or {}).get("ParentHyperParameterTuningJobs") or []:
        resource = repository.get(
            sagemaker_arn(parsed.region, parsed.account, TUNING_JOB_KIND, parent["HyperParameterTuningJobName"])
        )
        if resource is not None:
            found.append(resource)
    return found
