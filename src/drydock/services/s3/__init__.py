"""The S3 API (rest-xml) on the shared port, served from whichever ObjectStore is configured.

``service.py`` is the wire entry point; ``*_operations.py`` hold one handler per S3 operation,
registered on ``api.s3_api``; ``request_body.py`` and ``integrity.py`` turn an upload's socket into a
verified, decoded byte stream without ever holding it whole.
"""
