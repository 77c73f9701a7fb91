"""Helpers the S3 end-to-end tests share."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError


def code_of(call: Any, **kwargs: Any) -> str:
    """The S3 error code ``call(**kwargs)`` fails with."""
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return str(caught.value.response["Error"]["Code"])
