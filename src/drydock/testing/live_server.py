"""A real ``drydock server`` process on an ephemeral loopback port, for end-to-end tests.

Tests drive it with real boto3 clients, exactly as a user would; :meth:`LiveServer.restart` kills and
restarts the process on the same home directory to prove nothing durable is lost.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from drydock.testing.ports import free_port

ACCESS_KEY = "AKIDDRYDOCKTEST00001"
SECRET_KEY = "drydock-test-secret-key-0000000000000000"
REGION = "us-east-1"


class LiveServer:
    def __init__(self, home: Path, *, extra_env: dict[str, str] | None = None, db: str | None = None) -> None:
        self.home = home
        self.db = db
        self.extra_env = extra_env or {}
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = home / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "DRYDOCK_HOME": str(self.home),
                "DRYDOCK_ROOT_ACCESS_KEY_ID": ACCESS_KEY,
                "DRYDOCK_ROOT_SECRET_ACCESS_KEY": SECRET_KEY,
                "DRYDOCK_STRICT_RESPONSES": "1",
                "DRYDOCK_LOG_LEVEL": "info",
            }
        )
        if self.db:
            env["DRYDOCK_DB"] = self.db
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 30.0) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        for _attempt in range(5):
            self.port = free_port()
            log = self.log_path.open("ab")
            self.process = subprocess.Popen(
                [sys.executable, "-m", "drydock.cli", "server", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            log.close()
            if self._wait_healthy(timeout):
                return
            self.stop()  # the port was taken between picking and binding: try another
        raise RuntimeError(f"drydock server did not become healthy; see {self.log_path}")

    def _wait_healthy(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"{self.url}/_drydock/health", timeout=1) as response:
                    if response.status == 200:
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        code = self.process.returncode
        self.process = None
        return code

    def kill(self) -> None:
        """Die abruptly (SIGKILL), as in a crash."""
        self.stop(signal.SIGKILL)

    def restart(self) -> None:
        self.kill()
        self.start()

    def client(self, service: str, **kwargs: Any) -> Any:
        config = kwargs.pop("config", None) or Config(retries={"max_attempts": 1, "mode": "standard"})
        return boto3.session.Session().client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=kwargs.pop("aws_access_key_id", ACCESS_KEY),
            aws_secret_access_key=kwargs.pop("aws_secret_access_key", SECRET_KEY),
            config=config,
            **kwargs,
        )

    def aws_env(self) -> dict[str, str]:
        """Environment for the ``aws`` CLI or any SDK pointed at this server."""
        env = dict(os.environ)
        env.update(
            {
                "AWS_ENDPOINT_URL": self.url,
                "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
            }
        )
        env.pop("AWS_PROFILE", None)
        return env
