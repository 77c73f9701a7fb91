"""List* filters, sorting and pagination, and tags, as every SageMaker resource kind shares them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from drydock.testing.live_server import LiveServer
from tests.e2e.test_models import XGB_IMAGE, error_of


@pytest.fixture(scope="module")
def listed(server: LiveServer) -> list[str]:
    client = server.client("sagemaker")
    names = [f"lst-{letter}-model" for letter in "dbeac"]
    for name in names:
        client.create_model(ModelName=name, PrimaryContainer={"Image": XGB_IMAGE})
    return names


def test_name_contains_and_default_order(sagemaker: Any, listed: list[str]) -> None:
    models = sagemaker.list_models(NameContains="LST-", MaxResults=100)["Models"]
    # Default: newest first; NameContains is case-insensitive.
    assert [m["ModelName"] for m in models] == list(reversed(listed))


def test_sort_by_name_both_ways(sagemaker: Any, listed: list[str]) -> None:
    ascending = sagemaker.list_models(NameContains="lst-", SortBy="Name", SortOrder="Ascending")["Models"]
    assert [m["ModelName"] for m in ascending] == sorted(listed)
    descending = sagemaker.list_models(NameContains="lst-", SortBy="Name", SortOrder="Descending")["Models"]
    assert [m["ModelName"] for m in descending] == sorted(listed, reverse=True)


def test_pagination_visits_every_item_once(sagemaker: Any, listed: list[str]) -> None:
    seen: list[str] = []
    kwargs: dict[str, Any] = {"NameContains": "lst-", "MaxResults": 2, "SortBy": "Name", "SortOrder": "Ascending"}
    pages = 0
    while True:
        page = sagemaker.list_models(**kwargs)
        pages += 1
        seen += [m["ModelName"] for m in page["Models"]]
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    assert seen == sorted(listed)
    assert pages == 3
    # boto3's paginator drives the same tokens.
    paginator = sagemaker.get_paginator("list_models")
    names = [
        m["ModelName"]
        for p in paginator.paginate(NameContains="lst-", PaginationConfig={"PageSize": 2})
        for m in p["Models"]
    ]
    assert sorted(names) == sorted(listed)


def test_token_from_another_query_is_rejected(sagemaker: Any, listed: list[str]) -> None:
    token = sagemaker.list_models(NameContains="lst-", MaxResults=1)["NextToken"]
    code, message = error_of(sagemaker.list_models, NameContains="other", NextToken=token)
    assert code == "ValidationException"
    assert "pagination token" in message
    code, _ = error_of(sagemaker.list_models, NextToken="not-a-token")
    assert code == "ValidationException"


def test_creation_time_filters(sagemaker: Any, listed: list[str]) -> None:
    # boto3 sends these filters as whole epoch seconds, so the test steps by seconds too.
    models = sagemaker.list_models(NameContains="lst-", MaxResults=100)["Models"]
    first = min(m["CreationTime"] for m in models)
    last = max(m["CreationTime"] for m in models)
    second = dt.timedelta(seconds=1)
    assert len(sagemaker.list_models(NameContains="lst-", CreationTimeAfter=first - second)["Models"]) == 5
    assert sagemaker.list_models(NameContains="lst-", CreationTimeAfter=last + second)["Models"] == []
    assert sagemaker.list_models(NameContains="lst-", CreationTimeBefore=first - second)["Models"] == []
    assert len(sagemaker.list_models(NameContains="lst-", CreationTimeBefore=last + second)["Models"]) == 5


def test_add_list_delete_tags(sagemaker: Any, listed: list[str]) -> None:
    arn = sagemaker.describe_model(ModelName=listed[0])["ModelArn"]
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": f"k{i:02d}", "Value": str(i)} for i in range(5)])
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "k00", "Value": "overwritten"}])
    tags = sagemaker.list_tags(ResourceArn=arn)["Tags"]
    assert {t["Key"]: t["Value"] for t in tags}["k00"] == "overwritten"
    assert len(tags) == 5
    assert [t["Key"] for t in tags] == [f"k{i:02d}" for i in range(5)]
    sagemaker.delete_tags(ResourceArn=arn, TagKeys=["k00", "k01"])
    assert [t["Key"] for t in sagemaker.list_tags(ResourceArn=arn)["Tags"]] == ["k02", "k03", "k04"]


def test_tag_limits_and_missing_resources(sagemaker: Any, listed: list[str]) -> None:
    arn = sagemaker.describe_model(ModelName=listed[1])["ModelArn"]
    code, _ = error_of(sagemaker.add_tags, ResourceArn=arn, Tags=[{"Key": f"t{i}", "Value": "v"} for i in range(51)])
    assert code in ("ValidationException", "ResourceLimitExceeded")
    code, _ = error_of(sagemaker.add_tags, ResourceArn=arn, Tags=[{"Key": "aws:reserved", "Value": "v"}])
    assert code == "ValidationException"
    missing = arn.replace(listed[1], "not-there")
    code, message = error_of(sagemaker.list_tags, ResourceArn=missing)
    assert code == "ValidationException"
    assert "Could not find" in message
