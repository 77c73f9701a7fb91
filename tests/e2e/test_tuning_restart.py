"""A server killed in the middle of a tuning job resumes it: the study is rebuilt from the store."""

from __future__ import annotations

import time
from pathlib import Path

from drydock.testing.live_server import LiveServer
from tests.e2e.tuning_support import (
    program_definition,
    sequence,
    source_archive,
    training_jobs,
    tuning_config,
    wait_for_tuning,
)

BUCKET = "tuning-restart"
RANGES = {
    "ContinuousParameterRanges": [{"Name": "x", "MinValue": "0", "MaxValue": "1"}],
    "CategoricalParameterRanges": [{"Name": "opt", "Values": ["a", "b", "c"]}],
}


def test_a_tuning_job_resumes_after_the_server_is_killed(tmp_path: Path) -> None:
    live = LiveServer(tmp_path / "home", extra_env={"DRYDOCK_MAX_CPUS": "16", "DRYDOCK_MAX_MEMORY_MIB": "131072"})
    live.start()
    try:
        s3, sagemaker = live.client("s3"), live.client("sagemaker")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="code/sourcedir.tar.gz", Body=source_archive())
        sagemaker.create_hyper_parameter_tuning_job(
            HyperParameterTuningJobName="resumed",
            HyperParameterTuningJobConfig=tuning_config("Random", RANGES, 6, 2, RandomSeed=9),
            TrainingJobDefinition=program_definition(BUCKET, epochs="5", sleep="0.2"),
        )
        deadline = time.monotonic() + 30
        while len(before := training_jobs(sagemaker, "resumed")) < 3:
            assert time.monotonic() < deadline, before
            time.sleep(0.1)
        assert any(s["TrainingJobStatus"] == "InProgress" for s in before)

        live.restart()  # SIGKILL in the middle of tuning, then a fresh process on the same home
        sagemaker = live.client("sagemaker")
        job = wait_for_tuning(sagemaker, "resumed", timeout=90)
        assert job["HyperParameterTuningJobStatus"] == "Completed"
        after = sorted(training_jobs(sagemaker, "resumed"), key=sequence)
        assert [sequence(s) for s in after] == [1, 2, 3, 4, 5, 6]  # no job lost, none launched twice
        assert {s["TrainingJobStatus"] for s in after} == {"Completed"}
        assert job["TrainingJobStatusCounters"]["Completed"] == 6
        assert job["ObjectiveStatusCounters"] == {"Succeeded": 6, "Pending": 0, "Failed": 0}
        seen = {s["TrainingJobName"]: s["TunedHyperParameters"] for s in before}
        assert all(
            seen[s["TrainingJobName"]] == s["TunedHyperParameters"] for s in after if s["TrainingJobName"] in seen
        )

        # The same seed without a restart proposes the same points, job for job.
        sagemaker.create_hyper_parameter_tuning_job(
            HyperParameterTuningJobName="uninterrupted",
            HyperParameterTuningJobConfig=tuning_config("Random", RANGES, 6, 3, RandomSeed=9),
            TrainingJobDefinition=program_definition(BUCKET),
        )
        wait_for_tuning(sagemaker, "uninterrupted")
        again = sorted(training_jobs(sagemaker, "uninterrupted"), key=sequence)
        assert [s["TunedHyperParameters"] for s in again] == [s["TunedHyperParameters"] for s in after]
    finally:
        live.stop()
