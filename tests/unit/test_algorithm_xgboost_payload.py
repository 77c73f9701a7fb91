"""The built-in XGBoost server's fast paths for batch transform's large requests: CSV bodies read by
pyarrow and long answers printed by pyarrow must give exactly what the Python reader and ``str`` give —
the same matrix, the same text, the same error messages."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from drydock.algorithms.xgboost import payload
from drydock.algorithms.xgboost.predictions import ARROW_TEXT_VALUES, encode_predictions
from drydock.serving.model_server.handler import ModelHandlerError

Array = npt.NDArray[np.float64]


def _body(rows: int, delimiter: str = ",", end: str = "\n", seed: int = 0, missing: float = 0.0) -> str:
    rng = np.random.default_rng(seed)
    values = rng.standard_normal((rows, 6))
    # An empty field is a missing value; kept off the edges, where stripping the body would drop it.
    values[:, 1:-1][rng.random((rows, 4)) < missing] = np.nan
    return end.join(delimiter.join("" if np.isnan(v) else repr(float(v)) for v in row) for row in values)


def _by_python(body: bytes, monkeypatch: pytest.MonkeyPatch) -> Array | ModelHandlerError:
    with monkeypatch.context() as patch:
        patch.setattr(payload, "ARROW_CSV_BYTES", 1 << 62)
        return _decoded(body)


def _decoded(body: bytes) -> Array | ModelHandlerError:
    try:
        return np.asarray(payload.decode_features(body, "text/csv"))
    except ModelHandlerError as error:
        return error


def _large(text: str) -> bytes:
    body = text.encode()
    assert len(body) >= payload.ARROW_CSV_BYTES
    return body


PLAIN = {
    "commas": _body(2000),
    "a final newline and blank lines after": _body(2000) + "\n\n \n",
    "crlf": _body(2000, end="\r\n") + "\r\n",
    "tabs": _body(2000, "\t"),
    "semicolons": _body(2000, ";"),
    "pipes": _body(2000, "|"),
    "spaces": _body(2000, " "),
    "empty fields": _body(2000, missing=0.2),
    "empty fields between spaces": _body(2000, " ", missing=0.2),
    "special numbers": "\n".join(["nan,inf,-inf,+1,.5,1e5,1E-5,-0"] * 5000),
}


@pytest.mark.parametrize("name", list(PLAIN))
def test_plain_rows_are_read_by_pyarrow_as_python_reads_them(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    body = _large(PLAIN[name])
    assert payload._plain_csv_rows(body) is not None  # the fast path took it
    expected, got = _by_python(body, monkeypatch), _decoded(body)
    assert isinstance(expected, np.ndarray) and isinstance(got, np.ndarray)
    assert got.dtype == np.float64 and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


UNUSUAL = {
    "a header": "f1,f2,f3,f4,f5,f6\n" + _body(2000),
    "a ragged row": _body(1000) + "\n1.0,2.0\n" + _body(1000),
    "a blank line": _body(1000) + "\n\n" + _body(1000),
    "quotes": _body(1000) + '\n"1.0",2,3,4,5,6',
    "a byte-order mark": "\ufeff" + _body(2000),
    "nan with a payload": _body(1000) + "\nnan(1),2,3,4,5,6",
    "a lone carriage return": _body(1000) + "\n1.0,2,3,4,5,6\r7.0,8,9,1,2,3",
    "underscores python accepts": _body(1000) + "\n1_000,2,3,4,5,6",
    "a vertical tab python strips": _body(1000) + "\n1,2,3,4,5,6\x0b\n" + _body(10),
    "blank lines in one column": "\n".join(["1.5", "", "2.5"] * 8000),
    "a comma-less first line": "1.5\n" + _body(1000),
    "not utf-8": _body(1000) + "\n1,2,3,4,5,\xff",
}


@pytest.mark.parametrize("name", list(UNUSUAL))
def test_anything_unusual_is_left_to_python_with_its_answer(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    body = UNUSUAL[name].encode("utf-8" if name != "not utf-8" else "latin-1")
    assert len(body) >= payload.ARROW_CSV_BYTES
    assert payload._plain_csv_rows(body) is None
    expected, got = _by_python(body, monkeypatch), _decoded(body)
    if isinstance(expected, ModelHandlerError):
        assert isinstance(got, ModelHandlerError)
        assert (got.status, got.message) == (expected.status, expected.message)
    else:
        assert isinstance(got, np.ndarray)
        np.testing.assert_array_equal(got, expected)


def test_a_ragged_large_body_names_its_line() -> None:
    got = _decoded(_large(_body(1000) + "\n1.0,2.0\n" + _body(1000)))
    assert isinstance(got, ModelHandlerError) and got.status == 415
    assert "line 1001 has 2 fields but line 1 has 6" in got.message


def _str_lines(values: npt.NDArray[np.float32]) -> bytes:
    return "".join(f"{value}\n" for value in values.tolist()).encode()


PREDICTIONS = {
    "probabilities": np.random.default_rng(1).random(5000),
    "tiny and confident": np.random.default_rng(2).random(5000) ** 12,
    "regression": np.random.default_rng(3).standard_normal(5000)
    * 10.0 ** np.random.default_rng(4).integers(-8, 12, 5000),
    "labels": np.random.default_rng(5).integers(0, 4, 5000).astype(np.float64),
    "special": np.array([0.0, -0.0, 1.0, -1.0, np.nan, np.inf, -np.inf, 1e-4, 1e9, 999999999.5, 0.5] * 200),
}


@pytest.mark.parametrize("name", list(PREDICTIONS))
def test_long_answers_print_every_value_as_python_does(name: str) -> None:
    values = PREDICTIONS[name].astype(np.float32)
    assert values.size >= ARROW_TEXT_VALUES
    for batch, accept in ((True, "text/csv"), (True, "application/json"), (False, "text/csv")):
        assert encode_predictions(values, accept, batch=batch) == _str_lines(values)
    short = values[: ARROW_TEXT_VALUES - 1]
    assert encode_predictions(short, "text/csv", batch=True) == _str_lines(short)
