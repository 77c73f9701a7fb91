"""The gateway's request ids are version-4 UUIDs, as AWS's are, and do not repeat."""

from __future__ import annotations

import uuid

from drydock.wire.gateway import new_request_id


def test_request_ids_are_distinct_version_4_uuids() -> None:
    ids = [new_request_id() for _ in range(20000)]
    assert len(set(ids)) == len(ids)
    for request_id in ids[:2000]:
        parsed = uuid.UUID(request_id)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert str(parsed) == request_id  # lower-case hex in 8-4-4-4-12 form
