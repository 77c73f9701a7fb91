"""Predictions into the response body, in the formats SageMaker's XGBoost container (1.7-1) writes.

Accept (``serve._parse_accept``): parameters are dropped; none or ``*/*`` means
``SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT``, else ``text/csv``; anything but the four types below is 406.

Without ``SAGEMAKER_INFERENCE_OUTPUT`` (``serve.invocations``):

- batch transform (``SAGEMAKER_BATCH`` set, whatever the Accept): one prediction per line and a final
  newline, a multi-class row written as a Python list (``[0.1, 0.2, 0.7]``);
- ``text/csv``: one CSV row per prediction, each ending in a newline: ``0.93\\n0.02\\n`` for a
  binary model, ``0.1,0.2,0.7\\n`` per row for ``multi:softprob``. (Containers up to 1.2-1 and the
  multi-model server join a binary model's values with commas on one line instead; the SDK's
  ``CSVDeserializer`` reads either, and code written for 1.3-1 and later splits on newlines.)
- ``application/json``: ``{"predictions": [{"score": 0.93}, ...]}`` (a list per row when multi-class);
- ``application/jsonlines`` and ``application/x-recordio-protobuf`` have nothing to write: the container
  fails them with a 500, we answer 406 and say that they need ``SAGEMAKER_INFERENCE_OUTPUT``.

With ``SAGEMAKER_INFERENCE_OUTPUT=predicted_label,probabilities,...`` (``serve_utils``), each row becomes
a record of the selected keys the objective supports (the others are NaN), written as JSON
``{"predictions": [...]}``, JSON Lines, RecordIO-protobuf (each key a float32 tensor in ``Record.label``)
or CSV (keys in the variable's order, lists quoted). Numbers are printed as Python prints them, which
is what the container's ``str``/``json.dumps`` produce.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from drydock.formats.record_protobuf import Record, Tensor, encode_record
from drydock.formats.recordio import frame
from drydock.serving.model_server.handler import ModelHandlerError

CSV = "text/csv"
JSON = "application/json"
JSONLINES = "application/jsonlines"
RECORDIO_PROTOBUF = "application/x-recordio-protobuf"
SUPPORTED_ACCEPTS = (JSON, JSONLINES, RECORDIO_PROTOBUF, CSV)
NOT_ACCEPTABLE = 406

PREDICTED_LABEL, LABELS, PROBABILITY, PROBABILITIES = "predicted_label", "labels", "probability", "probabilities"
RAW_SCORE, RAW_SCORES, PREDICTED_SCORE = "raw_score", "raw_scores", "predicted_score"
#: The keys each objective can fill in; a selected key outside its list is NaN.
SELECTABLE_KEYS: dict[str, tuple[str, ...]] = {
    **{
        objective: (PREDICTED_SCORE,)
        for objective in ("reg:squarederror", "reg:logistic", "reg:gamma", "reg:absoluteerror", "reg:tweedie")
    },
    "binary:logistic": (PREDICTED_LABEL, LABELS, PROBABILITY, PROBABILITIES, RAW_SCORE, RAW_SCORES),
    "binary:logitraw": (PREDICTED_LABEL, LABELS, RAW_SCORE, RAW_SCORES),
    "binary:hinge": (PREDICTED_LABEL, LABELS, RAW_SCORE, RAW_SCORES),
    "multi:softmax": (PREDICTED_LABEL, LABELS, RAW_SCORE, RAW_SCORES),
    "multi:softprob": (PREDICTED_LABEL, LABELS, PROBABILITY, PROBABILITIES, RAW_SCORE, RAW_SCORES),
}
#: The order keys take in a JSON or RecordIO record.
_RECORD_ORDER = (PREDICTED_LABEL, LABELS, PROBABILITY, PROBABILITIES, RAW_SCORE, RAW_SCORES, PREDICTED_SCORE)

#: From this many plain predictions on, pyarrow prints them (its start costs more than it saves below).
ARROW_TEXT_VALUES = 1024
#: Magnitudes where pyarrow and Python print a number with a fraction alike (compared for every
#: positive float32 there, and for the negative ones of several binades).
PLAIN_NOTATION = (1e-4, 1e9)

Value = float | int | list[float] | list[int]
Selected = dict[str, Value]
Predictions = npt.NDArray[np.float32]


def accept_type(accept: str | None, default: str) -> str:
    """The response type a request's Accept asks for; raises 406 for one the container cannot write."""
    requested = (accept or "").split(";", 1)[0].strip()
    if not requested or requested == "*/*":
        requested = default
    if requested.lower() not in SUPPORTED_ACCEPTS:
        raise ModelHandlerError(
            NOT_ACCEPTABLE,
            f"Accept type {requested} is not supported. Please use supported accept types: {list(SUPPORTED_ACCEPTS)}.",
        )
    return requested.lower()


def response_type(accept: str) -> str:
    # Flask, which serves the container, adds the charset to text types.
    return f"{accept}; charset=utf-8" if accept.startswith("text/") else accept


