"""MetricDefinitions applied to log lines: values, and a regex that backtracks without end."""

from __future__ import annotations

import pytest

from drydock.engine import metrics
from drydock.engine.metrics import MetricDefinition, MetricSeries


def test_the_first_group_of_each_definition_becomes_a_value_and_the_last_one_is_final() -> None:
    series = MetricSeries([MetricDefinition("train:loss", r"loss: ([0-9.]+)"), MetricDefinition("no-group", "loss")])
    for step, line in enumerate(["epoch 0 loss: 0.5", "no number here", "epoch 1 loss: 0.25", "loss: nan"]):
        series.observe(line, float(step))
    assert series.values == {"train:loss": [(0.0, 0.5), (2.0, 0.25)]}
    assert series.final() == [{"MetricName": "train:loss", "Value": 0.25, "Timestamp": 2.0}]


def test_a_regex_that_overruns_is_skipped_then_dropped_and_the_others_still_apply(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(metrics, "MATCH_TIMEOUT_SECONDS", 0.01)
    series = MetricSeries([MetricDefinition("bad", r"(a|aa)+c([0-9])"), MetricDefinition("loss", r"loss=([0-9.]+)")])
    line = "a" * 40 + " loss=0.5"  # catastrophic backtracking for the first definition
    for step in range(metrics.MAX_TIMEOUTS + 2):
        series.observe(line, float(step))  # never raises: the log pump must go on
    assert [value for _, value in series.values["loss"]] == [0.5] * (metrics.MAX_TIMEOUTS + 2)
    assert "bad" not in series.values
    assert [name for name, _ in series._compiled] == ["loss"]
