"""Pure helpers shared by every resource kind: ARNs, ids, pagination tokens, list queries, tags.

No I/O happens here, so everything is unit-testable without a server.
"""
