"""DataProcessing: InputFilter, JoinSource and OutputFilter, as SageMaker applies them per record.

For each record: InputFilter picks what the model sees; the model's answer for it is joined with the
*original* record when JoinSource is Input; OutputFilter picks what is written. CSV records are treated
as JSON arrays of their fields (``$[1:]`` drops the first column); a CSV record joined with its output
is the input's fields followed by the output's. A JSON record joined with its output gets the output
under ``SageMakerOutput`` (an array record gets it appended). With the default ``$`` filters and no
join, records pass through untouched, with no parsing at all.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from drydock.serving.transform.json_path import JsonPath, PathError

JOINED_OUTPUT_KEY = "SageMakerOutput"


class RecordProcessingError(Exception):
    """A record that a filter or the join cannot apply to; the message names what went wrong."""


@dataclass(frozen=True)
class DataProcessing:
    input_filter: JsonPath | None
    output_filter: JsonPath | None
    join_input: bool
    #: Whether records are JSON (``application/json``, ``application/jsonlines``) rather than CSV.
    json_records: bool

    @classmethod
    def from_api(cls, config: dict[str, Any] | None, content_type: str | None) -> DataProcessing:
        config = config or {}
        input_text, output_text = config.get("InputFilter", "$"), config.get("OutputFilter", "$")
        return cls(
            input_filter=None if input_text.strip() == "$" else JsonPath.parse(input_text, "InputFilter"),
            output_filter=None if output_text.strip() == "$" else JsonPath.parse(output_text, "OutputFilter"),
            join_input=config.get("JoinSource") == "Input",
            json_records="json" in (content_type or "").lower(),
        )

    @property
    def per_record_output(self) -> bool:
        """Whether each record's output must be told apart (to join it or filter it)."""
        return self.join_input or self.output_filter is not None

    def model_input(self, record: bytes) -> bytes:
        if self.input_filter is None:
            return record
        return self._render(self._select(self.input_filter, self._parse(record), "InputFilter"))

    def output(self, record: bytes, prediction: bytes) -> bytes:
        value: Any
        if self.join_input:
            value = self._join(self._parse(record), prediction)
        elif self.output_filter is not None:
            value = self._parse(prediction)
        else:
            return prediction
        if self.output_filter is not None:
            value = self._select(self.output_filter, value, "OutputFilter")
        return self._render(value)

    def _join(self, record: Any, prediction: bytes) -> Any:
        if not self.json_records:
            return [*record, *_csv_fields(prediction)]
        output = _json_or_text(prediction)
        if isinstance(record, dict):
            return {**record, JOINED_OUTPUT_KEY: output}
        if isinstance(record, list):
            return [*record, output]
        raise RecordProcessingError(f"cannot join an output to a JSON {type(record).__name__} record")

    def _parse(self, data: bytes) -> Any:
        if self.json_records:
            try:
                return json.loads(data)
            except ValueError as exc:
                raise RecordProcessingError(f"not a JSON record: {exc}") from None
        return _csv_fields(data)

    def _render(self, value: Any) -> bytes:
        if self.json_records:
            return json.dumps(value, separators=(",", ":")).encode()
        fields = value if isinstance(value, list) else [value]
        if any(isinstance(f, str) and ('"' in f or "," in f or "\n" in f) for f in fields):
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="").writerow(fields)
            return buffer.getvalue().encode()
        return ",".join(str(f) for f in fields).encode()

    @staticmethod
    def _select(path: JsonPath, value: Any, member: str) -> Any:
        try:
            return path.select(value)
        except PathError as exc:
            raise RecordProcessingError(f"{member} {path.text!r} does not apply: {exc}") from None


def _csv_fields(data: bytes) -> list[str]:
    text = data.decode("utf-8").rstrip("\r\n")
    if '"' not in text:
        return text.split(",")
    return next(csv.reader([text]))


def _json_or_text(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data.decode("utf-8", "replace").strip()
