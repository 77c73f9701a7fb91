"""Shared fixtures: a live Drydock server per test session, driven by real boto3 clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from drydock.testing.live_server import LiveServer


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(Path(tmp_path_factory.mktemp("drydock-home")))
    live.start()
    yield live
    live.stop()


@pytest.fixture
def sagemaker(server: LiveServer) -> object:
    return server.client("sagemaker")
