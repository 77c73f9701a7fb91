"""The ``ml.*`` training instance types: vCPUs, memory and GPUs, as AWS publishes them.

SageMaker gives a training container the whole instance, and the training toolkit reports it in
``SM_NUM_CPUS``/``SM_NUM_GPUS``. Drydock runs an instance as a local process, so these numbers are
what a job *asks for*; :mod:`drydock.engine.capacity` decides what the machine can give it.

Numbers come from the EC2 instance type pages (vCPUs, memory in GiB, accelerators). Most current
families follow EC2's size naming exactly — ``large`` is 2 vCPUs, ``xlarge`` 4, ``Nxlarge`` 4·N — with
a fixed memory per vCPU (``c`` 2 GiB, ``m`` 4 GiB, ``r`` 8 GiB), so those are generated from that
rule; families that break it (t3, c4, c5n, the GPU and Trainium types) are listed one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from drydock.errors import ValidationError

MIB_PER_GIB = 1024


@dataclass(frozen=True)
class InstanceType:
    name: str
    vcpus: int
    memory_gib: float
    gpus: int = 0

    @property
    def memory_mib(self) -> int:
        return int(self.memory_gib * MIB_PER_GIB)


def _vcpus(size: str) -> int:
    if size == "large":
        return 2
    if size == "xlarge":
        return 4
    return 4 * int(size.removesuffix("xlarge"))


def _family(family: str, gib_per_vcpu: int, sizes: str) -> dict[str, InstanceType]:
    types = {}
    for size in sizes.split():
        name = f"ml.{family}.{size}"
        vcpus = _vcpus(size)
        types[name] = InstanceType(name, vcpus, float(vcpus * gib_per_vcpu))
    return types


def _listed(family: str, rows: Sequence[tuple[str, int, float, int]]) -> dict[str, InstanceType]:
    return {f"ml.{family}.{size}": InstanceType(f"ml.{family}.{size}", cpu, mem, gpu) for size, cpu, mem, gpu in rows}


_SIZES_5 = "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge"
_SIZES_6 = _SIZES_5 + " 32xlarge"
_SIZES_7 = _SIZES_5 + " 48xlarge"
_SIZES_8 = _SIZES_6 + " 48xlarge 96xlarge"
_FLEX = "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge"

_GPU_G = [("xlarge", 4, 16, 1), ("2xlarge", 8, 32, 1), ("4xlarge", 16, 64, 1), ("8xlarge", 32, 128, 1)]
_GPU_G_BIG = [("12xlarge", 48, 192, 4), ("16xlarge", 64, 256, 1), ("24xlarge", 96, 384, 4), ("48xlarge", 192, 768, 8)]

TYPES: dict[str, InstanceType] = {
    **_listed("t3", [("medium", 2, 4, 0), ("large", 2, 8, 0), ("xlarge", 4, 16, 0), ("2xlarge", 8, 32, 0)]),
    **_family("m4", 4, "xlarge 2xlarge 4xlarge 10xlarge 16xlarge"),
    **_family("m5", 4, "large xlarge 2xlarge 4xlarge 12xlarge 24xlarge"),
    **_family("m6i", 4, _SIZES_6),
    **_family("m7i", 4, _SIZES_7),
    **_family("m8i", 4, _SIZES_8),
    **_family("m7i-flex", 4, _FLEX),
    **_family("m8i-flex", 4, _FLEX),
    **_listed("c4", [("xlarge", 4, 7.5, 0), ("2xlarge", 8, 15, 0), ("4xlarge", 16, 30, 0), ("8xlarge", 36, 60, 0)]),
    **_family("c5", 2, "large xlarge 2xlarge 4xlarge 9xlarge 18xlarge"),
    **_listed(
        "c5n",
        [
            ("xlarge", 4, 10.5, 0),
            ("2xlarge", 8, 21, 0),
            ("4xlarge", 16, 42, 0),
            ("9xlarge", 36, 96, 0),
            ("18xlarge", 72, 192, 0),
        ],
    ),
    **_family("c6i", 2, _SIZES_6),
    **_family("c7i", 2, _SIZES_7),
    **_family("c8i", 2, _SIZES_8),
    **_family("c7i-flex", 2, _FLEX),
    **_family("c8i-flex", 2, _FLEX),
    **_family("r5", 8, _SIZES_5),
    **_family("r5d", 8, _SIZES_5),
    **_family("r6i", 8, _SIZES_6),
    **_family("r7i", 8, _SIZES_7),
    **_family("r8i", 8, _SIZES_8),
    **_family("r8i-flex", 8, _FLEX),
    **_listed("g4dn", [*_GPU_G, ("12xlarge", 48, 192, 4), ("16xlarge", 64, 256, 1)]),
    **_listed("g5", _GPU_G + _GPU_G_BIG),
    **_listed("g6", _GPU_G + _GPU_G_BIG),
    **_listed(
        "g6e",
        [
            ("xlarge", 4, 32, 1),
            ("2xlarge", 8, 64, 1),
            ("4xlarge", 16, 128, 1),
            ("8xlarge", 32, 256, 1),
            ("12xlarge", 48, 384, 4),
            ("16xlarge", 64, 512, 1),
            ("24xlarge", 96, 768, 4),
            ("48xlarge", 192, 1536, 8),
        ],
    ),
    **_listed("p2", [("xlarge", 4, 61, 1), ("8xlarge", 32, 488, 8), ("16xlarge", 64, 732, 16)]),
    **_listed("p3", [("2xlarge", 8, 61, 1), ("8xlarge", 32, 244, 4), ("16xlarge", 64, 488, 8)]),
    **_listed("p3dn", [("24xlarge", 96, 768, 8)]),
    **_listed("p4d", [("24xlarge", 96, 1152, 8)]),
    **_listed("p4de", [("24xlarge", 96, 1152, 8)]),
    **_listed("p5", [("4xlarge", 16, 256, 1), ("48xlarge", 192, 2048, 8)]),
    **_listed("p5e", [("48xlarge", 192, 2048, 8)]),
    **_listed("p5en", [("48xlarge", 192, 2048, 8)]),
    # Trainium chips are not GPUs: SM_NUM_GPUS stays 0 on trn instances, as on SageMaker.
    **_listed("trn1", [("2xlarge", 8, 32, 0), ("32xlarge", 128, 512, 0)]),
    **_listed("trn1n", [("32xlarge", 128, 512, 0)]),
    **_listed("trn2", [("48xlarge", 192, 2048, 0)]),
}


def lookup(name: str) -> InstanceType:
    """The instance type called ``name``; ``ValidationError`` for one Drydock has no numbers for."""
    try:
        return TYPES[name]
    except KeyError:
        raise ValidationError(
            f"Instance type {name} is not supported by this Drydock server: it does not know its vCPUs and memory. "
            f"Choose one of the ml.t3, m4-m8i, c4-c8i, r5-r8i, g4dn, g5, g6, g6e, p2-p5 or trn families."
        ) from None
