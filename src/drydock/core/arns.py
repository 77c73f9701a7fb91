"""SageMaker ARNs: ``arn:aws:sagemaker:<region>:<account>:<kind>/<name>``.

AWS lower-cases the resource name inside SageMaker ARNs (``CreateModel(ModelName="MyModel")`` returns
``...:model/mymodel``), which also makes names unique regardless of case.
"""

from __future__ import annotations

from dataclasses import dataclass

from drydock.errors import ValidationError


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource_type: str
    resource_id: str

    def __str__(self) -> str:
        return (
            f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource_type}/{self.resource_id}"
        )


def sagemaker_arn(region: str, account: str, kind: str, name: str) -> str:
    return str(Arn("aws", "sagemaker", region, account, kind, name.lower()))


def parse_arn(text: str) -> Arn:
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or "/" not in parts[5]:
        raise ValidationError(f"Invalid ARN {text!r}: expected arn:aws:<service>:<region>:<account>:<type>/<id>")
    resource_type, _, resource_id = parts[5].partition("/")
    return Arn(parts[1], parts[2], parts[3], parts[4], resource_type, resource_id)
