"""The SageMaker training container contract, in one place.

Every instance of a job gets its own directory tree laid out exactly like ``/opt/ml`` in a SageMaker
training container (reference §6). Where bubblewrap is present the launcher bind-mounts the tree at
``/opt/ml`` so programs that hard-code the path work; without it, programs find the tree through the
``SM_*`` variables and ``DRYDOCK_OPT_ML`` (the tree's real path), which :func:`training_environment`
sets to the paths the program will actually see.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Where the tree appears inside a sandbox.
SANDBOX_ROOT = Path("/opt/ml")
#: Hyperparameters the SageMaker SDK adds for script mode; they are not the user's.
SAGEMAKER_HP_PREFIX = "sagemaker_"


@dataclass(frozen=True)
class InstanceTree:
    """One instance's ``/opt/ml``: ``root`` is the real directory on disk."""

    root: Path

    @property
    def input_config(self) -> Path:
        return self.root / "input" / "config"

    @property
    def input_data(self) -> Path:
        return self.root / "input" / "data"

    def channel(self, name: str) -> Path:
        return self.input_data / name

    def pipe(self, channel: str, epoch: int) -> Path:
        """Pipe mode: a FIFO per channel per epoch, ``<channel>_<epoch>``."""
        return self.input_data / f"{channel}_{epoch}"

    @property
    def model(self) -> Path:
        return self.root / "model"

    @property
    def output(self) -> Path:
        return self.root / "output"

    @property
    def output_data(self) -> Path:
        return self.output / "data"

    @property
    def intermediate(self) -> Path:
        return self.output / "intermediate"

    @property
    def failure(self) -> Path:
        return self.output / "failure"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def code(self) -> Path:
        return self.root / "code"

    def create(self) -> None:
        for path in (
            self.input_config,
            self.input_data,
            self.model,
            self.output_data,
            self.intermediate,
            self.checkpoints,
            self.code,
        ):
            path.mkdir(parents=True, exist_ok=True)

    def seen_as(self, sandboxed: bool) -> InstanceTree:
        """The tree as the program sees it: ``/opt/ml`` inside a sandbox, else the real path."""
        return InstanceTree(SANDBOX_ROOT) if sandboxed else self


@dataclass(frozen=True)
class ResourceConfig:
    current_host: str
    hosts: list[str]
    instance_type: str

    def document(self) -> dict[str, Any]:
        """``resourceconfig.json`` as SageMaker writes it for a homogeneous cluster."""
        return {
            "current_host": self.current_host,
            "current_instance_type": self.instance_type,
            "current_group_name": "homogeneousCluster",
            "hosts": self.hosts,
            "instance_groups": [
                {"instance_group_name": "homogeneousCluster", "instance_type": self.instance_type, "hosts": self.hosts}
            ],
            "network_interface_name": "eth0",
        }


@dataclass(frozen=True)
class ChannelConfig:
    name: str
    content_type: str | None = None
    input_mode: str = "File"
    distribution: str = "FullyReplicated"
    record_wrapper: str = "None"
    compression: str = "None"

    def document(self) -> dict[str, Any]:
        """One entry of ``inputdataconfig.json``."""
        entry: dict[str, Any] = {
            "TrainingInputMode": self.input_mode,
            "S3DistributionType": self.distribution,
            "RecordWrapperType": self.record_wrapper,
        }
        if self.content_type:
            entry["ContentType"] = self.content_type
        if self.compression != "None":
            entry["CompressionType"] = self.compression
        return entry


def host_name(index: int) -> str:
    """SageMaker names training instances ``algo-1`` … ``algo-N``."""
    return f"algo-{index + 1}"


def write_config(
    tree: InstanceTree,
    hyperparameters: Mapping[str, str],
    resource: ResourceConfig,
    channels: list[ChannelConfig],
    checkpoint: Mapping[str, Any] | None = None,
) -> None:
    """Write ``/opt/ml/input/config/*.json`` exactly as SageMaker does (values are strings)."""
    tree.input_config.mkdir(parents=True, exist_ok=True)
    _write_json(tree.input_config / "hyperparameters.json", dict(hyperparameters))
    _write_json(tree.input_config / "resourceconfig.json", resource.document())
    _write_json(tree.input_config / "inputdataconfig.json", {c.name: c.document() for c in channels})
    if checkpoint is not None:
        _write_json(tree.input_config / "checkpointconfig.json", dict(checkpoint))


def decoded_hyperparameters(hyperparameters: Mapping[str, str]) -> dict[str, Any]:
    """The toolkit's reading: each value ``json.loads``-ed, falling back to the raw string."""
    decoded: dict[str, Any] = {}
    for key, value in hyperparameters.items():
        try:
            decoded[key] = json.loads(value)
        except (TypeError, ValueError):
            decoded[key] = value
    return decoded


