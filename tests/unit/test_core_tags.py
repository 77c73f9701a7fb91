"""Tag rules every SageMaker resource shares: AWS's 50-tag limit, the reserved aws: prefix, sorting."""

from __future__ import annotations

import pytest

from drydock.core.tags import MAX_TAGS, check_tag_count, tag_dict, tag_list
from drydock.errors import ResourceLimitExceeded, ValidationError


def test_tag_list_and_dict_convert_both_ways_sorted_by_key() -> None:
    tags = tag_dict([{"Key": "b", "Value": "2"}, {"Key": "A", "Value": ""}, {"Key": "a", "Value": "1"}])
    assert tags == {"b": "2", "A": "", "a": "1"}
    assert tag_list(tags) == [{"Key": "A", "Value": ""}, {"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    assert tag_dict(None) == {} and tag_dict([]) == {} and tag_list({}) == []


@pytest.mark.parametrize("key", ["aws:createdBy", "AWS:x", "Aws:cloudformation:stack-name"])
def test_aws_prefix_is_reserved(key: str) -> None:
    # AWS tagging rules: don't use "aws:", "AWS:" or any upper or lower case combination as a prefix.
    with pytest.raises(ValidationError, match="reserved"):
        tag_dict([{"Key": key, "Value": "v"}])


def test_a_key_that_merely_contains_aws_is_fine() -> None:
    assert tag_dict([{"Key": "my-aws:thing", "Value": "v"}]) == {"my-aws:thing": "v"}


def test_duplicate_keys_in_one_call_are_rejected() -> None:
    with pytest.raises(ValidationError, match="more than once"):
        tag_dict([{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}])


def test_fifty_tags_is_the_limit() -> None:
    assert MAX_TAGS == 50
    check_tag_count(0, 50)
    check_tag_count(49, 1)
    with pytest.raises(ResourceLimitExceeded):
        check_tag_count(49, 2)
    with pytest.raises(ResourceLimitExceeded):
        check_tag_count(0, 51)
