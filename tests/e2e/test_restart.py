"""Nothing durable is lost when the server is killed: resources survive a SIGKILL and restart."""

from __future__ import annotations

from pathlib import Path

from drydock.testing.live_server import LiveServer
from tests.e2e.test_models import XGB_IMAGE


def test_resources_survive_a_crash(tmp_path: Path) -> None:
    live = LiveServer(tmp_path / "home")
    live.start()
    try:
        client = live.client("sagemaker")
        client.create_model(
            ModelName="durable", PrimaryContainer={"Image": XGB_IMAGE}, Tags=[{"Key": "a", "Value": "1"}]
        )
        client.create_endpoint_config(
            EndpointConfigName="durable-config",
            ProductionVariants=[
                {"VariantName": "A", "ModelName": "durable", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
            ],
        )
        live.restart()  # SIGKILL, then a fresh process on the same home
        client = live.client("sagemaker")
        model = client.describe_model(ModelName="durable")
        assert model["PrimaryContainer"]["Image"] == XGB_IMAGE
        assert client.list_tags(ResourceArn=model["ModelArn"])["Tags"] == [{"Key": "a", "Value": "1"}]
        assert (
            client.describe_endpoint_config(EndpointConfigName="durable-config")["ProductionVariants"][0]["ModelName"]
            == "durable"
        )
    finally:
        live.stop()


def test_generated_credentials_are_private_and_stable(tmp_path: Path) -> None:
    home = tmp_path / "home"
    live = LiveServer(home, extra_env={"DRYDOCK_ROOT_ACCESS_KEY_ID": "", "DRYDOCK_ROOT_SECRET_ACCESS_KEY": ""})
    live.start()
    try:
        credentials = home / "credentials.json"
        assert credentials.stat().st_mode & 0o777 == 0o600
        before = credentials.read_text()
        live.restart()
        assert credentials.read_text() == before
    finally:
        live.stop()
