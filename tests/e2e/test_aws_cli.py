"""The aws CLI, unmodified, against Drydock: the smoke test behind `eval "$(drydock env)"`."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from drydock.testing.live_server import LiveServer

AWS = str(Path(sys.executable).with_name("aws"))


def aws(server: LiveServer, *args: str) -> Any:
    env = server.aws_env() | {"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    result = subprocess.run([AWS, *args, "--output", "json"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"aws {' '.join(args)} failed: {result.stderr}"
    return json.loads(result.stdout) if result.stdout.strip() else None


def test_aws_cli_smoke(server: LiveServer) -> None:
    identity = aws(server, "sts", "get-caller-identity")
    assert identity["Arn"] == "arn:aws:iam::000000000000:root"
    assert identity["Account"] == "000000000000"

    name = f"cli-model-{uuid.uuid4().hex[:8]}"
    server.client("sagemaker").create_model(
        ModelName=name, PrimaryContainer={"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/kmeans:1"}
    )
    models = aws(server, "sagemaker", "list-models", "--name-contains", name)
    assert [m["ModelName"] for m in models["Models"]] == [name]

    group = f"/drydock/cli/{uuid.uuid4().hex[:8]}"
    aws(server, "logs", "create-log-group", "--log-group-name", group)
    groups = aws(server, "logs", "describe-log-groups", "--log-group-name-prefix", group)
    assert [g["logGroupName"] for g in groups["logGroups"]] == [group]
