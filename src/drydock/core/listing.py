"""The filters every SageMaker ``List*`` call shares, read from the request once, the same way.

``NameContains``, ``CreationTime{Before,After}``, ``LastModifiedTime{Before,After}``,
``StatusEquals``, ``SortBy``/``SortOrder`` and ``MaxResults``/``NextToken``. The store turns a
:class:`ListQuery` into SQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class SortKey(StrEnum):
    NAME = "Name"
    CREATION_TIME = "CreationTime"
    STATUS = "Status"
    LAST_MODIFIED_TIME = "LastModifiedTime"


#: AWS's default page size for SageMaker List* calls.
DEFAULT_MAX_RESULTS = 10


@dataclass(frozen=True)
class ListQuery:
    name_contains: str | None = None
    created_before: dt.datetime | None = None
    created_after: dt.datetime | None = None
    modified_before: dt.datetime | None = None
    modified_after: dt.datetime | None = None
    status_equals: str | None = None
    sort_by: SortKey = SortKey.CREATION_TIME
    descending: bool = True
    max_results: int = DEFAULT_MAX_RESULTS
    next_token: str | None = None

    @classmethod
    def from_request(cls, request: dict[str, Any], *, default_sort: SortKey = SortKey.CREATION_TIME) -> ListQuery:
        sort_by = request.get("SortBy")
        sort_order = request.get("SortOrder")
        return cls(
            name_contains=request.get("NameContains"),
            created_before=request.get("CreationTimeBefore"),
            created_after=request.get("CreationTimeAfter"),
            modified_before=request.get("LastModifiedTimeBefore"),
            modified_after=request.get("LastModifiedTimeAfter"),
            status_equals=request.get("StatusEquals"),
            sort_by=SortKey(sort_by) if isinstance(sort_by, str) and sort_by in set(SortKey) else default_sort,
            # SageMaker sorts newest first unless told otherwise.
            descending=sort_order != "Ascending",
            max_results=int(request.get("MaxResults") or DEFAULT_MAX_RESULTS),
            next_token=request.get("NextToken"),
        )

    def filters_fingerprint(self) -> list[Any]:
        """Everything but the token and page size: what a NextToken must stay bound to."""
        return [
            self.name_contains,
            self.created_before,
            self.created_after,
            self.modified_before,
            self.modified_after,
            self.status_equals,
            self.sort_by.value,
            self.descending,
        ]


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_token: str | None
