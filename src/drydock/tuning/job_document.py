"""The members of a stored tuning job document that are Drydock's own, not DescribeHyperParameterTuningJob's.

The document is the Describe response plus the tuner's memory; Describe leaves these out.
"""

from __future__ import annotations

from typing import Any

#: The trials (:class:`~drydock.tuning.trial_record.TrialRecord` as JSON), in trial-number order.
TRIALS = "Trials"
#: Why a tuning job is winding down (a completion criterion, MaxRuntimeInSeconds, a failure):
#: it launches no more jobs, stops the running ones and then ends.
ENDING = "Ending"
#: The status the tuning job takes once its last training job has ended.
ENDING_STATUS = "EndingStatus"

INTERNAL = (TRIALS, ENDING, ENDING_STATUS)
STATUS = "HyperParameterTuningJobStatus"


def public(document: dict[str, Any]) -> dict[str, Any]:
    """The document without Drydock's own members."""
    return {key: value for key, value in document.items() if key not in INTERNAL}
