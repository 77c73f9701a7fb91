"""The store contract suite: what every backend of the ``Store`` port (SQLite, PostgreSQL) must do.

Use it by subclassing :class:`StoreContract` in a test module and providing two function-scoped
fixtures, typically parametrized over backends:

- ``db``: a :class:`~drydock.store.database.Database` on a fresh database migrated to heads;
- ``empty_db``: a :class:`~drydock.store.database.Database` on a fresh database with no tables.

Every test states a behaviour a SageMaker user can see through ``List*``, ``Describe*``, tags or the
audit trail, so a backend that passes serves the API identically.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

import drydock.store.all_tables  # noqa: F401  (registers every table on the shared metadata)
from drydock.core.arns import sagemaker_arn
from drydock.core.listing import ListQuery, SortKey
from drydock.core.pagination import PageToken, encode_token, fingerprint
from drydock.core.tags import MAX_TAGS
from drydock.errors import ResourceLimitExceeded, ValidationError
from drydock.store.audit import AuditLog
from drydock.store.database import Database
from drydock.store.migrate import alembic_config, upgrade
from drydock.store.resources import AlreadyExists, Resource, ResourceRepository
from drydock.store.schema import metadata
from drydock.wire.service_port import AuditEvent

KIND = "model"
T0 = dt.datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)
#: Bounds every wait on a worker thread: a deadlock fails the test instead of hanging CI.
DEADLINE = 60.0


def make(name: str, minutes: float = 0, *, kind: str = KIND, status: str | None = None, **doc: Any) -> Resource:
    created = T0 + dt.timedelta(minutes=minutes)
    return Resource(
        kind=kind,
        name=name,
        arn=sagemaker_arn("us-east-1", "000000000000", kind, name),
        status=status,
        creation_time=created,
        last_modified_time=created + dt.timedelta(seconds=30),
        document={"Name": name, **doc},
    )


def names(items: list[Any]) -> list[str]:
    return [item.name for item in items]


def every_page(repo: ResourceRepository, query: ListQuery, *, kind: str = KIND) -> list[Resource]:
    """Follow NextToken to the end, as a paginator does (bounded, so a token loop fails)."""
    found: list[Resource] = []
    token: str | None = None
    for _page in range(10_000):
        page = repo.list(kind, ListQuery(**{**query.__dict__, "next_token": token}))
        found.extend(page.items)
        token = page.next_token
        if token is None:
            return found
    raise AssertionError("pagination never ended")


def sort_value(resource: Resource, key: SortKey) -> Any:
    return {
        SortKey.NAME: resource.name,
        SortKey.CREATION_TIME: resource.creation_time,
        SortKey.LAST_MODIFIED_TIME: resource.last_modified_time,
        SortKey.STATUS: resource.status or "",
    }[key]


def expected_order(items: list[Resource], key: SortKey, descending: bool) -> list[str]:
    ordered = sorted(items, key=lambda r: (sort_value(r, key), r.arn), reverse=descending)
    return names(ordered)


class StoreContract:
    """Resources, listing, pagination, tags, audit trail, migrations and concurrency."""

    # --- resources ----------------------------------------------------------------------------

    def test_create_then_get_round_trips_document_and_times(self, db: Database) -> None:
        repo = ResourceRepository(db)
        document: dict[str, Any] = {
            "PrimaryContainer": {"Image": "img:1", "Environment": {"K": "välue ✓", "EMPTY": ""}},
            "Containers": [{"Image": "a"}, {"Image": "b", "Index": 2}],
            "EnableNetworkIsolation": False,
            "Ratio": 0.25,
            "Nothing": None,
            "Big": "x" * 100_000,
        }
        stored = make("Round-Trip", status="InService", **document)
        repo.create(stored)
        got = repo.get(stored.arn)
        assert got == stored
        assert got is not None and got.creation_time.tzinfo is not None
        assert json.dumps(got.document, sort_keys=True) == json.dumps(stored.document, sort_keys=True)

    def test_times_in_any_zone_come_back_as_the_same_instant_in_utc(self, db: Database) -> None:
        repo = ResourceRepository(db)
        zone = dt.timezone(dt.timedelta(hours=5, minutes=30))
        local = dt.datetime(2024, 1, 1, 10, 0, 0, 1, tzinfo=zone)
        stored = Resource(KIND, "zoned", sagemaker_arn("us-east-1", "1", KIND, "zoned"), None, local, local, {})
        repo.create(stored)
        got = repo.get(stored.arn)
        assert got is not None and got.creation_time == local and got.creation_time.utcoffset() == dt.timedelta(0)

    def test_missing_resource_is_none_and_not_counted(self, db: Database) -> None:
        repo = ResourceRepository(db)
        assert repo.get(make("absent").arn) is None
        assert not repo.exists(make("absent").arn)
        assert repo.count(KIND) == 0

    def test_second_create_with_same_arn_raises_and_keeps_the_first(self, db: Database) -> None:
        repo = ResourceRepository(db)
        first = make("Dup", Image="first")
        repo.create(first, {"a": "1"})
        with pytest.raises(AlreadyExists):
            # Names differ only in case: the lower-cased ARN is the same resource, as on AWS.
            repo.create(make("DUP", 5, Image="second"), {"b": "2"})
        assert repo.get(first.arn) == first
        assert repo.tags(first.arn) == {"a": "1"}
        assert repo.count(KIND) == 1

    def test_save_overwrites_status_time_and_document(self, db: Database) -> None:
        repo = ResourceRepository(db)
        original = make("saved", status="Creating", Step=1)
        repo.create(original)
        later = original.last_modified_time + dt.timedelta(hours=1)
        changed = Resource(KIND, "saved", original.arn, "InService", original.creation_time, later, {"Step": 2})
        repo.save(changed)
        assert repo.get(original.arn) == changed

    def test_delete_removes_resource_and_tags(self, db: Database) -> None:
        repo = ResourceRepository(db)
        doomed, kept = make("doomed"), make("kept")
        repo.create(doomed, {"k": "v"})
        repo.create(kept, {"k": "v"})
        assert repo.delete(doomed.arn) is True
        assert repo.delete(doomed.arn) is False
        assert repo.get(doomed.arn) is None and repo.tags(doomed.arn) == {}
        assert repo.tags(kept.arn) == {"k": "v"}
        # The name is free again: AWS lets you re-create a deleted model under the same name.
        repo.create(make("doomed", 9))
        assert repo.tags(doomed.arn) == {}

    def test_kinds_are_listed_and_counted_apart(self, db: Database) -> None:
        repo = ResourceRepository(db)
        repo.create(make("shared-name"))
        repo.create(make("shared-name", kind="endpoint-config"))
        assert names(repo.list(KIND, ListQuery()).items) == ["shared-name"]
        assert repo.count("endpoint-config") == 1 and repo.count("endpoint") == 0

    # --- listing filters ------------------------------------------------------------------------

    def test_default_list_is_newest_first_ten_per_page(self, db: Database) -> None:
        repo = ResourceRepository(db)
        for i in range(12):
            repo.create(make(f"m{i:02d}", i))
        page = repo.list(KIND, ListQuery())
        assert names(page.items) == [f"m{i:02d}" for i in range(11, 1, -1)]
        assert page.next_token is not None

    def test_name_contains_is_case_insensitive_substring(self, db: Database) -> None:
        repo = ResourceRepository(db)
        for i, name in enumerate(["XGBoost-Model", "my-xgboost", "linear", "xgb"]):
            repo.create(make(name, i))
        assert names(repo.list(KIND, ListQuery(name_contains="XGBOOST")).items) == ["my-xgboost", "XGBoost-Model"]
        assert names(repo.list(KIND, ListQuery(name_contains="nothing")).items) == []

    def test_name_contains_treats_like_wildcards_literally(self, db: Database) -> None:
        repo = ResourceRepository(db)
        for i, name in enumerate(["a_b", "axb", "a%b", "azzb"]):
            repo.create(make(name, i))
        assert names(repo.list(KIND, ListQuery(name_contains="a_b")).items) == ["a_b"]
        assert names(repo.list(KIND, ListQuery(name_contains="a%b")).items) == ["a%b"]

    def test_creation_and_modification_time_bounds_are_exclusive(self, db: Database) -> None:
        repo = ResourceRepository(db)
        for i in range(5):
            repo.create(make(f"t{i}", i * 10))
        at = T0 + dt.timedelta(minutes=20)  # exactly t2's creation time

        def listed(**filters: Any) -> list[str]:
            return sorted(names(repo.list(KIND, ListQuery(**filters)).items))

        assert listed(created_after=at) == ["t3", "t4"]
        assert listed(created_before=at) == ["t0", "t1"]
        assert listed(created_after=T0, created_before=at + dt.timedelta(minutes=10)) == ["t1", "t2"]
        modified = at + dt.timedelta(seconds=30)  # t2's last-modified time
        assert listed(modified_after=modified) == ["t3", "t4"]
        assert listed(modified_before=modified) == ["t0", "t1"]

    def test_status_equals_filters_exactly(self, db: Database) -> None:
        repo = ResourceRepository(db)
        for i, status in enumerate(["InService", "Failed", "InService", None, "inservice"]):
            repo.create(make(f"s{i}", i, status=status))
        assert names(repo.list(KIND, ListQuery(status_equals="InService")).items) == ["s2", "s0"]

    @pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
    @pytest.mark.parametrize("key", list(SortKey), ids=[k.value for k in SortKey])
    def test_every_sort_key_and_order_pages_through_everything_once(
        self, db: Database, key: SortKey, descending: bool
    ) -> None:
        repo = ResourceRepository(db)
        statuses = ["Failed", None, "InService", "Creating", None, "InService"]
        # Upper case sorts before lower case (code-point order, as AWS list APIs sort), and a few
        # share a creation time so the ARN has to break ties.
        spec = ["b-2", "B1", "a", "A0", "a-1", "a1", "Zed", "zz", "m", "M-3", "c", "C9", "q"]
        created = [make(name, i // 3, status=statuses[i % len(statuses)]) for i, name in enumerate(spec)]
        for resource in created:
            repo.create(resource)
        want = expected_order(created, key, descending)
        for size in (1, 4, 100):
            query = ListQuery(sort_by=key, descending=descending, max_results=size)
            assert names(every_page(repo, query)) == want, f"page size {size}"

    def test_last_page_has_no_token_and_empty_list_is_empty(self, db: Database) -> None:
        repo = ResourceRepository(db)
        assert repo.list(KIND, ListQuery()).items == []
        for i in range(4):
            repo.create(make(f"p{i}", i))
        first = repo.list(KIND, ListQuery(max_results=2))
        second = repo.list(KIND, ListQuery(max_results=2, next_token=first.next_token))
        assert names(first.items + second.items) == ["p3", "p2", "p1", "p0"]
        assert second.next_token is None

    # --- pagination tokens ----------------------------------------------------------------------

    def test_inserts_between_pages_never_skip_or_repeat_existing_items(self, db: Database) -> None:
        repo = ResourceRepository(db)
        originals = [make(f"orig-{i:02d}", i * 2, status=["A", "B", None][i % 3]) for i in range(20)]
        for resource in originals:
            repo.create(resource)
        extra = 0
        for key in SortKey:
            for descending in (True, False):
                seen: list[Resource] = []
                token: str | None = None
                for page_number in range(100):
                    query = ListQuery(sort_by=key, descending=descending, max_results=3, next_token=token)
                    page = repo.list(KIND, query)
                    seen.extend(page.items)
                    # Meanwhile another client creates resources that sort before, among and after the
                    # ones still to come (for a few pages: a writer as fast as the reader never ends).
                    for minutes in (-5, 13, 99) if page_number < 4 else ():
                        extra += 1
                        repo.create(make(f"new-{extra:03d}", minutes + extra / 100, status=["A", None][extra % 2]))
                    token = page.next_token
                    if token is None:
                        break
                arns = [r.arn for r in seen]
                assert len(arns) == len(set(arns)), f"{key} repeated an item"
                assert {r.arn for r in originals} <= set(arns), f"{key} skipped an item"
                values = [(sort_value(r, key), r.arn) for r in seen]
                assert values == sorted(values, reverse=descending)

    def test_pagination_beside_a_concurrent_writer_thread(self, db: Database) -> None:
        repo = ResourceRepository(db)
        originals = [make(f"base-{i:03d}", i) for i in range(40)]
        for resource in originals:
            repo.create(resource)
        stop = threading.Event()

        def writer() -> int:
            written = 0
            while not stop.is_set() and written < 400:
                written += 1
                repo.create(make(f"live-{written:03d}", written % 50 + 0.5))
            return written

        with ThreadPoolExecutor(1) as pool:
            future = pool.submit(writer)
            try:
                listings = [every_page(repo, ListQuery(max_results=7, sort_by=key)) for key in SortKey]
            finally:
                stop.set()
            assert future.result(DEADLINE) > 0
        for listed in listings:
            arns = [r.arn for r in listed]
            assert len(arns) == len(set(arns))
            assert {r.arn for r in originals} <= set(arns)

    def test_token_is_bound_to_its_query(self, db: Database) -> None:
        repo = ResourceRepository(db)
        for i in range(5):
            repo.create(make(f"bound-{i}", i))
        token = repo.list(KIND, ListQuery(name_contains="bound", max_results=2)).next_token
        assert token is not None
        for other in (
            ListQuery(name_contains="other", next_token=token),
            ListQuery(name_contains="bound", sort_by=SortKey.NAME, next_token=token),
            ListQuery(name_contains="bound", descending=False, next_token=token),
            ListQuery(name_contains="bound", status_equals="InService", next_token=token),
        ):
            with pytest.raises(ValidationError):
                repo.list(KIND, other)
        with pytest.raises(ValidationError):
            repo.list("endpoint-config", ListQuery(name_contains="bound", next_token=token))
        # The page size is not part of the query: a paginator may change it between pages.
        rest = repo.list(KIND, ListQuery(name_contains="bound", max_results=10, next_token=token))
        assert names(rest.items) == ["bound-2", "bound-1", "bound-0"]

    @pytest.mark.parametrize(
        "after", [[], ["x"], [1, 2], ["not-a-time", "arn"], [None, None], "abc", [["x"], "arn"]], ids=repr
    )
    def test_malformed_tokens_are_validation_errors(self, db: Database, after: Any) -> None:
        repo = ResourceRepository(db)
        repo.create(make("one"))
        query = ListQuery()
        # A token forged with the right fingerprint but a broken position is still the client's fault.
        forged = encode_token(PageToken(fingerprint(KIND, *query.filters_fingerprint()), after))
        for token in ("garbage", "e30=", "!!!", "ünïcode", forged):
            with pytest.raises(ValidationError):
                repo.list(KIND, ListQuery(next_token=token))

    # --- tags -------------------------------------------------------------------------------------

    def test_tags_add_overwrite_delete_in_code_point_order(self, db: Database) -> None:
        repo = ResourceRepository(db)
        resource = make("tagged")
        repo.create(resource, {"b": "1"})
        repo.add_tags(resource.arn, {"a": "2", "B": "3", "é": "4", "_": ""})
        repo.add_tags(resource.arn, {"b": "overwritten"})
        assert list(repo.tags(resource.arn).items()) == [
            ("B", "3"),
            ("_", ""),
            ("a", "2"),
            ("b", "overwritten"),
            ("é", "4"),
        ]
        repo.delete_tags(resource.arn, ["a", "é", "never-there"])
        assert repo.tags(resource.arn) == {"B": "3", "_": "", "b": "overwritten"}

    def test_fifty_tags_at_most_and_a_refused_call_changes_nothing(self, db: Database) -> None:
        repo = ResourceRepository(db)
        resource = make("full")
        repo.create(resource)
        repo.add_tags(resource.arn, {f"k{i:02d}": "v" for i in range(MAX_TAGS - 1)})
        with pytest.raises(ResourceLimitExceeded):
            repo.add_tags(resource.arn, {"k00": "changed", "new-1": "x", "new-2": "y"})
        assert repo.tags(resource.arn)["k00"] == "v" and len(repo.tags(resource.arn)) == MAX_TAGS - 1
        repo.add_tags(resource.arn, {"k00": "changed", "last": "x"})
        repo.add_tags(resource.arn, {"last": "overwrite is fine at the limit"})
        assert len(repo.tags(resource.arn)) == MAX_TAGS and repo.tags(resource.arn)["k00"] == "changed"

    def test_concurrent_add_tags_never_exceed_the_limit(self, db: Database) -> None:
        repo = ResourceRepository(db)
        resource = make("contended")
        repo.create(resource)

        def add(worker: int) -> bool:
            try:
                repo.add_tags(resource.arn, {f"w{worker}-{i}": "v" for i in range(10)} | {"same": str(worker)})
                return True
            except ResourceLimitExceeded:
                return False

        with ThreadPoolExecutor(8) as pool:
            outcomes = [f.result(DEADLINE) for f in [pool.submit(add, w) for w in range(8)]]
        final = repo.tags(resource.arn)
        # Each call adds 10 new keys plus the shared one: 4 calls fit in 50, the 5th would need 51.
        assert outcomes.count(True) == 4 and len(final) == 41
        assert final["same"] in {str(w) for w, ok in enumerate(outcomes) if ok}

    # --- audit trail ------------------------------------------------------------------------------

    def test_audit_records_come_back_newest_first_with_filters(self, db: Database) -> None:
        audit = AuditLog(db)
        for i in range(6):
            audit.record(
                AuditEvent(
                    time=T0 + dt.timedelta(seconds=i),
                    request_id=f"req-{i}",
                    principal_arn="arn:aws:iam::000000000000:root" if i % 2 else "arn:aws:iam::000000000000:user/u",
                    access_key_id="AKIDEXAMPLE",
                    source_ip="127.0.0.1",
                    service="sagemaker",
                    operation="CreateModel" if i < 3 else "DescribeModel",
                    resource=f"arn:aws:sagemaker:us-east-1:000000000000:model/m{i % 2}",
                    status=200 if i != 4 else 400,
                    error_code=None if i != 4 else "ValidationException",
                )
            )
        everything = audit.query()
        assert [r.request_id for r in everything] == [f"req-{i}" for i in range(5, -1, -1)]
        assert everything[1].error_code == "ValidationException" and everything[1].status == 400
        assert everything[0].time == T0 + dt.timedelta(seconds=5) and everything[0].time.tzinfo is not None
        assert [r.request_id for r in audit.query(operation="CreateModel")] == ["req-2", "req-1", "req-0"]
        assert [r.request_id for r in audit.query(resource=everything[0].resource)] == ["req-5", "req-3", "req-1"]
        assert len(audit.query(principal_arn="arn:aws:iam::000000000000:root")) == 3
        window = audit.query(start=T0 + dt.timedelta(seconds=1), end=T0 + dt.timedelta(seconds=2))
        assert [r.request_id for r in window] == ["req-2", "req-1"]
        first = audit.query(limit=4)
        rest = audit.query(limit=4, before_id=first[-1].id)
        assert [r.request_id for r in first + rest] == [r.request_id for r in everything]

    # --- migrations -------------------------------------------------------------------------------

    def test_fresh_database_migrated_to_heads_matches_the_metadata(self, empty_db: Database) -> None:
        assert inspect(empty_db.engine).get_table_names() == []
        upgrade(empty_db)
        with empty_db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, metadata)
        assert differences == [], "migrations and table definitions disagree; write a migration"
        tables = set(inspect(empty_db.engine).get_table_names())
        assert set(metadata.tables) <= tables

    def test_upgrade_is_idempotent_and_reaches_every_head(self, empty_db: Database) -> None:
        upgrade(empty_db)
        upgrade(empty_db)  # a server restart runs it again: nothing to do, nothing broken
        heads = set(ScriptDirectory.from_config(alembic_config(empty_db)).get_heads())
        with empty_db.engine.connect() as connection:
            assert set(MigrationContext.configure(connection).get_current_heads()) == heads

    # --- concurrency -----------------------------------------------------------------------------

    def test_concurrent_writers_neither_deadlock_nor_lose_rows(self, db: Database) -> None:
        repo, audit = ResourceRepository(db), AuditLog(db)
        workers, each = 8, 20

        def work(worker: int) -> None:
            for i in range(each):
                resource = make(f"w{worker}-{i}", i, status="Creating")
                repo.create(resource, {"worker": str(worker)})
                repo.add_tags(resource.arn, {"i": str(i)})
                repo.save(Resource(**{**resource.__dict__, "status": "InService"}))
                audit.record(
                    AuditEvent(T0, f"r{worker}-{i}", "p", "k", "127.0.0.1", "sagemaker", "CreateModel", None, 200, None)
                )
                repo.list(KIND, ListQuery(max_results=5))

        with ThreadPoolExecutor(workers) as pool:
            for future in [pool.submit(work, w) for w in range(workers)]:
                future.result(DEADLINE)
        listed = every_page(repo, ListQuery(max_results=50))
        assert len(listed) == workers * each == repo.count(KIND)
        assert {r.status for r in listed} == {"InService"}
        assert len(audit.query(limit=1000)) == workers * each
        assert repo.tags(make("w3-7").arn) == {"i": "7", "worker": "3"}

    def test_racing_creates_of_one_name_let_exactly_one_win(self, db: Database) -> None:
        repo = ResourceRepository(db)
        barrier = threading.Barrier(8)

        def create(worker: int) -> bool:
            barrier.wait(DEADLINE)
            try:
                repo.create(make("contested", worker, Winner=worker), {"by": str(worker)})
                return True
            except AlreadyExists:
                return False

        with ThreadPoolExecutor(8) as pool:
            wins = [f.result(DEADLINE) for f in [pool.submit(create, w) for w in range(8)]]
        assert wins.count(True) == 1
        stored = repo.get(make("contested").arn)
        assert stored is not None and repo.tags(stored.arn) == {"by": str(stored.document["Winner"])}
