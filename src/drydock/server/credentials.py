"""Root credentials: from DRYDOCK_ROOT_* settings, or generated once and kept in the home directory.

SigV4 is an HMAC over the secret, so the server must be able to read the secret itself: it cannot be
stored hashed. It is kept in ``<home>/credentials.json`` with mode 0600 instead.
"""

from __future__ import annotations

import json
import os
import secrets
import string
from dataclasses import dataclass
from pathlib import Path

from drydock.config import Settings

CREDENTIALS_FILE = "credentials.json"


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str


def root_credentials(settings: Settings) -> Credentials:
    if settings.root_access_key_id and settings.root_secret_access_key:
        return Credentials(settings.root_access_key_id, settings.root_secret_access_key)
    path = Path(settings.home) / CREDENTIALS_FILE
    if path.exists():
        data = json.loads(path.read_text())
        return Credentials(data["access_key_id"], data["secret_access_key"])
    return _generate(path)


def _generate(path: Path) -> Credentials:
    path.parent.mkdir(parents=True, exist_ok=True)
    alphabet = string.ascii_uppercase + string.digits
    credentials = Credentials(
        access_key_id="AKID" + "".join(secrets.choice(alphabet) for _ in range(16)),
        secret_access_key=secrets.token_urlsafe(30),
    )
    payload = json.dumps(
        {"access_key_id": credentials.access_key_id, "secret_access_key": credentials.secret_access_key}
    )
    # Written to a private temp file, then hard-linked into place: the link is atomic and fails if
    # another process won the race, in which case its keys are the ones everybody uses.
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(payload)
    try:
        os.link(temp, path)
    except FileExistsError:
        data = json.loads(path.read_text())
        return Credentials(data["access_key_id"], data["secret_access_key"])
    finally:
        temp.unlink()
    return credentials
