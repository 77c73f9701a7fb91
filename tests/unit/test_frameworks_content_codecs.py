"""The toolkit's default CSV decoder: the plain-numbers fast path gives exactly what genfromtxt gives."""

from __future__ import annotations

import io

import numpy as np
import pytest

from drydock.frameworks import content_codecs
from drydock.frameworks.content_codecs import decode, decode_rows

CASES = [
    "5",
    "1,2,3",
    "1\n2\n3",
    "1,2\n3,4\n",
    "1,2\r\n3,4\r\n",
    " 1.5 , 2e3\n",
    "-1,+2,.5,5.,1e-3,1E+3",
    "nan,inf,-inf,Infinity",
    "1,2,",  # an empty field: NaN
    ",",
    "1,a",  # not a number: NaN
    "1,2 # a comment",
    "1,2\n\n3,4",  # a blank line is skipped
    "1,2\n   \n3,4",
    "1_0,2",
    "0x10,1",
    "1,2\r3,4",
    "12345678901234567890,0.1",
]


@pytest.mark.parametrize("text", CASES)
def test_text_csv_decodes_as_genfromtxt_does(text: str) -> None:
    expected = np.genfromtxt(io.StringIO(text), delimiter=",")
    got = decode(text, "text/csv")
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    rows_expected = np.genfromtxt(io.StringIO(text), delimiter=",", ndmin=2)
    rows = decode_rows(text.encode(), "text/csv; charset=utf-8")
    assert rows.shape == rows_expected.shape
    np.testing.assert_array_equal(rows, rows_expected)


def test_plain_rows_take_the_fast_path_and_anything_else_does_not() -> None:
    assert content_codecs._plain_csv("1,2\n3,4\n") is not None
    for text in ("1,,2", "1,2\n\n3,4", "1,2 # c", '"1",2', "1,2\n3", "", "1,x"):
        assert content_codecs._plain_csv(text) is None, text


def test_ragged_rows_are_a_400() -> None:
    with pytest.raises(content_codecs.ModelHandlerError) as caught:
        decode("1,2\n3", "text/csv")
    assert caught.value.status == 400
