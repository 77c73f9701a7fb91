"""A training channel as CreateTrainingJob's ``InputDataConfig`` describes it, and what it selects.

Selection follows the ``S3DataSource`` documentation: ``FullyReplicated`` gives every instance every
object; ``ShardedByS3Key`` gives each of *n* instances about 1/n of the objects — here object *j* (in
key order, or manifest order) goes to instance ``j % n``, so shards are disjoint and together
complete. ``ShuffleConfig.Seed`` shuffles the order before sharding; in Pipe mode it reshuffles at
every epoch (seeded with ``Seed + epoch``), so with sharding an instance may see other objects on
each epoch, as the ``ShuffleConfig`` docs describe.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from drydock.engine.contract import ChannelConfig
from drydock.engine.inputs.location import Location
from drydock.errors import ValidationError

T = TypeVar("T")

DATA_TYPES = ("S3Prefix", "ManifestFile", "AugmentedManifestFile")
INPUT_MODES = ("File", "FastFile", "Pipe")


@dataclass(frozen=True)
class ChannelSpec:
    name: str
    uri: Location
    data_type: str = "S3Prefix"
    distribution: str = "FullyReplicated"
    input_mode: str = "File"
    compression: str = "None"
    record_wrapper: str = "None"
    content_type: str | None = None
    attribute_names: tuple[str, ...] = ()
    shuffle_seed: int | None = None

    @classmethod
    def from_api(cls, channel: Mapping[str, Any], default_mode: str = "File") -> ChannelSpec:
        """Read one ``Channel``; its ``InputMode`` overrides the job's ``TrainingInputMode``."""
        name = str(channel.get("ChannelName", ""))
        source = channel.get("DataSource") or {}
        s3 = source.get("S3DataSource")
        if not isinstance(s3, Mapping):
            kinds = ", ".join(sorted(source)) or "none"
            raise ValidationError(f"Channel {name!r}: only S3DataSource is supported (got {kinds})")
        spec = cls(
            name=name,
            uri=Location.parse(str(s3.get("S3Uri", ""))),
            data_type=str(s3.get("S3DataType", "S3Prefix")),
            distribution=str(s3.get("S3DataDistributionType") or "FullyReplicated"),
            input_mode=str(channel.get("InputMode") or default_mode or "File"),
            compression=str(channel.get("CompressionType") or "None"),
            record_wrapper=str(channel.get("RecordWrapperType") or "None"),
            content_type=channel.get("ContentType"),
            attribute_names=tuple(str(a) for a in s3.get("AttributeNames") or ()),
            shuffle_seed=_seed(channel.get("ShuffleConfig")),
        )
        spec.check()
        return spec

    def check(self) -> None:
        if self.data_type not in DATA_TYPES:
            raise ValidationError(f"Channel {self.name!r}: unknown S3DataType {self.data_type!r}")
        if self.input_mode not in INPUT_MODES:
            raise ValidationError(f"Channel {self.name!r}: unknown InputMode {self.input_mode!r}")
        if self.distribution not in ("FullyReplicated", "ShardedByS3Key"):
            raise ValidationError(f"Channel {self.name!r}: unknown S3DataDistributionType {self.distribution!r}")
        if self.compression not in ("None", "Gzip"):
            raise ValidationError(f"Channel {self.name!r}: unknown CompressionType {self.compression!r}")
        if self.record_wrapper not in ("None", "RecordIO"):
            raise ValidationError(f"Channel {self.name!r}: unknown RecordWrapperType {self.record_wrapper!r}")
        if self.data_type == "AugmentedManifestFile":
            if not self.attribute_names:
                raise ValidationError(f"Channel {self.name!r}: AugmentedManifestFile needs AttributeNames")
            if self.input_mode != "Pipe":
                # Drydock's subset: augmented manifests are streamed (Pipe mode) only.
                raise ValidationError(f"Channel {self.name!r}: AugmentedManifestFile is supported in Pipe mode only")

    def select(self, items: Sequence[T], index: int, count: int, epoch: int = 0) -> list[T]:
        """The items instance ``index`` of ``count`` receives at ``epoch``."""
        chosen = list(items)
        if self.shuffle_seed is not None:
            random.Random(self.shuffle_seed + epoch).shuffle(chosen)
        if self.distribution == "ShardedByS3Key" and count > 1:
            chosen = chosen[index::count]
        return chosen

    def config(self) -> ChannelConfig:
        """The channel's ``inputdataconfig.json`` entry."""
        return ChannelConfig(
            name=self.name,
            content_type=self.content_type,
            input_mode=self.input_mode,
            distribution=self.distribution,
            record_wrapper=self.record_wrapper,
            compression=self.compression,
        )


def _seed(shuffle: object) -> int | None:
    if isinstance(shuffle, Mapping) and shuffle.get("Seed") is not None:
        return int(shuffle["Seed"])
    return None