def user_hyperparameters(hyperparameters: Mapping[str, str]) -> dict[str, Any]:
    decoded = decoded_hyperparameters(hyperparameters)
    return {k: v for k, v in decoded.items() if not k.startswith(SAGEMAKER_HP_PREFIX)}


def user_args(hyperparameters: Mapping[str, str]) -> list[str]:
    """``--key value`` pairs, sorted by key, as the sagemaker-training toolkit passes them."""
    args: list[str] = []
    for key, value in sorted(user_hyperparameters(hyperparameters).items()):
        args += [f"--{key}", _arg(value)]
    return args


def training_environment(
    tree: InstanceTree,
    *,
    job_name: str,
    region: str,
    hyperparameters: Mapping[str, str],
    resource: ResourceConfig,
    channels: list[ChannelConfig],
    num_cpus: int,
    num_gpus: int = 0,
    sandboxed: bool = False,
) -> dict[str, str]:
    """The ``SM_*`` variables of SageMaker's training toolkit, plus what plain containers get.

    Paths are those the program sees (``/opt/ml/...`` in a sandbox, the real tree otherwise).
    """
    seen = tree.seen_as(sandboxed)
    decoded = decoded_hyperparameters(hyperparameters)
    user_hps = user_hyperparameters(hyperparameters)
    program = decoded.get("sagemaker_program")
    env: dict[str, str] = {
        "TRAINING_JOB_NAME": job_name,
        "AWS_REGION": region,
        "SAGEMAKER_REGION": region,
        "DRYDOCK_OPT_ML": str(seen.root),
        "SM_MODEL_DIR": str(seen.model),
        "SM_INPUT_DIR": str(seen.root / "input"),
        "SM_INPUT_CONFIG_DIR": str(seen.input_config),
        "SM_OUTPUT_DIR": str(seen.output),
        "SM_OUTPUT_DATA_DIR": str(seen.output_data),
        "SM_OUTPUT_INTERMEDIATE_DIR": str(seen.intermediate),
        "SM_CHANNELS": _compact(sorted(c.name for c in channels)),
        "SM_HOSTS": _compact(resource.hosts),
        "SM_CURRENT_HOST": resource.current_host,
        "SM_CURRENT_INSTANCE_TYPE": resource.instance_type,
        "SM_CURRENT_INSTANCE_GROUP": "homogeneousCluster",
        "SM_NUM_CPUS": str(num_cpus),
        "SM_NUM_GPUS": str(num_gpus),
        "SM_NUM_NEURONS": "0",
        "SM_LOG_LEVEL": str(decoded.get("sagemaker_container_log_level", 20)),
        "SM_NETWORK_INTERFACE_NAME": "eth0",
        "SM_HPS": _compact(user_hps),
        "SM_USER_ARGS": _compact(user_args(hyperparameters)),
        "SM_RESOURCE_CONFIG": _compact(resource.document()),
        "SM_INPUT_DATA_CONFIG": _compact({c.name: c.document() for c in channels}),
    }
    for channel in channels:
        env[f"SM_CHANNEL_{channel.name.upper()}"] = str(seen.channel(channel.name))
    for key, value in user_hps.items():
        env[f"SM_HP_{key.upper()}"] = value if isinstance(value, str) else _compact(value)
    if isinstance(program, str):
        env["SM_USER_ENTRY_POINT"] = program
        env["SM_MODULE_NAME"] = program.removesuffix(".py")
    submit = decoded.get("sagemaker_submit_directory")
    if isinstance(submit, str):
        env["SM_MODULE_DIR"] = submit
    env["SM_TRAINING_ENV"] = _compact(
        {
            "job_name": job_name,
            "hosts": resource.hosts,
            "current_host": resource.current_host,
            "channel_input_dirs": {c.name: str(seen.channel(c.name)) for c in channels},
            "hyperparameters": user_hps,
            "model_dir": str(seen.model),
            "output_data_dir": str(seen.output_data),
            "input_dir": str(seen.root / "input"),
            "num_cpus": num_cpus,
            "num_gpus": num_gpus,
            "user_entry_point": program,
        }
    )
    return env


def failure_reason(tree: InstanceTree, limit: int = 1024) -> str | None:
    """``/opt/ml/output/failure``'s text, cut to the 1024 characters SageMaker keeps."""
    try:
        text = tree.failure.read_text(errors="replace").strip()
    except OSError:
        return None
    return text[:limit] or None


def _arg(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _write_json(path: Path, document: Any) -> None:
    path.write_text(json.dumps(document, indent=None))
