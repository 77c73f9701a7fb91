"""What both HTTP/1.1 servers (the gateway's and the model server's) do with bytes off a socket."""

from __future__ import annotations

from collections.abc import Callable

import httptools


def feed_request_bytes(parser: httptools.HttpRequestParser, data: bytes, reject: Callable[[bytes], None]) -> bool:
    """Feed ``data`` to ``parser`` (whose callbacks do the work); a malformed request or an upgrade
    request is handed to ``reject`` with the reason, for a 400 and a closed connection. Returns
    whether the bytes were accepted."""
    try:
        parser.feed_data(data)
    except httptools.HttpParserUpgrade:
        reject(b"Upgrades are not supported")
        return False
    except httptools.HttpParserError as error:
        reject(f"Malformed HTTP request: {error}".encode())
        return False
    return True
