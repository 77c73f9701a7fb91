"""The README's promise: after `eval "$(drydock env)"`, unmodified boto3 code and the aws CLI work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from drydock.testing.live_server import LiveServer

BIN = Path(sys.executable).parent

SCRIPT = """
set -euo pipefail
eval "$("$BIN/drydock" env --home "$HOME_DIR" --port "$PORT")"
"$BIN/aws" sts get-caller-identity --output json > "$OUT/identity.json"
"$BIN/aws" s3 mb s3://env-bucket >/dev/null
echo "hello from the cli" > "$OUT/hello.txt"
"$BIN/aws" s3 cp "$OUT/hello.txt" s3://env-bucket/hello.txt >/dev/null
"$BIN/python" - <<'PY'
import json, os, boto3
s3 = boto3.client("s3")
body = s3.get_object(Bucket="env-bucket", Key="hello.txt")["Body"].read().decode()
sm = boto3.client("sagemaker")
sm.create_model(ModelName="env-model", PrimaryContainer={"Image": "x/sagemaker-xgboost:1.7-1"})
logs = boto3.client("logs")
logs.create_log_group(logGroupName="/env/test")
out = {"body": body, "models": [m["ModelName"] for m in sm.list_models()["Models"]],
       "groups": [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]]}
open(os.path.join(os.environ["OUT"], "boto3.json"), "w").write(json.dumps(out))
PY
"""


def test_eval_drydock_env_then_unmodified_clients(tmp_path: Path) -> None:
    home = tmp_path / "home"
    # No DRYDOCK_ROOT_* variables: the server generates credentials and `drydock env` reads them.
    live = LiveServer(home, extra_env={"DRYDOCK_ROOT_ACCESS_KEY_ID": "", "DRYDOCK_ROOT_SECRET_ACCESS_KEY": ""})
    live.start()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DRYDOCK_"))}
        env |= {
            "BIN": str(BIN),
            "HOME_DIR": str(home),
            "PORT": str(live.port),
            "OUT": str(tmp_path),
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        }
        result = subprocess.run(["bash", "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        identity = json.loads((tmp_path / "identity.json").read_text())
        assert identity["Account"] == "000000000000"
        seen = json.loads((tmp_path / "boto3.json").read_text())
        assert seen == {"body": "hello from the cli\n", "models": ["env-model"], "groups": ["/env/test"]}
    finally:
        live.stop()
