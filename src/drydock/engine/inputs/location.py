"""Where data lives: an ``s3://bucket/key`` URI resolved through the ObjectStore port, or ``file://``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from drydock.errors import ValidationError


@dataclass(frozen=True)
class Location:
    """A parsed data URI: ``bucket``/``key`` for ``s3``, ``path`` for ``file``."""

    scheme: str
    bucket: str = ""
    key: str = ""
    path: Path | None = None

    @classmethod
    def parse(cls, uri: str) -> Location:
        """Raise ``ValidationException`` for anything but ``s3://bucket[/key]`` or ``file:///path``."""
        parts = urlsplit(uri)
        if parts.scheme == "s3" and parts.netloc:
            # S3 keys are taken verbatim (no percent-decoding): the SDK builds these URIs by joining.
            return cls("s3", bucket=parts.netloc, key=uri[len("s3://") + len(parts.netloc) :].lstrip("/"))
        if parts.scheme == "file":
            # SageMaker local mode accepts file:///abs/path (and file://relative, resolved from the cwd).
            raw = unquote(parts.netloc + parts.path)
            return cls("file", path=Path(raw).expanduser().resolve())
        raise ValidationError(f"Invalid S3 URI {uri!r}: expected s3://bucket/prefix or file:///path")

    @property
    def local(self) -> Path:
        if self.path is None:
            raise ValidationError(f"{self} is not a local path")
        return self.path

    def child(self, relative: str) -> Location:
        """This location taken as a directory, then ``relative`` under it (``/`` joined once)."""
        if self.scheme == "file":
            return Location("file", path=self.local / relative)
        base = self.key if not self.key or self.key.endswith("/") else self.key + "/"
        return Location("s3", bucket=self.bucket, key=base + relative)

    def __str__(self) -> str:
        if self.scheme == "file":
            return f"file://{self.local}"
        return f"s3://{self.bucket}/{self.key}"


def safe_relative(relative: str, what: str) -> Path:
    """``relative`` as a path that stays under the directory it is joined to.

    S3 keys may hold ``//``, ``.`` and ``..`` segments (and SageMaker writes whatever the key says);
    empty and ``.`` segments are dropped, ``..`` is refused so no key can escape the channel directory.
    """
    parts = [part for part in relative.split("/") if part not in ("", ".")]
    if not parts or ".." in parts or any(os.sep in part or "\x00" in part for part in parts):
        raise ValidationError(f"Cannot stage {what}: its relative path {relative!r} is not a file path")
    return Path(*parts)