def encode_predictions(predictions: Predictions, accept: str, *, batch: bool) -> bytes:
    """The body for plain predictions (no ``SAGEMAKER_INFERENCE_OUTPUT``)."""
    if (batch or accept == CSV) and predictions.ndim == 1 and predictions.size:
        return _one_per_line(predictions)
    rows: list[float] | list[list[float]] = predictions.tolist()
    if batch:
        return ("\n".join(map(str, rows)) + "\n").encode()
    if accept == JSON:
        return json.dumps({"predictions": [{"score": row} for row in rows]}).encode()
    if accept == CSV:
        return "".join(f"{','.join(map(str, row)) if isinstance(row, list) else row}\n" for row in rows).encode()
    raise ModelHandlerError(
        NOT_ACCEPTABLE,
        f"Accept type {accept} is only written for selected inference outputs: set SAGEMAKER_INFERENCE_OUTPUT "
        f"(e.g. predicted_label,probability) in the model's environment, or ask for {CSV} or {JSON}.",
    )


def _one_per_line(values: Predictions) -> bytes:
    """``"".join(f"{v}\\n" for v in values.tolist())``, in a fraction of the time.

    A long answer (batch transform's) is printed by pyarrow, which writes a double's shortest
    round-trip digits as Python's ``repr`` does, five times faster; the notation differs outside
    :data:`PLAIN_NOTATION` and for whole numbers (``1e-05``, ``1.0`` for Python; ``0.00001``, ``1`` for
    pyarrow), so those values are printed by Python. A short one is the repr of the list with its
    separators swapped: each float printed as ``str`` does, in one C loop.
    """
    if values.size < ARROW_TEXT_VALUES:
        return (repr(values.tolist())[1:-1].replace(", ", "\n") + "\n").encode()
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.compute as pc  # type: ignore[import-untyped]

    doubles = values.astype(np.float64)  # printed as the float32's exact value, as tolist() gives it
    magnitude = np.abs(doubles)
    low, high = PLAIN_NOTATION
    by_python = ~((magnitude >= low) & (magnitude < high)) | (doubles == np.trunc(doubles))  # NaN too
    text = pc.cast(pa.array(doubles), pa.string())
    if by_python.any():
        text = pc.replace_with_mask(text, pa.array(by_python), pa.array(list(map(repr, doubles[by_python].tolist()))))
    lines = pa.ListArray.from_arrays(pa.array([0, len(text)], pa.int32()), text)
    return bytes(pc.binary_join(lines, "\n")[0].as_buffer()) + b"\n"


def select(predictions: Predictions, keys: Sequence[str], objective: str, num_class: str) -> list[Selected]:
    """One record of the selected keys per row; raises 500 for an objective without selectable outputs."""
    valid = SELECTABLE_KEYS.get(objective)
    if valid is None:
        raise ModelHandlerError(500, f"Objective `{objective}` unsupported for selectable inference predictions.")
    chosen = [key for key in _RECORD_ORDER if key in keys and key in valid]
    unsupported = [key for key in dict.fromkeys(keys) if key not in valid]
    labels = _labels(objective, num_class)
    records: list[Selected] = []
    for row in predictions:
        record: Selected = {key: _value(key, objective, row, labels) for key in chosen}
        for key in unsupported:
            record[key] = math.nan
        records.append(record)
    return records


def encode_selected(records: list[Selected], keys: Sequence[str], accept: str, *, batch: bool) -> bytes:
    """The body for selected inference outputs in ``accept``."""
    if accept == JSON:
        return json.dumps({"predictions": records}).encode()
    if accept == JSONLINES:
        return "".join(json.dumps(record) + "\n" for record in records).encode()
    if accept == RECORDIO_PROTOBUF:
        return b"".join(frame(encode_record(_record(record))) for record in records)
    lines = "\n".join(",".join(_csv_field(record[key]) for key in keys) for record in records)
    return (lines + "\n" if batch else lines).encode()


def _labels(objective: str, num_class: str) -> list[int] | float:
    if objective.startswith("binary:"):
        return [0, 1]
    if objective.startswith("multi:") and num_class:
        return list(range(int(num_class)))
    return math.nan


def _value(key: str, objective: str, row: Predictions, labels: list[int] | float) -> Value:
    # ``row`` is a 0-d float32 for single-output objectives and a vector of class probabilities
    # for multi:softprob; .item()/.tolist() give the Python floats the container prints.
    if key == LABELS:
        return labels if isinstance(labels, list) else math.nan
    if objective == "multi:softprob":
        if key == PREDICTED_LABEL:
            return int(np.argmax(row))
        if key in (PROBABILITY, RAW_SCORE):
            return float(row.max())
        return [float(v) for v in row.tolist()]  # probabilities, raw_scores
    value = float(row.item())
    if key == PREDICTED_LABEL:
        if objective == "binary:logistic":
            return int(value > 0.5)
        if objective == "binary:logitraw":
            return int(value > 0)
        return value  # binary:hinge and multi:softmax predict the label itself
    if key in (PROBABILITIES, RAW_SCORES):
        return [1.0 - value, value]
    return value  # probability, raw_score, predicted_score


def _csv_field(value: Value) -> str:
    return f'"{value}"' if isinstance(value, list) else str(value)


def _record(selected: Selected) -> Record:
    record = Record()
    for key, value in selected.items():
        values = value if isinstance(value, list) else [value]
        record.label[key] = Tensor(np.asarray(values, dtype=np.float32))
    return record
