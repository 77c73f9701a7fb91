"""Settings: the only reader of the process environment (``DRYDOCK_*``).

One :class:`Settings` object is built at the composition root (``drydock.server``) and passed down;
nothing else looks at ``os.environ``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_home() -> Path:
    return Path.home() / ".drydock"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DRYDOCK_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 7070
    home: Path = Field(default_factory=default_home)
    #: SQLAlchemy URL; empty means ``sqlite:///<home>/drydock.db``.
    db: str = ""
    #: Empty or ``embedded`` for the blob store under ``<home>/objects``; otherwise the URL of an
    #: S3-compatible endpoint (credentials from ``object_store_access_key_id``/``..._secret_access_key``).
    object_store: str = ""
    object_store_access_key_id: str = ""
    object_store_secret_access_key: str = ""
    region: str = "us-east-1"
    #: The 12-digit account id that appears in every ARN this server makes.
    account_id: str = "000000000000"
    root_access_key_id: str = ""
    root_secret_access_key: str = ""
    #: Largest allowed difference between a request's signing time and the server clock (AWS: 5 min).
    clock_skew_seconds: int = 300
    log_level: str = "info"
    #: Injected spot interruptions, e.g. ``count=2,after=3,wait=1`` (see drydock.engine.training.spot).
    spot_interruptions: str = ""
    #: Fail a response that the service model does not allow (the test suite turns this on).
    strict_responses: bool = False
    #: vCPUs and MiB of memory training jobs may use together; 0 means what the machine has. Jobs that
    #: do not fit next to the running ones wait (see drydock.engine.capacity). May exceed the machine.
    max_cpus: int = 0
    max_memory_mib: int = 0
    #: How long InvokeEndpoint waits for the model's answer before ModelError (SageMaker: 60 s).
    invocation_timeout_seconds: float = 60.0

    def venv_cache(self) -> Path:
        """Where script-mode jobs keep the virtual environments their requirements.txt builds."""
        return self.home / "venvs"

    def resolved_db_url(self) -> str:
        return self.db or f"sqlite:///{self.home / 'drydock.db'}"

    def uses_embedded_object_store(self) -> bool:
        return self.object_store in ("", "embedded")
