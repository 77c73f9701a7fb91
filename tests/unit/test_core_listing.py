"""ListQuery reads SageMaker's shared List* members the way AWS defaults them."""

from __future__ import annotations

import datetime as dt

from drydock.core.listing import DEFAULT_MAX_RESULTS, ListQuery, SortKey

WHEN = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)


def test_defaults_are_newest_first_by_creation_time_ten_per_page() -> None:
    # ListModels: "SortBy ... The default is CreationTime", "SortOrder ... The default is Descending".
    query = ListQuery.from_request({})
    assert (query.sort_by, query.descending, query.max_results) == (SortKey.CREATION_TIME, True, 10)
    assert DEFAULT_MAX_RESULTS == 10
    assert query.name_contains is None and query.next_token is None


def test_every_member_is_read() -> None:
    query = ListQuery.from_request(
        {
            "NameContains": "xgb",
            "CreationTimeBefore": WHEN,
            "CreationTimeAfter": WHEN - dt.timedelta(days=1),
            "LastModifiedTimeBefore": WHEN + dt.timedelta(days=1),
            "LastModifiedTimeAfter": WHEN - dt.timedelta(days=2),
            "StatusEquals": "InService",
            "SortBy": "Name",
            "SortOrder": "Ascending",
            "MaxResults": 100,
            "NextToken": "tok",
        }
    )
    assert query == ListQuery(
        name_contains="xgb",
        created_before=WHEN,
        created_after=WHEN - dt.timedelta(days=1),
        modified_before=WHEN + dt.timedelta(days=1),
        modified_after=WHEN - dt.timedelta(days=2),
        status_equals="InService",
        sort_by=SortKey.NAME,
        descending=False,
        max_results=100,
        next_token="tok",
    )


def test_explicit_descending_and_every_sort_key() -> None:
    assert ListQuery.from_request({"SortOrder": "Descending"}).descending is True
    for key in SortKey:
        assert ListQuery.from_request({"SortBy": key.value}).sort_by is key


def test_a_kind_can_choose_its_default_sort() -> None:
    # Some List* calls (ListEndpoints, ListTrainingJobs...) share the members but not the default.
    assert ListQuery.from_request({}, default_sort=SortKey.NAME).sort_by is SortKey.NAME
    assert ListQuery.from_request({"SortBy": "Status"}, default_sort=SortKey.NAME).sort_by is SortKey.STATUS


def test_fingerprint_ignores_token_and_page_size_only() -> None:
    base = ListQuery(name_contains="a", created_after=WHEN, status_equals="Failed")
    same = ListQuery(name_contains="a", created_after=WHEN, status_equals="Failed", max_results=3, next_token="t")
    assert base.filters_fingerprint() == same.filters_fingerprint()
    for changed in (
        ListQuery(name_contains="b", created_after=WHEN, status_equals="Failed"),
        ListQuery(name_contains="a", created_before=WHEN, status_equals="Failed"),
        ListQuery(name_contains="a", created_after=WHEN, status_equals="InService"),
        ListQuery(name_contains="a", created_after=WHEN, status_equals="Failed", sort_by=SortKey.NAME),
        ListQuery(name_contains="a", created_after=WHEN, status_equals="Failed", descending=False),
        ListQuery(name_contains="a", created_after=WHEN, status_equals="Failed", modified_after=WHEN),
    ):
        assert changed.filters_fingerprint() != base.filters_fingerprint()
