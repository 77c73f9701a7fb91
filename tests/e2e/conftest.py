"""Fixtures the S3 end-to-end tests share: a boto3 S3 client on the session server and a fresh bucket."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from drydock.testing.live_server import LiveServer


@pytest.fixture
def s3(server: LiveServer) -> Any:
    return server.client("s3")


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"e2e-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    return name
